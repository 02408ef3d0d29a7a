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
