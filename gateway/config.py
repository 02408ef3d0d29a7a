"""The gateway's settings, read from the environment (the service does not load Django)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deployments import published

BASE_DIR = Path(__file__).resolve().parent.parent


def _int(environ, name: str, default: int) -> int:
    value = environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None


def _float(environ, name: str, default: float) -> float:
    value = environ.get(name, "")
    try:
        return float(value) if value.strip() else default
    except ValueError:
        raise SystemExit(f"{name} must be a number, not {value!r}") from None


@dataclass(frozen=True)
class Config:
    redis_url: str
    prefix: str
    key: bytes
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
    # Where, besides public addresses, a country's own server may be (COUNTRY_NETWORKS).
    country_networks: tuple = ()


def config_from_env(environ=os.environ) -> Config:
    development = environ.get("DEBUG", "").lower() in {"1", "true", "yes", "on"} or bool(environ.get("PORTAL_TESTING"))
    return Config(
        redis_url=environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        prefix=published.redis_prefix(environ),
        key=published.gateway_key_load(
            environ, var_dir=Path(environ.get("VAR_DIR") or BASE_DIR / "var"), create=development
        ),
        refresh_seconds=_float(environ, "GATEWAY_POLICY_REFRESH_SECONDS", 0.25),
        max_body_bytes=_int(environ, "GATEWAY_MAX_BODY_BYTES", 26 * 1024 * 1024),
        default_max_output_tokens=_int(environ, "GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS", 4096),
        lease_seconds=_int(environ, "GATEWAY_LEASE_SECONDS", 900),
        connect_timeout=_float(environ, "GATEWAY_CONNECT_TIMEOUT", 10.0),
        read_timeout=_float(environ, "GATEWAY_READ_TIMEOUT", 300.0),
        max_connections=_int(environ, "GATEWAY_MAX_CONNECTIONS", 1000),
        redis_connections=_int(environ, "GATEWAY_REDIS_CONNECTIONS", 128),
        country_networks=_networks(environ),
    )


def _networks(environ) -> tuple:
    """COUNTRY_NETWORKS, as the portal reads it (with DEBUG on, this machine's loopback by default)."""
    default = "127.0.0.0/8,::1/128" if environ.get("DEBUG", "").lower() in {"1", "true", "yes", "on"} else ""
    try:
        return published.country_networks(environ.get("COUNTRY_NETWORKS", default))
    except ValueError as error:
        raise SystemExit(str(error)) from None
