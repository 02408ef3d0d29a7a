"""Training's events on the record in words: an enrolment or a certificate named by its course (a
catalogue course in the reader's language), a programme by its title, a requirement by its course
and role; each payload through the labels of its codes. Registered from TrainingConfig.ready()
(tenants.record.events.events_register)."""

from __future__ import annotations

from django.db.models import Case, CharField, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from tenants.languages.catalogue import catalogue_plain
from tenants.pages import ROLE_LABELS

from .models import Certificate, CountryProgramme, CountryRequirement, Enrolment, Programme
from .selectors import sees_all_enrolments

SEPARATOR = "\x1f"


def _count(payload: dict) -> int:
    count = payload.get("count", 0)
    return count if isinstance(count, int) else 0


def _choice(model, field: str, code) -> str:
    return str(dict(model._meta.get_field(field).choices).get(code, code or ""))


def _detail(action: str, payload: dict) -> str:
    version = payload.get("version")
    if action == "training.quiz_attempted":
        module = payload.get("module")
        text = (
            gettext("Module %(module)s: %(correct)s of %(total)s correct, passed")
            if payload.get("passed")
            else gettext("Module %(module)s: %(correct)s of %(total)s correct, not passed")
        )
        return text % {
            "module": module + 1 if isinstance(module, int) else module,
            "correct": payload.get("correct", 0),
            "total": payload.get("total", 0),
        }
    if action == "training.role_enrolled":
        count = _count(payload)
        return ngettext("%(count)s person with the role %(role)s", "%(count)s people with the role %(role)s", count) % {
            "count": count,
            "role": str(ROLE_LABELS.get(payload.get("role"), payload.get("role", ""))).lower(),
        }
    if action == "training.roster_imported":
        count = _count(payload)
        return ngettext("%(count)s person enrolled", "%(count)s people enrolled", count) % {"count": count}
    if action == "training.reminders_sent":
        count = _count(payload)
        return ngettext("%(count)s reminder sent", "%(count)s reminders sent", count) % {"count": count}
    if action == "training.requirement_added":
        return gettext("For %(role)s; sector: %(sector)s; capability: %(capability)s") % {
            "role": str(ROLE_LABELS.get(payload.get("role"), payload.get("role", ""))).lower(),
            "sector": _choice(CountryRequirement, "sector", payload.get("sector")) or gettext("any"),
            "capability": _choice(CountryRequirement, "capability", payload.get("capability")) or gettext("any"),
        }
    if action == "training.programme_created" and isinstance(payload.get("modules"), int):
        return ngettext(
            "Version %(version)s, %(count)s module", "Version %(version)s, %(count)s modules", payload["modules"]
        ) % {"version": version, "count": payload["modules"]}
    if action == "training.enrolled" and payload.get("source"):
        detail = gettext("Version %(version)s; %(source)s") % {
            "version": version,
            "source": _choice(Enrolment, "source", payload["source"]).lower(),
        }
        if isinstance(payload.get("renews"), int):  # a renewal (training.renewals)
            detail = gettext("%(detail)s; renews the certificate of enrolment %(earlier)s") % {
                "detail": detail,
                "earlier": payload["renews"],
            }
        return detail
    if version is not None:
        return gettext("Version %(version)s") % {"version": version}
    return ""


def _course_names(model):
    """(pk, "c|owner|title" or "l|owner|title"): a catalogue course's title is translated when
    shown; the owner (the person trained) says who besides those who see everyone's training may
    open its page (_opens_own)."""
    owner = (Cast("user_id", output_field=CharField()), Value(SEPARATOR))

    def names(country, ids: set[int]):
        return (
            model.objects.filter(country=country, pk__in=ids)
            .annotate(
                named=Case(
                    When(
                        programme__isnull=False,
                        then=Concat(Value("c" + SEPARATOR), *owner, "programme__title", output_field=CharField()),
                    ),
                    default=Concat(Value("l" + SEPARATOR), *owner, "local_programme__title", output_field=CharField()),
                    output_field=CharField(),
                )
            )
            .values_list("pk", "named")
        )

    return names


def _title(named: str) -> str:
    kind, _, rest = named.partition(SEPARATOR)
    title = rest.partition(SEPARATOR)[2]
    return catalogue_plain(title) if kind == "c" else title


def _opens_own(access, country, named: str) -> bool:
    """The check of the enrolment's and certificate's pages (selectors.enrolment_get_visible):
    everyone's for those who see all training, otherwise one's own."""
    owner = named.partition(SEPARATOR)[2].partition(SEPARATOR)[0]
    return sees_all_enrolments(access, country) or owner == str(access.user_id)


def _url(name: str, country, **kwargs) -> str:
    return reverse(f"training:{name}", kwargs={"code": country.code.lower(), **kwargs})


def _requirement_names(country, ids: set[int]):
    return (
        CountryRequirement.objects.filter(country=country, pk__in=ids)
        .annotate(named=Concat("role", Value(SEPARATOR), "programme__title", output_field=CharField()))
        .values_list("pk", "named")
    )


def _requirement_shown(country, pk: int, named: str) -> tuple[str, str]:
    role, _, title = named.partition(SEPARATOR)
    return gettext("%(course)s for %(role)s") % {
        "course": catalogue_plain(title),
        "role": str(ROLE_LABELS.get(role, role)).lower(),
    }, _url("requirements", country)


def register() -> None:
    from tenants.record.events import Target, events_register

    events_register(
        labels={},
        targets={
            "training.enrolment": Target(
                _course_names(Enrolment),
                lambda country, pk: "",
                lambda country, pk, named: (_title(named), _url("enrolment", country, pk=pk)),
                _opens_own,
            ),
            "training.certificate": Target(
                _course_names(Certificate),
                lambda country, pk: "",
                lambda country, pk, named: (
                    gettext("Certificate: %(course)s") % {"course": _title(named)},
                    _url("certificate", country, pk=pk),
                ),
                _opens_own,
            ),
            "training.countryprogramme": Target(
                lambda country, ids: CountryProgramme.objects.filter(country=country, pk__in=ids).values_list(
                    "pk", "title"
                ),
                lambda country, pk: _url("programme", country, pk=pk),
            ),
            "training.programme": Target(
                lambda country, ids: Programme.objects.filter(pk__in=ids).values_list("pk", "title"),
                lambda country, pk: _url("home", country),
                lambda country, pk, title: (catalogue_plain(title), _url("home", country)),
            ),
            "training.countryrequirement": Target(_requirement_names, lambda country, pk: "", _requirement_shown),
        },
        details={"training": _detail},
    )
