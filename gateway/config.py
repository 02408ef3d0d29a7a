"""The gateway's settings, read from the environment (the service does not load Django)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from deployments import published
from tenants.configuration import env_bool, env_float, env_int

BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    redis_url: str
    prefix: str
    key: bytes
    # The keys GATEWAY_POLICY_KEY replaced: policies sealed under them still open during a rotation.
    key_fallbacks: tuple = ()
    # How often each replica re-reads the policies it holds (seconds): the bound, with the
    # channel's news as the fast path, on how long a stop takes to reach every replica.
    refresh_seconds: float = 0.25
    max_body_bytes: int = 26 * 1024 * 1024
    # Output tokens reserved (and asked of the upstream as a ceiling) when a call names none.
    default_max_output_tokens: int = 4096
    # Tokens reserved for each image in a call, beyond its bytes.
    image_allowance: int = 1600
    # How long a call's reservation holds if its replica dies before settling it (seconds).
    lease_seconds: int = 900
    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    max_connections: int = 1000
    redis_connections: int = 128
    # The longest a call waits on Redis (connecting, or for an answer) before it is refused with
    # policy_check_unavailable: a Redis that takes connections and never answers costs this, not more.
    redis_timeout: float = 1.0
    # The longest a caller may take to send a call's body after its head (seconds): a body not
    # whole by then is refused with 408 and its connection closed.
    body_timeout: float = 120.0
    # Callers' connections one process holds open at once; one more is answered 503 and closed.
    client_connections: int = 10_000
    # Where, besides public addresses, a country's own server may be (COUNTRY_NETWORKS).
    country_networks: tuple = ()


def config_from_env(environ=os.environ) -> Config:
    """The settings, read as the portal reads its own (tenants.configuration): a wrong value stops the
    replica with the one line that names the variable and what it expects."""
    try:
        return _config(environ)
    except ImproperlyConfigured as refusal:
        raise SystemExit(str(refusal)) from None


def _config(environ) -> Config:
    redis_timeout = env_float("GATEWAY_REDIS_TIMEOUT", 1.0, environ)
    if not 0 < redis_timeout <= 60:
        said = environ.get("GATEWAY_REDIS_TIMEOUT")
        raise ImproperlyConfigured(f"GATEWAY_REDIS_TIMEOUT must be more than 0 and at most 60 seconds, not {said!r}.")
    body_timeout = env_float("GATEWAY_BODY_TIMEOUT", 120.0, environ)
    if not 0 < body_timeout <= 3600:
        said = environ.get("GATEWAY_BODY_TIMEOUT")
        raise ImproperlyConfigured(f"GATEWAY_BODY_TIMEOUT must be more than 0 and at most 3600 seconds, not {said!r}.")
    development = env_bool("DEBUG", False, environ) or bool(environ.get("PORTAL_TESTING"))
    return Config(
        redis_url=environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        prefix=published.redis_prefix(environ),
        key=published.gateway_key_load(
            environ, var_dir=Path(environ.get("VAR_DIR") or BASE_DIR / "var"), create=development
        ),
        key_fallbacks=_key_fallbacks(environ),
        refresh_seconds=env_float("GATEWAY_POLICY_REFRESH_SECONDS", 0.25, environ),
        max_body_bytes=env_int("GATEWAY_MAX_BODY_BYTES", 26 * 1024 * 1024, environ=environ),
        default_max_output_tokens=env_int("GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS", 4096, environ=environ),
        lease_seconds=env_int("GATEWAY_LEASE_SECONDS", 900, environ=environ),
        connect_timeout=env_float("GATEWAY_CONNECT_TIMEOUT", 10.0, environ),
        read_timeout=env_float("GATEWAY_READ_TIMEOUT", 300.0, environ),
        max_connections=env_int("GATEWAY_MAX_CONNECTIONS", 1000, environ=environ),
        redis_connections=env_int("GATEWAY_REDIS_CONNECTIONS", 128, environ=environ),
        redis_timeout=redis_timeout,
        body_timeout=body_timeout,
        client_connections=env_int("GATEWAY_CLIENT_CONNECTIONS", 10_000, minimum=1, environ=environ),
        country_networks=_networks(environ),
    )


def _key_fallbacks(environ) -> tuple:
    try:
        return published.gateway_key_fallbacks_load(environ)
    except published.GatewayKeyMissing as error:
        raise SystemExit(str(error)) from None


def _networks(environ) -> tuple:
    """COUNTRY_NETWORKS, as the portal reads it (with DEBUG on, this machine's loopback by default)."""
    default = "127.0.0.0/8,::1/128" if env_bool("DEBUG", False, environ) else ""
    try:
        return published.country_networks(environ.get("COUNTRY_NETWORKS", default))
    except ValueError as error:
        raise SystemExit(str(error)) from None
