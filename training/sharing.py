"""Writes about a country's own programmes: writing them, publishing new versions, sharing them
with other countries as a published snapshot, and adopting another country's shared programme as
a read-only copy (see training.models.local for why sharing keeps countries apart)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.access import Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record

from .authoring import content_validate
from .models import CountryProgramme, CountryProgrammeVersion, SharedProgramme


def _require_admin(access: Access, country: Country) -> str:
    if not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin can write, share or adopt programmes."))
    return access.role_in(country.pk) or ""


def _pass_mark(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100:
        raise ServiceError(_("Enter a pass mark between 1 and 100 (per cent)."), field="pass_mark")
    return value


@transaction.atomic
def country_programme_create(
    *, country: Country, by, access: Access, title: str, summary: str, content: dict, pass_mark: int = 80
) -> CountryProgramme:
    role = _require_admin(access, country)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ServiceError(_("Enter a title of at most 200 characters."), field="title")
    content = content_validate(content)
    pass_mark = _pass_mark(pass_mark)
    with country_context(country):
        if CountryProgramme.objects.filter(title__iexact=title).exists():
            raise ServiceError(
                _("{country_name} already has a programme called {title}.").format(
                    country_name=country.display_name, title=title
                ),
                field="title",
            )
        programme = CountryProgramme.objects.create(
            country=country, title=title, summary=(summary or "").strip(), created_by=by
        )
        CountryProgrammeVersion.objects.create(
            country=country, programme=programme, number=1, content=content, pass_mark=pass_mark
        )
        event_record(
            country=country,
            action="training.programme_created",
            actor=by,
            actor_role=role,
            target=programme,
            payload={"version": 1, "modules": len(content["modules"])},
        )
    return programme


@transaction.atomic
def country_programme_publish(
    *, programme: CountryProgramme, by, access: Access, content: dict, pass_mark: int = 80
) -> CountryProgrammeVersion:
    """A new version; enrolments keep the version they started on."""
    country = programme.country
    role = _require_admin(access, country)
    if programme.is_adopted:
        raise ServiceError(_("This programme is another country's, adopted as a read-only copy: it cannot be changed."))
    content = content_validate(content)
    pass_mark = _pass_mark(pass_mark)
    with country_context(country):
        latest = programme.versions.order_by("-number").first()
        version = CountryProgrammeVersion.objects.create(
            country=country, programme=programme, number=latest.number + 1, content=content, pass_mark=pass_mark
        )
        event_record(
            country=country,
            action="training.programme_versioned",
            actor=by,
            actor_role=role,
            target=programme,
            payload={"version": version.number},
        )
    return version


@transaction.atomic
def country_programme_share(*, programme: CountryProgramme, by, access: Access, reason: str) -> SharedProgramme:
    """Publish (or refresh) the snapshot of the latest version for other countries to adopt, with
    the reason the admin gave (kept sealed beside the record)."""
    country = programme.country
    role = _require_admin(access, country)
    reason = reason_clean(reason)
    if programme.is_adopted:
        raise ServiceError(_("An adopted programme can only be shared by the country that wrote it."))
    with country_context(country):
        latest = programme.versions.order_by("-number").first()
        shared, _created = SharedProgramme.objects.update_or_create(
            source_country_code=country.code,
            source_programme_id=programme.pk,
            defaults={
                "source_country_name": country.name,
                "source_version": latest.number,
                "title": programme.title,
                "summary": programme.summary,
                "content": latest.content,
                "pass_mark": latest.pass_mark,
                "shared_at": timezone.now(),
                "withdrawn_at": None,
            },
        )
        CountryProgramme.objects.filter(pk=programme.pk).update(is_shared=True)
        event_record(
            country=country,
            action="training.programme_shared",
            actor=by,
            actor_role=role,
            target=programme,
            payload={
                "version": latest.number,
                "shared": shared.pk,
                **reason_record(
                    country=country, action="training.programme_shared", target=programme, by=by, reason=reason
                ),
            },
        )
    return shared


@transaction.atomic
def country_programme_unshare(*, programme: CountryProgramme, by, access: Access) -> None:
    """Withdraw the snapshot from new adopters. Copies other countries already adopted stay theirs."""
    country = programme.country
    role = _require_admin(access, country)
    SharedProgramme.objects.filter(source_country_code=country.code, source_programme_id=programme.pk).update(
        withdrawn_at=timezone.now()
    )
    with country_context(country):
        CountryProgramme.objects.filter(pk=programme.pk).update(is_shared=False)
        event_record(
            country=country,
            action="training.programme_unshared",
            actor=by,
            actor_role=role,
            target=programme,
            payload={},
        )


@transaction.atomic
def shared_programme_adopt(*, country: Country, by, access: Access, shared: SharedProgramme) -> CountryProgramme:
    role = _require_admin(access, country)
    if shared.withdrawn_at is not None:
        raise ServiceError(_("This programme is no longer shared."))
    if shared.source_country_code == country.code:
        raise ServiceError(_("This programme is already yours."))
    with country_context(country):
        if CountryProgramme.objects.filter(adopted_from=shared).exists():
            raise ServiceError(
                _("{country_name} has already adopted this programme.").format(country_name=country.display_name)
            )
        title = shared.title
        if CountryProgramme.objects.filter(title__iexact=title).exists():
            title = f"{shared.title} ({shared.source_country_code})"[:200]
        try:
            with transaction.atomic():
                programme = CountryProgramme.objects.create(
                    country=country,
                    title=title,
                    summary=shared.summary,
                    adopted_from=shared,
                    adopted_from_country=shared.source_country_code,
                    is_adopted=True,
                    created_by=by,
                )
        except IntegrityError:
            raise ServiceError(
                _("{country_name} already has a programme called {title}.").format(
                    country_name=country.display_name, title=title
                )
            ) from None
        CountryProgrammeVersion.objects.create(
            country=country, programme=programme, number=1, content=shared.content, pass_mark=shared.pass_mark
        )
        event_record(
            country=country,
            action="training.programme_adopted",
            actor=by,
            actor_role=role,
            target=programme,
            payload={"shared": shared.pk, "version": shared.source_version},
        )
    return programme
