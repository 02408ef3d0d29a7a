"""Which language and time zone a person reads in (DESIGN §8): their own choice on their account,
otherwise (signed out) the choice made with the switcher in this browser, otherwise their country's
default, otherwise the browser's Accept-Language. An API call that names a language in its
Accept-Language header is answered in it: a program asks for what it can read."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_supported_language_variant

from tenants.models import Country, is_time_zone


def supported(code: str | None) -> str | None:
    """The portal's language for a tag ("pt-BR" → "pt"), or None if it has none."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def valid_time_zone(name: str | None) -> str | None:
    return name if is_time_zone(name) else None


@dataclass(frozen=True)
class Reading:
    """What a person reads in: language (None: leave the browser's) and time zone."""

    language: str | None
    time_zone: str


def home_country(country_ids) -> Country | None:
    """The country a person belongs to (the first by id when several): its defaults are theirs."""
    if not country_ids:
        return None
    return Country.objects.filter(pk__in=country_ids).only("pk", "default_language", "time_zone").order_by("pk").first()


def reading_columns(user_id: int, *, home_country_id: int | None = None) -> dict:
    """What reading_for reads about a signed-in person (their own choice, their home country's
    defaults), as expressions that another query of the countries table carries along (the
    middleware's lookup of the country in the URL), so that the page pays no query for it. Give the
    values back to reading_for as `read=reading_read(row)`. The home country is the first of the
    person's countries (home_country_id, the smallest of their member_country_ids), as in _read."""
    from django.db.models import CharField, Subquery, Value

    from tenants.languages.models import Preferences

    own = Preferences.objects.filter(user_id=user_id)
    columns = {
        "reading_language": Subquery(own.values("language")[:1]),
        "reading_zone": Subquery(own.values("time_zone")[:1]),
        "reading_home_language": Value(None, output_field=CharField()),
        "reading_home_zone": Value(None, output_field=CharField()),
    }
    if home_country_id is not None:
        home = Country.objects.filter(pk=home_country_id)
        columns["reading_home_language"] = Subquery(home.values("default_language")[:1])
        columns["reading_home_zone"] = Subquery(home.values("time_zone")[:1])
    return columns


def reading_read(row, *, member_country_ids=frozenset()) -> tuple:
    """The values of reading_columns on a row that carried them, as reading_for takes them."""
    defaults = (row.reading_home_language, row.reading_home_zone) if member_country_ids else None
    return (row.reading_language or "", row.reading_zone or "", defaults)


def _read(user, member_country_ids) -> tuple:
    """(own language, own time zone, the home country's defaults or None), from the database."""
    own_language, own_zone = "", ""
    defaults = None  # the home country's (language, time zone), when read with the person's own
    if getattr(user, "is_authenticated", False):
        from django.db.models import Subquery

        from tenants.languages.models import Preferences

        own = Preferences.objects.filter(user_id=user.pk)
        row = None
        if member_country_ids:  # one query: the person's choice and their home country's defaults
            row = (
                Country.objects.filter(pk__in=member_country_ids)
                .order_by("pk")
                .values_list(
                    Subquery(own.values("language")[:1]),
                    Subquery(own.values("time_zone")[:1]),
                    "default_language",
                    "time_zone",
                )
                .first()
            )
            if row is not None:
                defaults = row[2:]
                row = row[:2]
        if row is None:
            row = own.values_list("language", "time_zone").first()
        if row:
            own_language, own_zone = (value or "" for value in row)
    return own_language, own_zone, defaults


def reading_for(
    user, *, member_country_ids=frozenset(), cookie_language: str | None = None, read: tuple | None = None
) -> Reading:
    """The language and time zone for `user` (anonymous or signed in). `read`: what reading_read
    gave for this person, when another query already carried it (no query here then)."""
    own_language, own_zone, defaults = read if read is not None else _read(user, member_country_ids)
    language = supported(own_language) or supported(cookie_language)
    zone = valid_time_zone(own_zone)
    if language is None or zone is None:
        if defaults is None:
            country = home_country(member_country_ids)
            defaults = (country.default_language, country.time_zone) if country is not None else None
        if defaults is not None:
            language = language or supported(defaults[0])
            zone = zone or valid_time_zone(defaults[1])
    return Reading(language=language, time_zone=zone or settings.TIME_ZONE)


def language_for_user(user) -> str:
    """The language to write to `user` in when they are not there to ask (emails, notifications,
    documents built by a worker): their choice, else their country's, else the portal's default."""
    from tenants.access import access_for

    countries = access_for(user).member_country_ids
    return reading_for(user, member_country_ids=countries).language or settings.LANGUAGE_CODE


def in_language_of(user):
    """`with in_language_of(user):` renders texts (emails, notifications, documents) in the
    language `user` reads, wherever the code runs (a request of someone else, a worker)."""
    return translation.override(language_for_user(user))


def read_as_invited(request, user, country: Country) -> None:
    """Turn on, for the rest of this request, what an invited person reads in: not yet a member in
    force and not signed in, they are still someone of `country` (DESIGN §8: their own choice, else
    the switcher's in this browser, else their country's default), as their invitation mail was."""
    if getattr(request.user, "is_authenticated", False):
        return  # a signed-in reader already reads in their own choice
    from django.utils import timezone

    reading = reading_for(
        user, member_country_ids={country.pk}, cookie_language=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    )
    if reading.language:
        translation.activate(reading.language)
        request.LANGUAGE_CODE = translation.get_language()
    timezone.activate(reading.time_zone)
    request.time_zone = reading.time_zone


def language_keep(user, language: str | None) -> bool:
    """Keep `language` on the account of a person who has made no choice of their own yet (an
    invited person accepting, in the language they read their invitation and its page in; a person
    whose first sign-in chose one with the switcher): their mails and pages go on in it. A choice
    already made is never overridden. Returns whether it was kept."""
    from tenants.languages.models import Preferences

    language = supported(language)
    if language is None or language not in dict(settings.LANGUAGES):
        return False
    preferences, created = Preferences.objects.get_or_create(user_id=user.pk, defaults={"language": language})
    if created:
        return True
    return bool(Preferences.objects.filter(pk=preferences.pk, language="").update(language=language))
