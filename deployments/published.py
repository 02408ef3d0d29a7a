"""What deployments publishes for the governed gateway, and how: the Redis keys, the policy's
shape, and the sealing of upstream keys in transit. Free of Django, so that the gateway (which
never opens the portal's database) and the portal's workers share one definition.

Upstream keys are sealed under the country's key in PostgreSQL. The worker that publishes a policy
opens them there and seals them again, for the gateway only, under the gateway key
(GATEWAY_POLICY_KEY: 32 random bytes that only the portal's workers and the gateway hold), bound to
the environment and the policy's version. Redis therefore never holds an upstream key in clear,
and the gateway needs neither the master key (which would open every country's data) nor the
database: it opens a key once per policy version, and keeps it in memory only."""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from tenants.configuration import env_secret_list, env_str
from tenants.ids import digits
from tenants.secret_files import secret_file

SEAL_PREFIX = "gw1"
DEFAULT_PREFIX = "gw"

# Each OpenAI-compatible endpoint family is one capability of the approved request.
CAPABILITY_OF = {
    "chat.completions": "text",
    "responses": "text",
    "embeddings": "embeddings",
    "audio.transcriptions": "speech",
}
# Data classifications, least to most sensitive.
CLASSIFICATIONS = ("public", "internal", "confidential", "personal")
# Classifications that may only travel to an upstream declared for the approved region (a
# region's own upstream, or the country's in-country server), never to the catch-all default.
RESIDENT_ONLY = frozenset({"confidential", "personal"})


class GatewayKeyMissing(RuntimeError):
    """No gateway key is configured where one is required."""


class CannotOpen(ValueError):
    """A sealed upstream key does not open: another environment's, another version's, or altered."""


# --- Keys in Redis -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """The names of everything the portal and the gateway share in Redis, under one prefix."""

    prefix: str = DEFAULT_PREFIX

    def credential(self, key_hash: str) -> str:
        return f"{self.prefix}:cred:{key_hash}"

    def policy(self, environment_id: int) -> str:
        return f"{self.prefix}:policy:{environment_id}"

    def environment_credentials(self, environment_id: int) -> str:
        return f"{self.prefix}:env-creds:{environment_id}"

    @property
    def channel(self) -> str:
        return f"{self.prefix}:policy-changed"

    def month_used(self, environment_id: int, month: str) -> str:
        return f"{self.prefix}:used:{environment_id}:{month}"

    def inflight(self, environment_id: int) -> str:
        return f"{self.prefix}:inflight:{environment_id}"

    def inflight_amounts(self, environment_id: int) -> str:
        return f"{self.prefix}:inflight-amounts:{environment_id}"

    def rate(self, environment_id: int) -> str:
        return f"{self.prefix}:rate:{environment_id}"

    def hour(self, member: str) -> str:
        return f"{self.prefix}:usage:{member}"

    @property
    def hours(self) -> str:
        return f"{self.prefix}:usage-hours"

    @property
    def captured(self) -> str:
        """The stream of captured calls, each sealed for the gateway's workers."""
        return f"{self.prefix}:captured"


def hour_member(country_id: int, environment_id: int, hour_start: int) -> str:
    """How an hour of one environment's usage is named in the set of hours to fold."""
    return f"{country_id}:{environment_id}:{hour_start}"


def hour_member_parse(member: str) -> tuple[int, int, int] | None:
    parts = member.split(":")
    numbers = [digits(p) for p in parts]
    if len(numbers) != 3 or None in numbers:
        return None
    return numbers[0], numbers[1], numbers[2]


def redis_prefix(environ=os.environ) -> str:
    return environ.get("GATEWAY_REDIS_PREFIX", "") or DEFAULT_PREFIX


# --- Publishing a policy atomically --------------------------------------------------------------

# KEYS: policy, environment's credential set. ARGV: version, policy JSON, channel, environment id,
# key prefix, revoked-marker lifetime, then the live credential hashes.
# A policy older than the one in Redis is ignored (jobs may run out of order); credentials that
# are no longer live become revocation markers, so a caller is told its key was revoked.
PUBLISH_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current then
  local v = tonumber(string.match(current, '^(%d+)|'))
  if v and v > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2])
local live = {}
for i = 7, #ARGV do live[ARGV[i]] = true end
for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if not live[h] then
    redis.call('SET', ARGV[5] .. ':cred:' .. h, 'r:' .. ARGV[4], 'EX', tonumber(ARGV[6]))
    redis.call('SREM', KEYS[2], h)
  end
end
for h, _ in pairs(live) do
  redis.call('SET', ARGV[5] .. ':cred:' .. h, ARGV[4])
  redis.call('SADD', KEYS[2], h)
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
"""
REVOKED_MARKER_SECONDS = 90 * 24 * 3600


def policy_json(policy: dict) -> str:
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def month_of(epoch: float) -> str:
    """The quota month of a moment (UTC), as named in the month's counter: 202611."""
    return time.strftime("%Y%m", time.gmtime(epoch))


def policy_parse(value: str | bytes | None) -> tuple[int, dict] | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    version, _, body = value.partition("|")
    try:
        return int(version), json.loads(body)
    except ValueError:
        return None


def credential_parse(value: str | bytes | None) -> tuple[int, bool] | None:
    """(environment id, revoked) of a credential's entry, or None for an unknown key."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    revoked = value.startswith("r:")
    try:
        return int(value[2:] if revoked else value), revoked
    except ValueError:
        return None


# --- The gateway key and sealing in transit ------------------------------------------------------


def gateway_key_load(environ=os.environ, *, var_dir: Path | None = None, create: bool = False) -> bytes:
    """GATEWAY_POLICY_KEY (base64 of 32 bytes) or the file named by GATEWAY_POLICY_KEY_FILE; in
    development (`create`), a key file in `var_dir` (var/, or VAR_DIR) made once and shared by the
    portal and gateway."""
    try:
        raw = env_str("GATEWAY_POLICY_KEY", "", environ)
    except ImproperlyConfigured as unreadable:
        raise GatewayKeyMissing(str(unreadable)) from None
    if not raw and create and var_dir is not None:
        dev_file = secret_file(var_dir, "GATEWAY_POLICY_KEY")
        dev_file.parent.mkdir(parents=True, exist_ok=True)
        if not dev_file.exists():
            dev_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
            dev_file.chmod(0o600)
        raw = dev_file.read_text().strip()
    if not raw:
        raise GatewayKeyMissing("GATEWAY_POLICY_KEY or GATEWAY_POLICY_KEY_FILE must be set.")
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (ValueError, binascii.Error):
        raise GatewayKeyMissing("GATEWAY_POLICY_KEY must be base64 of 32 random bytes.") from None
    if len(key) != 32:
        raise GatewayKeyMissing("GATEWAY_POLICY_KEY must be base64 of 32 random bytes.")
    return key


def gateway_key_fallbacks_load(environ=os.environ) -> tuple[bytes, ...]:
    """GATEWAY_POLICY_KEY_FALLBACKS (comma-separated, or one a line in the file that
    GATEWAY_POLICY_KEY_FALLBACKS_FILE names): the keys GATEWAY_POLICY_KEY replaced. What was sealed
    under them still opens (the policies published before a rotation, the calls captured meanwhile);
    nothing new is sealed under them."""
    try:
        listed = env_secret_list("GATEWAY_POLICY_KEY_FALLBACKS", environ)
    except ImproperlyConfigured as unreadable:
        raise GatewayKeyMissing(str(unreadable)) from None
    keys = []
    for number, raw in enumerate(listed, start=1):
        try:
            key = base64.b64decode(raw, validate=True)
        except (ValueError, binascii.Error):
            key = b""
        if len(key) != 32:
            raise GatewayKeyMissing(f"GATEWAY_POLICY_KEY_FALLBACKS: key {number} is not base64 of 32 random bytes.")
        keys.append(key)
    return tuple(keys)


def _aad(purpose: str, environment_id: int, version: int) -> bytes:
    return f"{purpose}|{environment_id}|{version}".encode()


def seal_for_gateway(
    key: bytes, plaintext: str, *, environment_id: int, version: int, purpose: str = "upstream"
) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(purpose, environment_id, version))
    return f"{SEAL_PREFIX}:{base64.b64encode(nonce + sealed).decode()}"


def open_for_gateway(
    key: bytes,
    sealed: str,
    *,
    environment_id: int,
    version: int,
    purpose: str = "upstream",
    fallbacks: tuple[bytes, ...] = (),
) -> str:
    """Open under `key`, or under one of the keys it replaced (`fallbacks`) during a rotation."""
    prefix, _, body = sealed.partition(":")
    if prefix != SEAL_PREFIX:
        raise CannotOpen("not a value sealed for the gateway")
    try:
        blob = base64.b64decode(body, validate=True)
    except (ValueError, binascii.Error):
        raise CannotOpen("this value was altered") from None
    aad = _aad(purpose, environment_id, version)
    for candidate in (key, *fallbacks):
        try:
            return AESGCM(candidate).decrypt(blob[:12], blob[12:], aad).decode()
        except (InvalidTag, ValueError):
            continue
    raise CannotOpen("this value was sealed for another environment or version, under another key, or altered")


# --- The policy's shape --------------------------------------------------------------------------


@dataclass
class Policy:
    """An environment's effective policy as the gateway enforces it (built by
    deployments.policy from the approved request, the environment and its credentials)."""

    environment: int
    country: int
    state: str  # active | suspended | decommissioned | stopped
    model: str
    capabilities: list[str]
    region: str
    classification: str
    quota: int
    requests_per_minute: int
    expires_at: int | None  # epoch seconds; calls are refused from then on
    human_review: bool
    capture: bool
    upstream_url: str | None
    upstream_key: str | None  # sealed for the gateway
    upstream_refusal: str = ""  # why no upstream may serve this environment, when none
    # The upstream is a server a country declared (not one the platform's operators configured):
    # the gateway calls it only at addresses country_address_refusal allows, checked where it resolves.
    upstream_declared: bool = False
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "country": self.country,
            "state": self.state,
            "model": self.model,
            "capabilities": list(self.capabilities),
            "region": self.region,
            "classification": self.classification,
            "quota": self.quota,
            "rpm": self.requests_per_minute,
            "expires_at": self.expires_at,
            "human_review": self.human_review,
            "capture": self.capture,
            "upstream_url": self.upstream_url,
            "upstream_key": self.upstream_key,
            "upstream_refusal": self.upstream_refusal,
            "upstream_declared": self.upstream_declared,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Policy:
        return cls(
            environment=int(data["environment"]),
            country=int(data["country"]),
            state=str(data["state"]),
            model=str(data["model"]),
            capabilities=[str(c) for c in data.get("capabilities") or []],
            region=str(data.get("region") or ""),
            classification=str(data.get("classification") or "public"),
            quota=int(data.get("quota") or 0),
            requests_per_minute=int(data.get("rpm") or 0),
            expires_at=int(data["expires_at"]) if data.get("expires_at") is not None else None,
            human_review=bool(data.get("human_review")),
            capture=bool(data.get("capture")),
            upstream_url=data.get("upstream_url") or None,
            upstream_key=data.get("upstream_key") or None,
            upstream_refusal=str(data.get("upstream_refusal") or ""),
            upstream_declared=bool(data.get("upstream_declared")),
        )


# Where a country's own server may be: the rule is tenants/networks.py's (a country's identity
# provider is held to it too); named here for the gateway, which reads this module.
from tenants.networks import country_address_refusal, country_host_refusal, country_networks  # noqa: E402, F401
