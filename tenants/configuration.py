"""The portal's configuration read from the process's environment: strings, secrets from the file
NAME_FILE names, booleans, numbers, choices and addresses. A wrong value stops the process with one
sentence naming the variable, what is wrong and what is expected (ImproperlyConfigured, which
manage.py, portal.wsgi, the Celery app and gunicorn.conf.py print as one line): never a traceback,
and never the value of a secret or of an address (which may carry a password).

Read by portal/settings.py, by the key loaders (tenants.keys, tenants.record.signing, the
gateway's key) and by gunicorn's master process, which loads no Django: nothing here needs settings."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_file_text(name: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The text of the file NAME_FILE names (a secret mounted as a file), None when it names none."""
    file_name = environ.get(f"{name}_FILE")
    if not file_name:
        return None
    try:
        return Path(file_name).read_text()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not UTF-8 text"
        raise ImproperlyConfigured(
            f"{name}_FILE names {file_name}, which cannot be read ({reason}): "
            f"it must be the path of a readable file holding {name}."
        ) from None


def env_str(name: str, default: str = "", environ: Mapping[str, str] = os.environ) -> str:
    """A string from the environment, or from the file named by NAME_FILE (for secrets)."""
    text = env_file_text(name, environ)
    return text.strip() if text is not None else environ.get(name, default)


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] = os.environ) -> bool:
    value = environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = 0, environ: Mapping[str, str] = os.environ) -> int:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, not {number}.")
    return number


def env_float(name: str, default: float, environ: Mapping[str, str] = os.environ) -> float:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number (seconds, such as 0.5), not {value!r}.") from None
    if not number >= 0:
        raise ImproperlyConfigured(f"{name} must be a number of 0 or more, not {value!r}.")
    return number


def env_list(name: str, default: str = "", environ: Mapping[str, str] = os.environ) -> list[str]:
    return [item.strip() for item in environ.get(name, default).split(",") if item.strip()]


def env_secret_list(name: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Secrets given inline (comma-separated) or in the file NAME_FILE names (one a line)."""
    return [item.strip() for item in env_str(name, "", environ).replace("\n", ",").split(",") if item.strip()]


def env_datetime(name: str, environ: Mapping[str, str] = os.environ) -> datetime | None:
    """A moment in ISO 8601 with its offset (2027-01-31T18:00:00+00:00), or None when unset."""
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise ImproperlyConfigured(
            f"{name} must be a date and time in ISO 8601 with its offset, like 2027-01-31T18:00:00+00:00, "
            f"not {value!r}."
        )
    return moment


def env_choice(name: str, default: str, choices: Iterable[str], environ: Mapping[str, str] = os.environ) -> str:
    """One of `choices`, compared without regard to case, returned as the choice is written."""
    value = environ.get(name) or default
    by_case = {choice.lower(): choice for choice in choices}
    if value.lower() not in by_case:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(by_case.values())}, not {value!r}.")
    return by_case[value.lower()]


def _address_problem(value: str, schemes: tuple[str, ...]) -> str | None:
    """What is wrong with an address, in words that never repeat it (it may carry a password)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        return "it is not a well-formed address (its host or port cannot be read)"
    if parts.scheme not in schemes:
        return f"it does not start with {' or '.join(f'{scheme}://' for scheme in schemes)}"
    if not parts.hostname and parts.scheme not in {"unix", "sqlite", "spatialite"}:
        return "it names no host"
    return None


def env_url(
    name: str,
    default: str = "",
    *,
    schemes: tuple[str, ...] = ("http", "https"),
    example: str = "https://portal.example.org",
    environ: Mapping[str, str] = os.environ,
) -> str:
    """An address, checked; empty when unset and without default. Its value is never repeated."""
    value = env_str(name, default, environ).strip()
    if value and (problem := _address_problem(value, schemes)):
        raise ImproperlyConfigured(f"{name} must be an address such as {example}: {problem}.")
    return value


def env_redis_url(name: str, default: str, environ: Mapping[str, str] = os.environ) -> str:
    value = env_url(name, default, schemes=("redis", "rediss", "unix"), example="redis://redis:6379/0", environ=environ)
    database = urlsplit(value).path.strip("/")
    if urlsplit(value).scheme != "unix" and database and not database.isdigit():
        raise ImproperlyConfigured(
            f"{name} must be an address such as redis://redis:6379/0: its path must be a database number."
        )
    return value


def env_database_url(name: str, environ: Mapping[str, str] = os.environ) -> str:
    """A database URL that dj-database-url reads (PostgreSQL in production; settings say so)."""
    import dj_database_url

    value = env_str(name, "", environ).strip()
    if not value:
        return value
    problem = _address_problem(value, tuple(dj_database_url.ENGINE_SCHEMES))
    if problem is None:
        try:
            dj_database_url.parse(value)
        except Exception:  # noqa: BLE001 - its messages may repeat the URL, password included
            problem = "it is not a well-formed address"
    if problem:
        raise ImproperlyConfigured(
            f"{name} must be a database address such as postgres://user:password@db:5432/portal: {problem}."
        )
    return value


def log_level(environ: Mapping[str, str] = os.environ) -> str:
    return env_choice("LOG_LEVEL", "INFO", LOG_LEVELS, environ)


def json_logs(environ: Mapping[str, str] = os.environ) -> bool:
    """Logs are JSON lines (LOG_FORMAT=json, the default with DEBUG off) or readable lines
    (LOG_FORMAT=console, the default with DEBUG on)."""
    default = "console" if env_bool("DEBUG", False, environ) else "json"
    return env_choice("LOG_FORMAT", default, ("json", "console"), environ) == "json"
