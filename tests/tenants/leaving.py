"""Builders shared by the tests of leaving: a French history spread over every app (sealed values,
lists, a transition comment, an incident, stored files of two kinds), and small readers."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date

from django.db import connection

from engagements import services as engagement_services
from engagements.models import Engagement
from governance import evidence, incidents
from governance.models import EvidenceFile, Incident, Requirement
from portal.models import ComplianceReport
from tenants import files
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.keys.export import country_data_export_write
from tenants.models import Membership
from tenants.notifications.models import Notification
from tenants.record.models import CountryEvent

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REPORT = b"PK-not-really-a-zip: a compliance report's bytes"
TERMS = dict(
    sectors=["public_services", "security"],
    capabilities=["text", "embeddings"],
    residency_region="eu-west",
    monthly_token_quota=1_000_000,
    start_date=date(2026, 1, 1),
    end_date=None,
    economic_model="grant",
    conditions="Pricing annex B is confidential.",
)


@dataclass
class History:
    engagement: Engagement
    incident: Incident
    evidence: EvidenceFile
    report: ComplianceReport
    member: Membership


def act(user) -> dict:
    return {"by": user, "access": access_for(user)}


def fr_history(cast) -> History:
    """What France holds once its people have worked for a while, made through the services."""
    with country_context(cast.fr):
        member = Membership.objects.get(user=cast.member)
        member.phone, member.contact_email, member.job_title = "+33 1 23 45 67 89", "marc@numerique.gouv.fr", "Chef"
        member.save()
    engagement = engagement_services.engagement_create(
        country=cast.fr, organisation=cast.fr_ministry, **TERMS, **act(cast.member)
    )
    engagement = engagement_services.engagement_transition(
        engagement=engagement, action="submit", comment="Olga's own words about the plan.", **act(cast.owner)
    )
    incident = incidents.incident_report(
        country=cast.fr,
        title="Wrong benefit refusals",
        severity="serious",
        description="Mme X was refused twice.",
        people_affected=2,
        deployment_reference="DEP-7",
        **act(cast.member),
    )
    requirement = Requirement.objects.order_by("pk").first()
    proof = evidence.evidence_upload(
        country=cast.fr, requirement=requirement, name="proof.pdf", data=PDF, **act(cast.member)
    )
    with country_context(cast.fr):
        report = ComplianceReport.objects.create(
            country=cast.fr,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            requested_by=cast.auditor,
            state="done",
            file_name="fr-pack-test.zip",
            size=len(REPORT),
            sha256=hashlib.sha256(REPORT).hexdigest(),
        )
        Notification.objects.create(country=cast.fr, user=cast.member, subject="Marc, your plan was submitted")
    files.file_save(row=report, name=f"reports/{report.file_name}", content=REPORT, replace=True)
    return History(engagement, incident, proof, report, member)


def export_zip(country) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    country_data_export_write(country=country, out=buffer)
    buffer.seek(0)
    return zipfile.ZipFile(buffer)


def actions(country) -> list[str]:
    with country_context(country):
        return list(CountryEvent.objects.order_by("sequence").values_list("action", flat=True))


def raw(table: str, column: str, pk: int) -> str:
    """A column as stored, read through the country context the caller opened."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    return row[0] if row else None
