"""A data-subject access request: everything one country holds about one person, as a zip built by
a worker for a country admin to hand over (who may ask: a country admin of that country; every
request and download is on the record).

The zip: person.json (their account and their membership), data/<table>.jsonl (every row of the
country that names them, found through tenants.keys.holdings, sealed values opened), files/
(files on those rows), ledger/events.jsonl (the events they caused, as hashed), and a manifest
signed by the portal. It is the person's data in the clear: it lives in the default storage for
SUBJECT_ACCESS_TTL_DAYS, is destroyed if the person is erased, and is never mailed."""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
import zipfile
from datetime import timedelta
from typing import Any, BinaryIO

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants import files
from tenants.access import Access
from tenants.country_state import country_state_memo
from tenants.errors import NotAllowed
from tenants.identity.models import ApiToken
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.keys import holdings
from tenants.keys.export import columns_of, files_write, plain, row_of
from tenants.keys.models import SubjectAccessExport
from tenants.models import Country, Membership
from tenants.record import ledger, signing
from tenants.record.ledger import event_record
from tenants.record.models import CountryEvent

SUBJECT_ACCESS_TTL_DAYS = 7
TASK = "tenants.subject_access_build"
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "date_joined", "last_login", "is_active")
TOKEN_FIELDS = ("prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
README = """Everything {country} holds about {username} on the portal, made {when}.

person.json        the account and the membership in {country}
data/              one JSON Lines file per table with rows that name this person
files/             files stored on those rows
ledger/events.jsonl  the events this person caused on {country}'s record, as hashed
manifest.json      the SHA-256 of every file; manifest.sig the portal's signature of it
                   (public key: ledger-key.pem, also at /.well-known/ledger-key.pem)
"""


def _names(q: Q, keys: list[models.ForeignKey], subject) -> Q:
    for key in keys:
        q |= Q(**{key.name: subject})
    return q


def subject_access_write(*, country: Country, subject, out: BinaryIO) -> dict[str, Any]:
    """Write the person's zip to `out` (inside no transaction of its own). Returns the manifest."""
    manifest: dict[str, Any] = {
        "country": country.code,
        "subject": subject.pk,
        "generated_at": timezone.now().isoformat(),
        "key_id": signing.public_key_id(),
        "tables": {},
        "files": {},
    }

    def put(archive: zipfile.ZipFile, name: str, data: bytes, **extra) -> None:
        archive.writestr(name, data)
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), **extra}

    with country_state_memo(), zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with country_context(country):
            memberships = [
                row_of(m, columns_of(Membership)) for m in Membership.objects.filter(country=country, user=subject)
            ]
            tokens = list(ApiToken.objects.filter(user=subject).order_by("created_at").values(*TOKEN_FIELDS))
            person = {
                "account": {name: plain(getattr(subject, name)) for name in ACCOUNT_FIELDS},
                "memberships": memberships,
                "api_tokens": [{k: plain(v) for k, v in token.items()} for token in tokens],
            }
            put(archive, "person.json", json.dumps(person, indent=2, ensure_ascii=False).encode("utf-8"))
            links = dict(holdings.person_links())
            for model, keys in sorted(links.items(), key=lambda item: item[0]._meta.label):
                rows = model.objects.filter(_names(Q(), keys, subject), country_id=country.pk).order_by("pk")
                columns = columns_of(model)
                lines = [json.dumps(row_of(obj, columns), ensure_ascii=False, default=str) for obj in rows]
                if lines:
                    label = model._meta.label_lower
                    put(archive, f"data/{label}.jsonl", ("\n".join(lines) + "\n").encode("utf-8"), rows=len(lines))
                    manifest["tables"][label] = len(lines)
            for linked in holdings.linked_rows():
                parent_field = linked.model._meta.get_field(linked.via)
                parent_keys = links.get(parent_field.remote_field.model)
                if not parent_keys:
                    continue
                parents = parent_field.remote_field.model.objects.filter(
                    _names(Q(), parent_keys, subject), country_id=country.pk
                )
                rows = linked.model.objects.filter(country_id=country.pk, **{f"{linked.via}__in": parents})
                columns = columns_of(linked.model)
                lines = [
                    json.dumps(row_of(obj, columns), ensure_ascii=False, default=str) for obj in rows.order_by("pk")
                ]
                if lines:
                    label = linked.model._meta.label_lower
                    put(archive, f"data/{label}.jsonl", ("\n".join(lines) + "\n").encode("utf-8"), rows=len(lines))
                    manifest["tables"][label] = len(lines)
            for kind in holdings.stored_files():
                keys = links.get(kind.model)
                if not keys:
                    continue
                entries, _missing = files_write(
                    archive, kind, kind.model.objects.filter(_names(Q(), keys, subject), country_id=country.pk)
                )
                manifest["files"].update(entries)
            events = (
                CountryEvent.objects.filter(country_id=country.pk, actor_id=subject.pk, sequence__isnull=False)
                .order_by("sequence")
                .values_list(*ledger.EVENT_COLUMNS)
            )
            lines = []
            for row in events:
                fields = ledger.event_fields(
                    chain=country.code, **dict(zip(ledger.EVENT_COLUMNS[:-1], row[:-1], strict=True))
                )
                lines.append(json.dumps({**fields, "hash": row[-1]}, sort_keys=True, ensure_ascii=False))
            put(
                archive,
                "ledger/events.jsonl",
                ("\n".join(lines) + "\n" if lines else "").encode("utf-8"),
                rows=len(lines),
            )
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", signing.sign(manifest_bytes))
        archive.writestr("ledger-key.pem", signing.public_key_pem())
        archive.writestr(
            "README.txt",
            README.format(country=country.name, username=subject.get_username(), when=manifest["generated_at"]),
        )
    return manifest


@transaction.atomic
def subject_access_request(
    *, country: Country, membership: Membership, by, access: Access | None
) -> SubjectAccessExport:
    if access is None or not access.is_country_admin(country.pk):
        raise NotAllowed(
            _("Only a country admin of %(name)s can ask for everything held about a person.")
            % {"name": country.display_name}
        )
    with country_context(country):
        request = SubjectAccessExport.objects.create(country=country, subject_id=membership.user_id, requested_by=by)
        event_record(
            country=country,
            action="subject_access.requested",
            actor=by,
            actor_role="country_admin",
            target=request,
            payload={"member": membership.pk},
        )
        outbox_enqueue(task=TASK, country_id=country.pk, request_id=request.pk)
    return request


def subject_access_build(*, request_id: int, country_id: int) -> SubjectAccessExport:
    """Build the zip (run by a worker) and keep it in the default storage. Idempotent."""
    with country_context(country_id):
        request = SubjectAccessExport.objects.select_related("country", "subject").get(pk=request_id)
        if request.state == SubjectAccessExport.State.DONE:
            return request
        SubjectAccessExport.objects.filter(pk=request_id).update(state=SubjectAccessExport.State.RUNNING)
    country = request.country
    try:
        with tempfile.TemporaryFile() as scratch:
            manifest = subject_access_write(country=country, subject=request.subject, out=scratch)
            size = scratch.tell()
            scratch.seek(0)
            # A name nobody can guess, under the country: the storage may be shared object storage.
            wanted = f"subject-access/{country.code.lower()}/{request_id}-{secrets.token_hex(8)}.zip"
            # Under the country's key; for a country that left (its key is gone), under a key of
            # its own, wrapped by the master key, until it expires.
            name, size, sha256 = files.file_save(
                row=request, name=wanted, content=scratch, own_key=files.keys_destroyed(country.pk)
            )
    except Exception as error:
        with country_context(country_id):
            SubjectAccessExport.objects.filter(pk=request_id).update(
                state=SubjectAccessExport.State.FAILED, error=type(error).__name__
            )
        raise
    now = timezone.now()
    with country_context(country_id):
        SubjectAccessExport.objects.filter(pk=request_id).update(
            state=SubjectAccessExport.State.DONE,
            file_name=name,
            size=size,
            sha256=sha256,
            finished_at=now,
            expires_at=now + timedelta(days=SUBJECT_ACCESS_TTL_DAYS),
            error="",
        )
        event_record(
            country=country,
            action="subject_access.completed",
            target=request,
            # How many of the chain's events it holds (the person's own): part of the record left with it.
            payload={"sha256": sha256, "bytes": size, "events": manifest["files"]["ledger/events.jsonl"]["rows"]},
        )
        return SubjectAccessExport.objects.select_related("subject").get(pk=request_id)


def subject_access_downloadable(request: SubjectAccessExport) -> bool:
    return (
        request.state == SubjectAccessExport.State.DONE
        and bool(request.file_name)
        and (request.expires_at is None or request.expires_at > timezone.now())
    )


def subject_access_open(*, country: Country, request: SubjectAccessExport, by, actor_role: str):
    """The zip, opened from storage for a download that goes on the record."""
    handle = files.file_open(row=request, name=request.file_name)
    event_record(
        country=country,
        action="subject_access.downloaded",
        actor=by,
        actor_role=actor_role,
        target=request,
        payload={"sha256": request.sha256, "bytes": request.size},
    )
    return handle


def subject_access_expire(*, now=None) -> int:
    """Delete the zips past their expiry; the rows stay as the record and say the file is gone."""
    now = now or timezone.now()
    removed = 0
    for country in Country.objects.order_by("pk"):
        with country_context(country):
            for request in SubjectAccessExport.objects.filter(expires_at__lt=now).exclude(file_name=""):
                files.file_delete(request.file_name)
                SubjectAccessExport.objects.filter(pk=request.pk).update(file_name="")
                event_record(
                    country=country, action="subject_access.expired", target=request, payload={"sha256": request.sha256}
                )
                removed += 1
    return removed


def subject_access_list(*, country: Country):
    return SubjectAccessExport.objects.filter(country=country).order_by("-created_at", "-pk")


def subject_access_get(*, country: Country, pk: int) -> SubjectAccessExport | None:
    return subject_access_list(country=country).filter(pk=pk).first()
