"""Each country's identity provider: reads (by country, by email domain, as allauth apps) and
writes by a country admin or a platform admin, each on the record. The client secret is sealed
under the country's key and is only opened to build the app for a sign-in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.access import Access, access_changed
from tenants.errors import NotAllowed, ServiceError
from tenants.identity.models import IdentityProvider
from tenants.isolation import country_context
from tenants.models import Country, Membership, Organisation
from tenants.networks import country_host_refusal, country_networks
from tenants.record.ledger import event_record, platform_event_record

PROVIDER_CLASS_ID = "government"
# The advisory lock under which a provider's domains are checked and saved (its first key; the
# ledger's chains use 1347375700).
DOMAINS_LOCK = 1229210960
# Mail services anyone can have an address at: a provider listing one would speak for whoever
# holds an address there. A domain lists one country's people only.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "126.com", "163.com", "aol.com", "bol.com.br", "fastmail.com", "free.fr", "gmail.com", "gmx.com",
        "gmx.de", "gmx.net", "googlemail.com", "hey.com", "hotmail.co.uk", "hotmail.com", "hotmail.fr",
        "icloud.com", "laposte.net", "libero.it", "live.com", "live.fr", "mac.com", "mail.com", "mail.ru",
        "me.com", "msn.com", "orange.fr", "outlook.com", "outlook.fr", "pm.me", "proton.me", "protonmail.com",
        "qq.com", "rediffmail.com", "sfr.fr", "terra.com.br", "tutanota.com", "uol.com.br", "wanadoo.fr",
        "web.de", "yahoo.co.uk", "yahoo.com", "yahoo.com.br", "yahoo.fr", "yandex.com", "yandex.ru",
        "ymail.com", "zoho.com",
    }
)  # fmt: skip
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EDITABLE = (
    "name",
    "issuer",
    "client_id",
    "allowed_domains",
    "organisation_claim",
    "organisation_map",
    "role_claim",
    "role_map",
    "default_organisation",
    "default_role",
    "jit_enabled",
    "trust_provider_mfa",
    "mfa_acr_values",
    "enabled",
)


# --- Reads ------------------------------------------------------------------------------------------


def _all_countries() -> list[int]:
    return list(Country.objects.values_list("pk", flat=True))


def identity_provider_get(*, country: Country) -> IdentityProvider | None:
    with country_context(country):
        return IdentityProvider.objects.select_related("country").filter(country=country).first()


def identity_provider_list_enabled() -> list[IdentityProvider]:
    """Every country's enabled provider (the sign-in page is before any country is known)."""
    with country_context(_all_countries()):
        return list(IdentityProvider.objects.select_related("country").filter(enabled=True).order_by("country__name"))


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    domain = (email or "").rpartition("@")[2].strip().lower()
    if not domain:
        return None
    for provider in identity_provider_list_enabled():
        if domain in provider.allowed_domains:
            return provider
    return None


def identity_provider_for_code(code: str) -> IdentityProvider | None:
    code = (code or "").strip().upper()
    return next((p for p in identity_provider_list_enabled() if p.country.code == code), None)


PROVIDER_ID = re.compile(r"gov-([a-z]{2})")


def identity_provider_by_provider_id(provider_id: str) -> IdentityProvider | None:
    match = PROVIDER_ID.fullmatch(provider_id or "")
    if not match:
        return None
    provider = identity_provider_for_code(match[1])
    return provider


def provider_country_codes(user_id: int | None) -> frozenset[str]:
    """The countries (ISO codes) whose providers sign in to this account: those it is linked to,
    whether or not the provider is enabled today (a country can turn its provider on again)."""
    from allauth.socialaccount.models import SocialAccount

    if not user_id:
        return frozenset()
    links = SocialAccount.objects.filter(user_id=user_id).values_list("provider", flat=True)
    return frozenset(match[1].upper() for link in links if (match := PROVIDER_ID.fullmatch(link)))


def social_app_for(provider: IdentityProvider):
    """allauth's app for this provider, built from the row (never stored in allauth's own table,
    so the secret stays sealed at rest)."""
    from allauth.socialaccount.models import SocialApp

    with country_context(provider.country_id):
        secret = str(provider.client_secret)
    return SocialApp(
        provider=PROVIDER_CLASS_ID,
        provider_id=provider.provider_id,
        name=provider.name,
        client_id=provider.client_id,
        secret=secret,
        settings={
            "server_url": provider.issuer.rstrip("/"),
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
            "country_id": provider.country_id,
        },
    )


def email_domain_allowed(provider: IdentityProvider, email: str) -> bool:
    domain = (email or "").rpartition("@")[2].strip().lower()
    return bool(domain) and domain in provider.allowed_domains


def placement_for(provider: IdentityProvider, claims: dict) -> tuple[Organisation | None, str]:
    """The organisation and role a new account of this provider gets, from its claims (mapped by
    the country) or the provider's defaults. Only membership roles: never oversight."""
    organisation_id = None
    if provider.organisation_claim:
        organisation_id = (provider.organisation_map or {}).get(str(claims.get(provider.organisation_claim, "")))
    role = provider.default_role
    if provider.role_claim:
        mapped = (provider.role_map or {}).get(str(claims.get(provider.role_claim, "")))
        if mapped in Membership.Role.values:
            role = mapped
    with country_context(provider.country_id):
        organisation = None
        if organisation_id is not None:
            organisation = Organisation.objects.filter(pk=_int(organisation_id)).first()
        if organisation is None and provider.default_organisation_id:
            organisation = Organisation.objects.filter(pk=provider.default_organisation_id).first()
    return organisation, role


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Writes -----------------------------------------------------------------------------------------


def identity_provider_validate(*, country: Country, data: dict) -> dict:
    """The cleaned fields of a provider, or ServiceError naming the field at fault."""
    clean = {key: data[key] for key in EDITABLE if key in data}
    issuer = str(clean.get("issuer", "")).strip().rstrip("/")
    parts = urlsplit(issuer)
    local = parts.hostname in {"127.0.0.1", "localhost"}
    if parts.scheme not in {"https", "http"} or not parts.hostname or (parts.scheme == "http" and not local):
        raise ServiceError(_("Enter the issuer as an https:// address, e.g. https://id.example.gov."), field="issuer")
    if country_host_refusal(parts.hostname, country_networks(settings.COUNTRY_NETWORKS)):
        raise ServiceError(
            _(
                "The portal does not call this address: it is inside the platform's own network or reserved "
                "(loopback, link-local, private). Give your provider's public address, or ask the platform's "
                "operators to open your network's range."
            ),
            field="issuer",
        )
    clean["issuer"] = issuer
    if not str(clean.get("name", "")).strip():
        raise ServiceError(_("Enter the name people will see on the sign-in button."), field="name")
    if not str(clean.get("client_id", "")).strip():
        raise ServiceError(_("Enter the client id the provider gave the portal."), field="client_id")
    domains = [str(d).strip().lower() for d in clean.get("allowed_domains") or [] if str(d).strip()]
    if not domains:
        raise ServiceError(_("Enter at least one email domain whose people may sign in."), field="allowed_domains")
    bad = [d for d in domains if not DOMAIN.match(d)]
    if bad:
        raise ServiceError(
            _("%(domain)s is not a domain name. Enter domains like interieur.gouv.fr, one a line.")
            % {"domain": bad[0]},
            field="allowed_domains",
        )
    public = [d for d in domains if d in PUBLIC_MAIL_DOMAINS]
    if public:
        raise ServiceError(
            _(
                "%(domain)s is a public mail service: anyone can have an address there, so it cannot say who "
                "works for your government. Enter your administrations' own domains."
            )
            % {"domain": public[0]},
            field="allowed_domains",
        )
    taken = sorted(set(domains) & _domains_of_other_countries(country))
    if taken:
        raise ServiceError(
            _(
                "%(domain)s is already a domain of another country's sign-in service, and a domain signs people "
                "in to one country only. Remove it here, or ask the platform's operators if it belongs to your "
                "country."
            )
            % {"domain": taken[0]},
            field="allowed_domains",
        )
    clean["allowed_domains"] = sorted(set(domains))
    for name in ("organisation_map", "role_map"):
        if not isinstance(clean.get(name, {}), dict):
            raise ServiceError(_("The mapping must be a JSON object."), field=name)
    for value in (clean.get("role_map") or {}).values():
        if value not in Membership.Role.values:
            raise ServiceError(
                _("Map claims only to the roles country_admin, officer or viewer, not %(role)s.") % {"role": value},
                field="role_map",
            )
    organisation = clean.get("default_organisation")
    if organisation is not None and organisation.country_id != country.pk:
        raise ServiceError(_("Choose one of this country's organisations."), field="default_organisation")
    if clean.get("jit_enabled") and organisation is None:
        raise ServiceError(
            _("Choose the organisation new accounts join, or turn off creating accounts on first sign-in."),
            field="default_organisation",
        )
    if clean.get("default_role", Membership.Role.VIEWER) not in Membership.Role.values:
        raise ServiceError(_("Choose a role: country admin, officer or viewer."), field="default_role")
    return clean


def trust_withdrawn(provider: IdentityProvider, clean: dict) -> bool:
    """Whether this change takes away trust the provider's vouching stood on: the country stops
    trusting its second factor, the provider is turned off, an acr value that meant multi-factor is
    no longer one, or another server becomes the provider. Vouching given before then ends."""

    def after(name):
        return clean.get(name, getattr(provider, name))

    return (
        (provider.trust_provider_mfa and not after("trust_provider_mfa"))
        or (provider.enabled and not after("enabled"))
        or bool(set(provider.mfa_acr_values or []) - set(after("mfa_acr_values") or []))
        or provider.issuer != after("issuer")
    )


def _domains_of_other_countries(country: Country) -> set[str]:
    """The email domains every other country's provider lists, enabled or not."""
    with country_context(_all_countries()):
        rows = IdentityProvider.objects.exclude(country=country).values_list("allowed_domains", flat=True)
        return {str(domain).lower() for domains in rows for domain in domains or []}


def _domains_lock() -> None:
    """One provider's domains are checked against the others' and saved at a time: two countries
    claiming the same domain at once cannot both pass the check (PostgreSQL; SQLite writes one at a
    time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [DOMAINS_LOCK])


@transaction.atomic
def identity_provider_save(
    *, country: Country, by, access: Access, data: dict, client_secret: str | None = None
) -> IdentityProvider:
    """Create or change the country's provider (its country admin, or a platform admin). An empty
    `client_secret` keeps the one stored. Recorded on the country's chain and the platform chain."""
    if not (access.is_country_admin(country.pk) or access.is_platform_admin):
        raise NotAllowed(_("Only a country admin of this country or a platform admin can do this."))
    _domains_lock()
    clean = identity_provider_validate(country=country, data=data)
    with country_context(country):
        provider = IdentityProvider.objects.select_for_update().filter(country=country).first()
        created = provider is None
        if created:
            if not client_secret:
                raise ServiceError(_("Enter the client secret the provider gave the portal."), field="client_secret")
            provider = IdentityProvider(country=country)
        changed = sorted(k for k, v in clean.items() if getattr(provider, k, None) != v)
        if not created and trust_withdrawn(provider, clean):
            provider.vouching_since = timezone.now()
        for key, value in clean.items():
            setattr(provider, key, value)
        if client_secret:
            provider.client_secret = client_secret
            changed.append("client_secret")
        provider.save()
        role = "platform" if not access.is_country_admin(country.pk) else Membership.Role.COUNTRY_ADMIN
        action = "identity_provider.created" if created else "identity_provider.changed"
        payload = {"fields": sorted(set(changed)), "enabled": provider.enabled, "jit": provider.jit_enabled}
        event_record(country=country, action=action, actor=by, actor_role=role, target=provider, payload=payload)
        platform_event_record(action=action, actor=by, actor_role=role, target=country, payload=payload)
    return provider


@transaction.atomic
def identity_provider_delete(*, country: Country, by, access: Access) -> None:
    if not (access.is_country_admin(country.pk) or access.is_platform_admin):
        raise NotAllowed(_("Only a country admin of this country or a platform admin can do this."))
    with country_context(country):
        provider = IdentityProvider.objects.filter(country=country).first()
        if provider is None:
            return
        role = "platform" if not access.is_country_admin(country.pk) else Membership.Role.COUNTRY_ADMIN
        event_record(country=country, action="identity_provider.removed", actor=by, actor_role=role, target=provider)
        platform_event_record(action="identity_provider.removed", actor=by, actor_role=role, target=country)
        provider.delete()


@transaction.atomic
def country_second_factor_set(*, country: Country, by, access: Access, required: bool) -> bool:
    """Whether everyone of the country needs a second factor (its country admin, or a platform
    admin). Recorded on the country's chain and the platform chain when it changes."""
    if not (access.is_country_admin(country.pk) or access.is_platform_admin):
        raise NotAllowed(_("Only a country admin of this country or a platform admin can do this."))
    changed = Country.objects.filter(pk=country.pk).exclude(mfa_required=required).update(mfa_required=required)
    if changed:
        # .update() sends no signal: answers cached under the old rule (a token's) must not outlive it.
        access_changed()
        country.mfa_required = required
        role = "platform" if not access.is_country_admin(country.pk) else Membership.Role.COUNTRY_ADMIN
        payload = {"mfa_required": required}
        event_record(
            country=country,
            action="country.second_factor_changed",
            actor=by,
            actor_role=role,
            target=country,
            payload=payload,
        )
        platform_event_record(
            action="country.second_factor_changed", actor=by, actor_role=role, target=country, payload=payload
        )
    return bool(changed)


@transaction.atomic
def country_sign_in_save(
    *, country: Country, by, access: Access, mfa_required: bool, provider_data: dict | None, client_secret: str | None
) -> None:
    """A country's sign-in settings in one change: the second factor for everyone and, if given,
    its provider. A refusal of either changes neither."""
    country_second_factor_set(country=country, by=by, access=access, required=mfa_required)
    if provider_data is not None:
        identity_provider_save(country=country, by=by, access=access, data=provider_data, client_secret=client_secret)
