"""Each environment's effective policy, published to Redis for the governed gateway.

Services call `policy_changed` in the transaction of every change of an environment, its request's
conditions or its credentials: it moves the environment's policy version on and writes an outbox
job. A worker then runs `policy_publish`, which reads the environment as it is now, builds the
policy (deployments.published.Policy) and writes it with the live credentials' hashes in one Redis
script that refuses to go back to an older version, then tells every gateway replica on a channel.
A Redis outage therefore delays a policy (the job is retried), and never fails a portal change."""

from __future__ import annotations

import calendar
import logging
import threading
from datetime import UTC, date, datetime, timedelta

import redis
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from engagements import selectors as engagement_selectors
from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage
from tenants.jobs.outbox import outbox_enqueue
from tenants.keys.fields import Unreadable
from tenants.models import Country

from . import published
from .backends import provisioner
from .models import CountryUpstream, Credential, DeploymentRequest, Environment

log = logging.getLogger(__name__)
PUBLISH_TASK = "deployments.policy_publish"

_client: redis.Redis | None = None
_client_lock = threading.Lock()


def redis_client() -> redis.Redis:
    global _client
    with _client_lock:
        if _client is None:
            _client = redis.Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
                socket_timeout=settings.REDIS_TIMEOUT,
            )
        return _client


def keys() -> published.Keys:
    return published.Keys(getattr(settings, "GATEWAY_REDIS_PREFIX", "") or published.DEFAULT_PREFIX)


def gateway_key() -> bytes:
    development = settings.DEBUG or getattr(settings, "TESTING", False) or getattr(settings, "EMBEDDED", False)
    return published.gateway_key_load(var_dir=settings.VAR_DIR, create=development)


def policy_changed(*, environment: Environment) -> None:
    """In the caller's transaction (inside the country's context): a new policy version, and the
    job that publishes it once the transaction commits."""
    Environment.objects.filter(pk=environment.pk).update(policy_version=F("policy_version") + 1)
    outbox_enqueue(task=PUBLISH_TASK, country_id=environment.country_id, environment_id=environment.pk)


def country_leaving_received(sender, leaving: bool, **kwargs) -> None:
    """A country's exit is run (or a failed run cancelled): every environment of it not
    decommissioned gets a new policy version, published after the commit, in which it takes no
    calls while the country leaves or has left (or takes them again)."""
    _country_policies_changed(sender)


def engagement_standing_received(sender, standing: str, **kwargs) -> None:
    """The country's engagement became active, suspended, or neither (closed, or a new one not yet
    active): every environment of it not decommissioned gets a new policy version, published after
    the commit, in which it takes calls only while the engagement is active."""
    _country_policies_changed(sender)


def _country_policies_changed(country_id: int) -> int:
    """A new policy version for every environment of the country not decommissioned (in its
    context); returns how many."""
    environments = list(
        Environment.objects.filter(country_id=country_id).exclude(state=Environment.State.DECOMMISSIONED)
    )
    for environment in environments:
        policy_changed(environment=environment)
    return len(environments)


def policies_republish() -> tuple[int, list[str]]:
    """Every environment's policy published again, with a new version (after Redis lost its data, or
    the gateway's policy key changed): (how many environments, the codes of the countries skipped
    because they left or are leaving, whose environments the gateway refuses anyway)."""
    from tenants.country_state import country_states

    count, skipped = 0, []
    countries = list(Country.objects.order_by("code"))
    states = country_states([country.pk for country in countries])
    for country in countries:
        if states[country.pk].read_only:
            skipped.append(country.code)
            continue
        with country_context(country):
            count += _country_policies_changed(country.pk)
    return count, skipped


# How many policies one round trip to Redis reads when the check looks for missing ones.
CHECK_BATCH = 1000
# A publication handed to the broker this recently may still be on its way: the check leaves it be.
CHECK_GRACE = timedelta(minutes=1)


def policies_missing_republish() -> int:
    """Beat, every minute: every environment whose policy Redis does not hold, or holds at an older
    version than the portal's (Redis restarted without its data, a failover, an eviction), is
    published again through the outbox at its current version. One query for the environments, one
    for the publications already on their way, one MGET per CHECK_BATCH policies. Countries that
    left or are leaving are skipped, as by publish_policies (the gateway refuses their calls anyway).
    Returns how many were queued."""
    from tenants.country_state import country_states

    countries = list(Country.objects.values_list("pk", flat=True))
    states = country_states(countries)
    countries = [pk for pk in countries if not states[pk].read_only]
    if not countries:
        return 0
    with country_context(countries):
        rows = list(
            Environment.objects.exclude(state=Environment.State.DECOMMISSIONED).values_list(
                "pk", "country_id", "policy_version"
            )
        )
        # Not yet handed to the broker, or handed over a moment ago (by the outbox's pending index).
        recent = Q(published_at__isnull=True) | Q(published_at__gte=timezone.now() - CHECK_GRACE)
        on_the_way = set(
            OutboxMessage.objects.filter(recent, task=PUBLISH_TASK).values_list("kwargs__environment_id", flat=True)
        )
    names, client = keys(), redis_client()
    missing: dict[int, list[int]] = {}
    for start in range(0, len(rows), CHECK_BATCH):
        batch = rows[start : start + CHECK_BATCH]
        held = client.mget([names.policy(environment_id) for environment_id, _, _ in batch])
        for (environment_id, country_id, version), raw in zip(batch, held):
            parsed = published.policy_parse(raw)
            if (parsed is None or parsed[0] < version) and environment_id not in on_the_way:
                missing.setdefault(country_id, []).append(environment_id)
    for country_id, environment_ids in missing.items():
        with country_context(country_id):
            for environment_id in environment_ids:
                outbox_enqueue(task=PUBLISH_TASK, country_id=country_id, environment_id=environment_id)
    count = sum(len(ids) for ids in missing.values())
    if count:
        log.warning("Gateway policies missing from Redis or out of date: %s queued for publishing again", count)
    return count


def _state(environment: Environment) -> str:
    if environment.country.status in (Country.Status.EXITING, Country.Status.EXITED):
        return "country_left"
    if environment.request.state == DeploymentRequest.State.DECOMMISSIONED:
        return "decommissioned"
    if environment.state != Environment.State.ACTIVE:
        return environment.state
    # The approval rests on the engagement: calls only while the country's engagement is active.
    standing = engagement_selectors.engagement_standing(country=environment.country)
    if standing != engagement_selectors.Standing.ACTIVE:
        return standing
    if environment.gateway_stopped_at is not None:
        return "stopped"
    return "active"


def _expires_at(environment: Environment) -> int | None:
    if environment.expires_on is None:
        return None
    # Valid through the whole of its last day (UTC); the calendar's last day has no day after it.
    last = min(environment.expires_on, date.max - timedelta(days=1))
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return calendar.timegm(end.utctimetuple())


def upstream_for(
    *, region: str, classification: str, country_id: int | None = None
) -> tuple[str | None, str | None, str, bool]:
    """(url, key, refusal, declared) of the upstream that may serve an environment of this region
    and data classification: the country's own server for the region (in the caller's country
    context; `declared`: the gateway checks where it resolves), else the region's upstream, else the
    catch-all one, which confidential and personal data never use (they stay with an upstream
    declared for their region)."""
    if country_id is not None:
        mine = CountryUpstream.objects.filter(country_id=country_id, region=region).first()
        if mine is not None:
            if isinstance(mine.api_key, Unreadable):
                return None, None, f"the key of the country's own server for {region} can no longer be opened", True
            return mine.base_url, mine.api_key or None, "", True
    own = (getattr(settings, "GATEWAY_UPSTREAMS", {}) or {}).get(region)
    if own and own.get("url"):
        return own["url"], own.get("key") or None, "", False
    default = getattr(settings, "GATEWAY_UPSTREAM_URL", "")
    if default and classification in published.RESIDENT_ONLY:
        return (
            None,
            None,
            f"data classified {classification} must stay in {region}, and no upstream is declared for {region}",
            False,
        )
    if default:
        return default, getattr(settings, "GATEWAY_UPSTREAM_KEY", "") or None, "", False
    return None, None, f"no upstream serves the region {region}", False


def policy_build(*, environment: Environment, request: DeploymentRequest, version: int) -> published.Policy:
    own = environment.upstream_key
    declared = False
    if isinstance(own, Unreadable):
        url, key, refusal = None, None, "the environment's upstream key can no longer be opened"
    elif own:
        # Provisioned with an upstream of its own (an OpenAI project made for the approved region).
        url, key, refusal = provisioner().upstream_url() or None, own, ""
    else:
        url, key, refusal, declared = upstream_for(
            region=environment.region, classification=request.data_classification, country_id=environment.country_id
        )
    sealed = (
        published.seal_for_gateway(gateway_key(), key, environment_id=environment.pk, version=version) if key else None
    )
    return published.Policy(
        environment=environment.pk,
        country=environment.country_id,
        state=_state(environment),
        model=environment.model.slug,
        capabilities=sorted(request.capabilities or []),
        region=environment.region,
        classification=request.data_classification,
        quota=environment.monthly_token_quota,
        requests_per_minute=environment.requests_per_minute,
        expires_at=_expires_at(environment),
        human_review=environment.human_review_required,
        capture=environment.capture_calls,
        upstream_url=url,
        upstream_key=sealed,
        upstream_refusal=refusal,
        upstream_declared=declared,
    )


def policy_publish(*, country_id: int, environment_id: int) -> bool:
    """Publish the environment's policy as it is now (worker). Returns False when Redis already
    holds a newer version. Redis errors propagate: the task retries with backoff."""
    country = Country.objects.get(pk=country_id)
    with country_context(country):
        environment = (
            Environment.objects.select_related("model", "request", "country")
            .filter(pk=environment_id, country=country)
            .first()
        )
        if environment is None:
            return False
        live = list(
            Credential.objects.filter(environment=environment, revoked_at__isnull=True).values_list(
                "key_hash", flat=True
            )
        )
        if environment.state == Environment.State.DECOMMISSIONED:
            live = []
        policy = policy_build(environment=environment, request=environment.request, version=environment.policy_version)
        now = timezone.now()
        used_floor = environment.tokens_used if environment.usage_month == now.strftime("%Y-%m") else 0
    names = keys()
    client = redis_client()
    done = client.eval(
        published.PUBLISH_SCRIPT,
        2,
        names.policy(environment_id),
        names.environment_credentials(environment_id),
        environment.policy_version,
        published.policy_json(policy.as_dict()),
        names.channel,
        environment_id,
        names.prefix,
        published.REVOKED_MARKER_SECONDS,
        *live,
    )
    # After a loss of Redis the month's counter starts again from what the portal has folded.
    if used_floor:
        client.set(
            names.month_used(environment_id, published.month_of(now.timestamp())),
            used_floor,
            nx=True,
            ex=40 * 24 * 3600,
        )
    log.info(
        "Gateway policy of environment %s: version %s %s",
        environment_id,
        environment.policy_version,
        "published" if done else "superseded",
    )
    return bool(done)
