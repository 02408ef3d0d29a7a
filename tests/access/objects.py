"""The objects the routes of the matrix name, one of each kind per country, found in the demo data.

`objects_build` yields (kind, object, key): the key is what goes in the URL (usually the pk). A
route names its kind in its entry (`obj="incident"`); a kind with no object in Kenya still serves
France's routes, it only cannot be tried across countries. To add a kind: yield it here."""

from __future__ import annotations

from collections.abc import Iterator


def _first(queryset):
    return queryset.order_by("pk").first()


def _key(obj):
    return None if obj is None else obj.pk


def objects_build(*, country) -> Iterator[tuple[str, object, object]]:
    from deployments.models import DeploymentRequest, Environment
    from deployments.register.models import RegisterEntry, RegisterVersion
    from engagements.models import Engagement
    from governance.models import CountryPolicy, ImpactAssessment, Incident, PolicyVersion
    from tenants.models import Membership, Organisation
    from training.models import Certificate, Enrolment

    organisation = _first(Organisation.objects.all())
    yield "organisation", organisation, _key(organisation)
    member = _first(Membership.objects.filter(role="officer")) or _first(
        Membership.objects.exclude(role="country_admin")
    )
    yield "member", None, _key(member)
    engagement = _first(Engagement.objects.all())
    yield "engagement", engagement, _key(engagement)
    from tenants.conversations.models import MessageAttachment

    on_engagement = _first(
        MessageAttachment.objects.filter(
            message__conversation__subject="engagement",
            message__conversation__subject_id=engagement.pk if engagement else 0,
        )
    )
    yield "engagement_attachment", None, _key(on_engagement)
    policy = _first(CountryPolicy.objects.filter(pk__in=PolicyVersion.objects.values("policy")))
    yield "policy", policy, _key(policy)
    version = PolicyVersion.objects.filter(policy=policy).order_by("-number").first() if policy else None
    yield "policy_version", None, None if version is None else version.number
    assessment = _first(ImpactAssessment.objects.all())
    yield "assessment", assessment, _key(assessment)
    incident = _first(Incident.objects.all())
    yield "incident", incident, _key(incident)
    enrolment = _first(Enrolment.objects.all())
    yield "enrolment", None, _key(enrolment)
    certificate = _first(Certificate.objects.all())
    yield "certificate", None, _key(certificate)
    yield "certificate_code", None, None if certificate is None else certificate.code
    for state in ("draft", "submitted", "approved", "active"):
        found = _first(DeploymentRequest.objects.filter(state=state))
        yield f"request_{state}", found, _key(found)
    submitted = _first(DeploymentRequest.objects.filter(state="submitted"))
    on_request = _first(
        MessageAttachment.objects.filter(
            message__conversation__subject="deployment_request",
            message__conversation__subject_id=submitted.pk if submitted else 0,
        )
    )
    yield "request_attachment", None, _key(on_request)
    environment = _first(Environment.objects.all())
    yield "environment", environment, _key(environment)
    entry = _first(RegisterEntry.objects.all())
    yield "register_entry", None, _key(entry)
    from governance.models import Framework, Requirement
    from training.models import Programme

    framework = _first(Framework.objects.filter(is_current=True, pk__in=Requirement.objects.values("framework")))
    yield "framework", framework, None if framework is None else framework.slug
    requirement = _first(Requirement.objects.filter(framework=framework)) if framework else None
    yield "requirement", None, None if requirement is None else requirement.code
    programme = _first(Programme.objects.all())
    yield "programme_slug", programme, None if programme is None else programme.slug
    published = _first(RegisterVersion.objects.filter(status="published"))
    yield "register_published", None, None if published is None else published.entry_id
    yield "register_version", None, None if published is None else published.number
    yield from _made_here(
        country=country, requirement=requirement, member=None if member is None else member.pk, policy=policy
    )


def _made_here(*, country, requirement, member, policy=None) -> Iterator[tuple[str, object, object]]:
    """Objects the demo does not make, made through the services by the country's admin, as a person
    would: an evidence file, a model server of the country's own, a built compliance report, a built
    data export, a person's erasure waiting for its second admin, a built subject-access zip and a
    draft version of the first policy. Their routes are then tried on real objects of both
    countries, not only at the gate."""
    from deployments.upstreams import country_upstream_set
    from governance.evidence import evidence_upload
    from governance.models import Requirement
    from portal.reports.services import report_build, report_request
    from tenants.access import access_for
    from tenants.keys.erasure import member_erasure_request
    from tenants.keys.export import country_export_build, country_export_request
    from tenants.keys.subject_access import subject_access_build, subject_access_request
    from tenants.models import Membership

    admin = _first(Membership.objects.filter(role="country_admin").select_related("user")).user
    access = access_for(admin)
    found = (
        None
        if requirement is None
        else Requirement.objects.filter(framework=requirement.framework_id, assessable=True).order_by("pk").first()
    )
    if found is not None:
        evidence = evidence_upload(
            country=country,
            requirement=found,
            by=admin,
            access=access,
            name="register-of-processing.txt",
            data=b"Register of processing activities, reviewed.\n",
        )
        yield "evidence", None, evidence.pk
    upstream = country_upstream_set(
        country=country,
        region=country.residency_region,
        name=f"Model server of {country.name}",
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-matrix-only",
        by=admin,
        access=access,
    )
    yield "upstream", upstream, upstream.pk
    from guardian.shortcuts import get_users_with_perms

    from tenants.access import AUDITOR_PERMISSION

    auditor = (
        get_users_with_perms(country, only_with_perms_in=[AUDITOR_PERMISSION.split(".")[-1]]).order_by("pk").first()
    )
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    report = report_request(
        country=country,
        access=access_for(auditor),
        by=auditor,
        period_start=today - dt.timedelta(days=90),
        period_end=today,
    )
    report = report_build(report_id=report.pk, country_id=country.pk)
    yield "report", None, report.pk
    export = country_export_request(country=country, by=admin, actor_role="country_admin", schedule=False)
    export = country_export_build(export_id=export.pk, country_id=country.pk)
    yield "export", None, export.pk
    # Someone other than the member the member routes name, whose own erasure stays possible.
    subject = Membership.objects.exclude(role="country_admin").exclude(pk=member).order_by("pk").first()
    if subject is not None:
        erasure = member_erasure_request(membership=subject, by=admin, access=access, reason="Left the ministry.")
        yield "erasure", None, erasure.pk
        yield "erasure_member", None, subject.pk
        asked = subject_access_request(country=country, membership=subject, by=admin, access=access)
        asked = subject_access_build(request_id=asked.pk, country_id=country.pk)
        yield "subject_access", None, asked.pk
    if policy is not None and not policy.read_only:
        from governance.services import policy_version_create

        latest = policy.versions.order_by("-number").first()
        draft = policy_version_create(
            policy=policy, by=admin, access=access, text=latest.text + "\n\nA draft.", language=latest.language,
            roles=list(latest.roles),
        )  # fmt: skip
        yield "policy_draft", None, draft.number
    yield from _made_for_people(country=country, admin=admin)
    yield from _programme_shared(country=country, admin=admin)


def _made_for_people(*, country, admin) -> Iterator[tuple[str, object, object]]:
    """The country admin's own personal token and passkey (made as the person would: the token
    through its service, the passkey through allauth's add page, answered by a software key), and a
    finished erasure: a person invited and then erased, asked by the admin and confirmed by a second
    admin, invited and joined for it. Only their owner sees the token and the key: every other
    visitor, and the admin of the other country, gets 404."""
    from django.test import Client

    from tenants.access import access_for
    from tenants.identity.tokens import personal_token_create
    from tenants.keys.erasure import member_erasure_confirm, member_erasure_request
    from tenants.services import organisation_create
    from tests.identity.helpers import passkey_register

    _raw, token = personal_token_create(
        user=admin,
        access=access_for(admin),
        name=f"Reporting script of {country.name}",
        country_ids=[country.pk],
        read_only=True,
        days=30,
    )
    yield "token", token, token.pk
    client = Client()
    client.force_login(admin)
    passkey = passkey_register(client, f"Security key of {country.name}")
    yield "passkey", None, passkey.pk
    # In an organisation of their own: the demo's organisations keep their people, so that their
    # requests' gates (every member has acknowledged the policies) stay as the demo leaves them.
    office = organisation_create(
        country=country,
        by=admin,
        access=access_for(admin),
        name=f"Records office of {country.name}",
        kind="public_agency",
    )
    second = _joined(office, admin=admin, role="country_admin", email=f"second-admin@{country.code}.example.org")
    leaver = _joined(office, admin=admin, role="officer", email=f"leaver@{country.code}.example.org")
    erasure = member_erasure_request(membership=leaver, by=admin, access=access_for(admin), reason="Left the ministry.")
    erasure = member_erasure_confirm(erasure=erasure, by=second.user, access=access_for(second.user))
    yield "erasure_done", None, erasure.pk


def _joined(organisation, *, admin, role: str, email: str):
    """A person the admin invites to `organisation` and who accepts (choosing a password): an active
    membership."""
    from tenants.access import access_for
    from tenants.models import Invitation
    from tenants.services import invitation_accept, invitation_token, member_invite

    membership = member_invite(
        country=organisation.country,
        by=admin,
        access=access_for(admin),
        email=email,
        first_name="Sam",
        last_name=role.replace("_", " ").title(),
        organisation=organisation,
        role=role,
    )
    invitation = Invitation.objects.get(membership=membership)
    invitation_accept(token=invitation_token(invitation), password="a-long-enough-passphrase-1")
    membership.refresh_from_db()
    return membership


def _programme_shared(*, country, admin) -> Iterator[tuple[str, object, object]]:
    """A programme the country wrote and shares with the others, and a training requirement of its own
    (the demo's first, or one the admin adds)."""
    from tenants.access import access_for
    from training.authoring import content_parse
    from training.sharing import country_programme_create, country_programme_share

    programme = country_programme_create(
        country=country,
        by=admin,
        access=access_for(admin),
        title=f"Cloud rules of {country.name}",
        summary="For every officer.",
        content=content_parse(PROGRAMME_TEXT),
        pass_mark=50,
    )
    country_programme_share(
        programme=programme, by=admin, access=access_for(admin), reason="Offered to the other countries."
    )
    yield "programme", programme, programme.pk
    from training.models import CountryRequirement, Programme
    from training.services import requirement_add

    requirement = _first(CountryRequirement.objects.all()) or requirement_add(
        country=country,
        by=admin,
        access=access_for(admin),
        programme=_first(Programme.objects.all()),
        role="viewer",
        sector="justice",  # a sector none of the demo's requests is in: their submission stays possible
    )
    yield "training_requirement", None, requirement.pk


PROGRAMME_TEXT = """# Our cloud rules
Where our data may be processed.
? Where may citizen data be processed?
- Anywhere
* In qualified national clouds
"""


def objects_across(*, country) -> Iterator[tuple[str, object, object]]:
    """Objects of a country that are another country's making, found once every country's are made:
    the programme another country shares, which this one may adopt (its own shared ones it may not)."""
    from training.selectors import shared_programme_list

    shared = _first(shared_programme_list(country=country))
    yield "shared_programme", shared, _key(shared)
