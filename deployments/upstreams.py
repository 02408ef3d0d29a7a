"""A country's own in-country model servers: a country admin declares one per region (its
OpenAI-compatible base URL and key); the gateway then sends that region's calls of the country's
environments there instead of the platform's upstream. The key is sealed under the country's key,
written once and never shown again; every change is on the record and republishes the policies of
the environments it serves."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.access import Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record

from . import published
from .models import CountryUpstream, Environment
from .policy import policy_changed

MAX_KEY = 500


def _admin(access: Access, country: Country) -> str:
    role = access.role_in(country.pk) or ""
    if role != Membership.Role.COUNTRY_ADMIN:
        raise NotAllowed(
            _("Only a country admin of %(country)s can change its model servers.") % {"country": country.display_name}
        )
    return role


def _republish(country: Country, region: str) -> None:
    for environment in Environment.objects.filter(country=country, region=region).exclude(
        state=Environment.State.DECOMMISSIONED
    ):
        policy_changed(environment=environment)


def clean_base_url(value: str) -> str:
    value = (value or "").strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError(
            _("Enter the server's address, starting with https:// (or http:// inside your network)."), field="base_url"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ServiceError(
            _("Give the address alone: the key goes in its own field, never in the address."), field="base_url"
        )
    if len(value) > 300:
        raise ServiceError(_("Keep the address under 300 characters."), field="base_url")
    try:
        port = parts.port  # raises on a port that is not a number or above 65535
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ServiceError(_("The port in the address must be a number from 1 to 65535."), field="base_url")
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        raise ServiceError(
            _("The server's name is not a host name: each part between dots is 1 to 63 letters, digits or hyphens."),
            field="base_url",
        ) from None
    if published.country_host_refusal(parts.hostname, published.country_networks(settings.COUNTRY_NETWORKS)):
        raise ServiceError(
            _(
                "The portal does not send calls to this address: it is inside the platform's own network or "
                "reserved (loopback, link-local, private). Give your server's public address, or ask the "
                "platform's operators to open your network's range."
            ),
            field="base_url",
        )
    return value


@transaction.atomic
def country_upstream_set(
    *, country: Country, region: str, name: str, base_url: str, api_key: str, by, access: Access
) -> CountryUpstream:
    """Declare (or replace) the country's server for a region."""
    role = _admin(access, country)
    if region not in Country.Region.values:
        raise ServiceError(_("Choose a region from the list."), field="region")
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ServiceError(_("Name the server (up to 120 characters)."), field="name")
    base_url = clean_base_url(base_url)
    api_key = (api_key or "").strip()
    if len(api_key) > MAX_KEY or any(ord(c) < 33 or ord(c) > 126 for c in api_key):
        raise ServiceError(_("The key is up to 500 printable characters, without spaces."), field="api_key")
    with country_context(country):
        upstream = CountryUpstream.objects.select_for_update().filter(country=country, region=region).first()
        if upstream is None:
            upstream = CountryUpstream(country=country, region=region, created_by=by)
        upstream.name, upstream.base_url, upstream.api_key = name, base_url, api_key
        upstream.save()
        event_record(
            country=country,
            action="gateway.upstream_set",
            actor=by,
            actor_role=role,
            target=upstream,
            payload={"upstream": upstream.pk, "region": region, "with_key": bool(api_key)},
        )
        _republish(country, region)
    return upstream


@transaction.atomic
def country_upstream_remove(*, upstream: CountryUpstream, by, access: Access, reason: str) -> None:
    """Remove a country's model server (its region's calls go to the platform's upstream again),
    with the reason given kept sealed beside the record."""
    country = Country.objects.get(pk=upstream.country_id)
    role = _admin(access, country)
    reason = reason_clean(reason)
    with country_context(country):
        found = CountryUpstream.objects.select_for_update().filter(pk=upstream.pk).first()
        if found is None:
            raise ServiceError(_("That server was already removed."))
        event_record(
            country=country,
            action="gateway.upstream_removed",
            actor=by,
            actor_role=role,
            target=found,
            payload={
                "upstream": found.pk,
                "region": found.region,
                **reason_record(country=country, action="gateway.upstream_removed", target=found, by=by, reason=reason),
            },
        )
        region = found.region
        found.delete()
        _republish(country, region)
