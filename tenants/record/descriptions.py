"""The foundation's own events on the record in words (people, organisations, sign-in services, keys,
exports, exits, erasures, copies of a person's data, the record itself, and on the platform chain
the platform team's changes and the record's own runs): how each payload reads and
how each kind of row is named, registered like every app's (tenants.record.events.events_register,
see deployments/events.py). A payload's codes are read through their labels, never shown as keys."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from tenants.languages.formatting import grouped_number
from tenants.pages import ROLE_LABELS, country_url

LABELS = {
    "identity_provider.created": gettext_lazy("Sign-in service set up"),
    "identity_provider.changed": gettext_lazy("Sign-in service changed"),
    "assignment.partner_managers_changed": gettext_lazy("Partner managers of the country changed"),
    "assignment.auditors_changed": gettext_lazy("Auditors of the country changed"),
    "export.written": gettext_lazy("Export written by the platform team's command"),
    # The platform chain's own.
    "country.created": gettext_lazy("Country added to the programme"),
    "country.changed": gettext_lazy("Country's settings changed by the platform team"),
    "platform_settings.changed": gettext_lazy("Programme settings changed"),
}


def _role(code) -> str:
    return str(ROLE_LABELS.get(code, code or ""))


def _digest(payload: dict, key: str = "sha256") -> str:
    value = payload.get(key)
    return gettext("SHA-256: %(digest)s") % {"digest": value} if isinstance(value, str) and value else ""


def _file(payload: dict) -> str:
    """A file made or served: its SHA-256 and size, as far as the payload says."""
    digest, size = payload.get("sha256"), payload.get("bytes")
    if isinstance(size, int) and isinstance(digest, str) and digest:
        return gettext("SHA-256: %(digest)s; %(size)s") % {"digest": digest, "size": filesizeformat(size)}
    return _digest(payload)


def _member(action: str, payload: dict) -> str:
    if action == "member.role_changed":
        return gettext("From %(from)s to %(to)s") % {"from": _role(payload.get("from")), "to": _role(payload.get("to"))}
    if action == "member.erased":
        rows, files = payload.get("rows", 0), payload.get("files", 0)
        if payload.get("account_closed"):
            text = gettext("Erased as %(pseudonym)s: %(rows)s rows changed, %(files)s files destroyed, account closed")
        else:
            text = gettext("Erased as %(pseudonym)s: %(rows)s rows changed, %(files)s files destroyed, account kept")
        return text % {"pseudonym": payload.get("pseudonym", ""), "rows": rows, "files": files}
    if payload.get("role"):
        return gettext("As %(role)s") % {"role": _role(payload["role"]).lower()}
    return ""


def _organisation(action: str, payload: dict) -> str:
    from tenants.models import Organisation

    return str(dict(Organisation.Kind.choices).get(payload.get("kind"), payload.get("kind") or ""))


def _side(payload: dict) -> str:
    from tenants.keys.models import CountryExit

    return str(dict(CountryExit.Side.choices).get(payload.get("side"), payload.get("side") or ""))


def _exit(action: str, payload: dict) -> str:
    if action == "exit.failed":
        return gettext("Stopped by an error (%(error)s)") % {"error": payload.get("error", "")}
    if action == "exit.export_verified":
        return _digest(payload)
    if action == "exit.confirmed" and isinstance(payload.get("waiting_days"), int):
        days = payload["waiting_days"]
        return ngettext(
            "Asked by: %(side)s; %(days)s day to wait", "Asked by: %(side)s; %(days)s days to wait", days
        ) % {"side": _side(payload), "days": days}
    return gettext("Asked by: %(side)s") % {"side": _side(payload)} if payload.get("side") else ""


def _fields_changed(model_path: str, payload: dict) -> str:
    """A platform admin's change in the admin ({field: {"from", "to"}}): the fields it changed, by
    their names in words (a field since removed, by its code inside a sentence)."""
    from django.apps import apps

    model = apps.get_model(model_path)
    names = []
    for field in sorted(payload):
        if not isinstance(payload[field], dict):
            continue
        try:
            names.append(str(model._meta.get_field(field).verbose_name))
        except Exception:  # noqa: BLE001 - a field since removed: named by its code inside a sentence
            names.append(gettext("field %(code)s") % {"code": field})
    return gettext("Changed: %(fields)s") % {"fields": ", ".join(names)} if names else ""


def _country(action: str, payload: dict) -> str:
    if action in ("country.changed", "country.created"):
        return _fields_changed("tenants.Country", payload)
    if action == "country.exited":
        return _digest(payload, "export_sha256")
    if "mfa_required" in payload:
        if payload["mfa_required"]:
            return gettext("Everyone of the country needs a second factor")
        return gettext("Only the roles that always need one need a second factor")
    return ""


def _export(action: str, payload: dict) -> str:
    if action.endswith(".requested"):
        return gettext("For the exit from the programme") if payload.get("for_exit") else ""
    text = _file(payload)
    first, last = payload.get("first"), payload.get("last")
    if isinstance(first, int) and isinstance(last, int):  # the events of the record the export holds
        return gettext("%(file)s; events %(first)s to %(last)s of the record") % {
            "file": text,
            "first": first,
            "last": last,
        }
    held = payload.get("events")
    if isinstance(held, int):  # a person's copy: their own events of the record
        return ngettext("%(file)s; %(count)s event of the record", "%(file)s; %(count)s events of the record", held) % {
            "file": text,
            "count": held,
        }
    return text


def _files(action: str, payload: dict) -> str:
    sealed, deleted = payload.get("sealed", 0), payload.get("deleted_after_exit", 0)
    if deleted:
        return gettext("Files sealed under the new key: %(sealed)s; deleted after the exit: %(deleted)s") % {
            "sealed": sealed,
            "deleted": deleted,
        }
    return ngettext(
        "%(count)s file sealed under the new key",
        "%(count)s files sealed under the new key",
        sealed if isinstance(sealed, int) else 0,
    ) % {"count": sealed}


def _sealed_during_upgrade(action: str, payload: dict) -> str:
    sealed, emptied = payload.get("sealed", 0), payload.get("emptied", 0)
    sealed, emptied = (n if isinstance(n, int) else 0 for n in (sealed, emptied))
    if action == "key.sealing_windows_closed":
        columns = payload.get("columns")
        columns = len(columns) if isinstance(columns, list) else columns if isinstance(columns, int) else 0
        return ngettext(
            "%(count)s column closed; values sealed: %(sealed)s, emptied (keys destroyed): %(emptied)s",
            "%(count)s columns closed; values sealed: %(sealed)s, emptied (keys destroyed): %(emptied)s",
            columns,
        ) % {"count": columns, "sealed": grouped_number(sealed), "emptied": grouped_number(emptied)}
    if emptied:
        return gettext("%(count)s texts emptied: this country's keys were destroyed when it left") % {
            "count": grouped_number(emptied)
        }
    return ngettext(
        "%(count)s text written by the release before the upgrade sealed under the country's key",
        "%(count)s texts written by the release before the upgrade sealed under the country's key",
        sealed,
    ) % {"count": grouped_number(sealed)}


def _key(action: str, payload: dict) -> str:
    if action in {"key.plain_values_sealed", "key.sealing_windows_closed"}:
        return _sealed_during_upgrade(action, payload)
    if action == "key.destroyed":
        return gettext("Keys destroyed: %(keys)s") % {"keys": ", ".join(map(str, payload.get("keys") or []))}
    if action == "key.rewrapped":
        count = payload.get("keys", 0)
        count = len(count) if isinstance(count, list) else count
        return ngettext(
            "%(count)s data key sealed under master key %(master)s",
            "%(count)s data keys sealed under master key %(master)s",
            count if isinstance(count, int) else 0,
        ) % {"count": count, "master": payload.get("master_key_id", "")}
    rows = grouped_number(payload.get("rows")) if isinstance(payload.get("rows"), int) else "0"
    if action == "key.rotated" and payload.get("previous_key_id"):
        return gettext("From key %(previous)s to key %(key)s; %(rows)s rows to seal again") % {
            "previous": payload["previous_key_id"],
            "key": payload.get("key_id", ""),
            "rows": rows,
        }
    return gettext("Key %(key)s; %(rows)s rows sealed again") % {"key": payload.get("key_id", ""), "rows": rows}


# How an export of the record left the portal (the `via` of ledger.exported).
EXPORTED_VIA = {
    "page": gettext_lazy("Events %(first)s to %(last)s (%(count)s in all), from the audit pages"),
    "api": gettext_lazy("Events %(first)s to %(last)s (%(count)s in all), through the API"),
    "command": gettext_lazy("Events %(first)s to %(last)s (%(count)s in all), by the platform team's command"),
}


def _platform_settings(action: str, payload: dict) -> str:
    return _fields_changed("tenants.PlatformSettings", payload)


def _count(value) -> int:
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _platform_ledger(action: str, payload: dict) -> str:
    """The platform chain's own record events: the nightly verification of every chain, alerts
    resolved, the signing key rotated."""
    if action == "ledger.verified":
        chains, events, broken = _count(payload.get("chains")), _count(payload.get("events")), payload.get("broken")
        if payload.get("ok"):
            return gettext("Every chain intact (chains: %(chains)s; events: %(events)s)") % {
                "chains": chains,
                "events": events,
            }
        return gettext("Broken: %(broken)s (chains: %(chains)s; events: %(events)s)") % {
            "broken": ", ".join(map(str, broken)) if isinstance(broken, list) else "",
            "chains": chains,
            "events": events,
        }
    if action == "ledger.alerts_resolved":
        count, chains = _count(payload.get("alerts")), payload.get("chains")
        return ngettext("%(count)s alert resolved (%(chains)s)", "%(count)s alerts resolved (%(chains)s)", count) % {
            "count": count,
            "chains": ", ".join(map(str, chains)) if isinstance(chains, list) else "",
        }
    return gettext("Key %(retired)s retired, key %(new)s signs from now on") % {
        "retired": payload.get("retired_key_id", ""),
        "new": payload.get("new_key_id", ""),
    }


def _ledger(action: str, payload: dict) -> str:
    if action in ("ledger.verified", "ledger.alerts_resolved", "ledger.signing_key_rotated"):
        return _platform_ledger(action, payload)
    if action == "ledger.exported":
        # Recorded before the door was named: the range alone.
        text = EXPORTED_VIA.get(payload.get("via"), gettext_lazy("Events %(first)s to %(last)s (%(count)s in all)"))
        return str(text) % {
            "first": payload.get("first", ""),
            "last": payload.get("last", ""),
            "count": payload.get("events", 0),
        }
    text = (
        gettext("Intact: %(events)s events, %(checkpoints)s signed checkpoints")
        if payload.get("ok")
        else gettext("Broken: %(events)s events, %(checkpoints)s signed checkpoints read")
    )
    return text % {"events": payload.get("events", 0), "checkpoints": payload.get("checkpoints", 0)}


def _identity_provider(action: str, payload: dict) -> str:
    from tenants.identity.models import IdentityProvider

    if action == "identity_provider.removed":
        return ""
    names = []
    for field in payload.get("fields") or []:
        try:
            names.append(str(IdentityProvider._meta.get_field(field).verbose_name))
        except Exception:  # noqa: BLE001 - a field since removed: named by its code inside a sentence
            names.append(gettext("field %(code)s") % {"code": field})
    if not names:
        return gettext("On") if payload.get("enabled") else gettext("Off")
    if payload.get("enabled"):
        return gettext("On; changed: %(fields)s") % {"fields": ", ".join(names)}
    return gettext("Off; changed: %(fields)s") % {"fields": ", ".join(names)}


def _assignment(action: str, payload: dict) -> str:
    added, removed = len(payload.get("added") or []), len(payload.get("removed") or [])
    return gettext("%(added)s added, %(removed)s removed") % {"added": added, "removed": removed}


def _names(model_path: str, field: str):
    def names(country, ids: set[int]):
        from django.apps import apps

        model = apps.get_model(model_path)
        rows = model.objects.filter(pk__in=ids)
        if model_path != "tenants.Country":
            rows = rows.filter(country=country)
        return rows.values_list("pk", field)

    return names


def _page(name: str):
    return lambda country, pk: country_url(name, country)


def _exit_named(country, pk: int, name: str) -> tuple[str, str]:
    from datetime import date

    from tenants.languages.formatting import long_date

    try:
        day = long_date(date.fromisoformat(str(name)))
    except ValueError:
        return gettext("Exit from the programme no. %(id)s") % {"id": pk}, country_url("data", country)
    return gettext("Exit from the programme asked on %(date)s") % {"date": day}, country_url("data", country)


def register() -> None:
    from django.db.models import CharField
    from django.db.models.functions import Cast, TruncDate

    from tenants.keys.models import CountryExit
    from tenants.record.events import Target, events_register

    def exit_names(country, ids):
        return (
            CountryExit.objects.filter(country=country, pk__in=ids)
            .annotate(day=Cast(TruncDate("requested_at"), CharField()))
            .values_list("pk", "day")
        )

    events_register(
        labels=LABELS,
        targets={
            "tenants.country": Target(
                _names("tenants.Country", "name"), lambda country, pk: country_url("overview", country)
            ),
            "tenants.identityprovider": Target(_names("tenants.IdentityProvider", "name"), _page("identity")),
            "tenants.keyrotation": Target(_names("tenants.KeyRotation", "to_key_id"), _page("data"), _key_named),
            "tenants.countryexport": Target(_names("tenants.CountryExport", "file_name"), _page("data"), _file_named),
            "tenants.countryexit": Target(exit_names, _page("data"), _exit_named),
            "tenants.membererasure": Target(
                _names("tenants.MemberErasure", "pseudonym"),
                lambda country, pk: reverse("tenants:data_erasure", kwargs={"code": country.code.lower(), "pk": pk}),
                _erasure_named,
            ),
            "tenants.subjectaccessexport": Target(
                _names("tenants.SubjectAccessExport", "state"), _page("data"), _copy_named
            ),
        },
        details={
            "member": _member,
            "organisation": _organisation,
            "exit": _exit,
            "country": _country,
            "export": _export,
            "subject_access": _export,
            "files": _files,
            "key": _key,
            "ledger": _ledger,
            "identity_provider": _identity_provider,
            "assignment": _assignment,
            "platform_settings": _platform_settings,
        },
    )


def _key_named(country, pk: int, name: str) -> tuple[str, str]:
    return gettext("Rotation to key %(key)s") % {"key": name}, country_url("data", country)


def _file_named(country, pk: int, name: str) -> tuple[str, str]:
    return (gettext("Export %(name)s") % {"name": name} if name else gettext("Export no. %(id)s") % {"id": pk}), (
        country_url("data", country)
    )


def _erasure_named(country, pk: int, name: str) -> tuple[str, str]:
    link = reverse("tenants:data_erasure", kwargs={"code": country.code.lower(), "pk": pk})
    if name:
        return gettext("Erasure of %(pseudonym)s") % {"pseudonym": name}, link
    return gettext("Erasure no. %(id)s") % {"id": pk}, link


def _copy_named(country, pk: int, name: str) -> tuple[str, str]:
    return gettext("Copy of a person's data no. %(id)s") % {"id": pk}, country_url("data", country)
