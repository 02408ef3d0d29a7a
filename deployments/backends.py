"""Provisioner backends. `local`: the portal's own environment records, credentials and quotas,
served through the governed gateway.
`openai`: a project, a service account with its API key, and rate limits through the OpenAI Admin
API (base URL and admin key from settings). Every call is safe to repeat: the project is found by
its name before one is created, so a job re-run after a crash reuses what an earlier run made."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request

from django.conf import settings


class BackendError(Exception):
    """The backend refused for good (a 4xx other than 429): the job fails with this message."""


class BackendUnavailable(OSError):
    """The backend is down or throttling (5xx, 429, no connection): the task retries with backoff."""


class LocalProvisioner:
    name = "local"

    def ensure_environment(self, request) -> tuple[str, str]:
        # Every call goes through the governed gateway, which knows the environment by its credential.
        return f"{settings.GATEWAY_PUBLIC_URL}/v1", ""

    def issue_upstream_key(self, environment) -> str:
        """The environment's calls go to the gateway's regional upstream: no key of its own."""
        return ""

    def upstream_url(self) -> str:
        return ""

    def apply_limits(self, environment) -> None:
        """The portal enforces its own quotas from the environment row."""

    def remove(self, environment) -> None:
        """Nothing outside the portal to remove."""


class OpenAIProvisioner:
    name = "openai"

    def __init__(self, base_url: str | None = None, admin_key: str | None = None, timeout: float = 10.0):
        self.base_url = (base_url or settings.OPENAI_ADMIN_URL).rstrip("/")
        self.admin_key = admin_key or settings.OPENAI_ADMIN_KEY
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.admin_key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            # The body may echo what was sent: keep only the status and the API's own message.
            try:
                message = json.loads(error.read() or b"{}").get("error", {}).get("message", "")
            except (ValueError, AttributeError):
                message = ""
            if error.code == 429 or error.code >= 500:
                raise BackendUnavailable(f"OpenAI Admin API answered {error.code} on {path}") from None
            raise BackendError(f"OpenAI Admin API refused ({error.code}) on {path}: {message[:200]}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise BackendUnavailable(f"OpenAI Admin API unreachable on {path}: {type(error).__name__}") from None

    @staticmethod
    def project_name(request) -> str:
        return f"portal-{request.country_id}-{request.pk}"

    def _project_id(self, request) -> str:
        name = self.project_name(request)
        for project in self._call("GET", "/organization/projects?limit=100").get("data", []):
            if project.get("name") == name and project.get("status", "active") == "active":
                return project["id"]
        return self._call("POST", "/organization/projects", {"name": name})["id"]

    def ensure_environment(self, request) -> tuple[str, str]:
        return f"{self.base_url}", self._project_id(request)

    def issue_upstream_key(self, environment) -> str:
        """A service account of the environment's project: its key is the environment's upstream
        key, sealed and used by the gateway only (people get a portal credential)."""
        created = self._call(
            "POST",
            f"/organization/projects/{environment.external_id}/service_accounts",
            {"name": f"portal-env-{environment.pk}"},
        )
        return created["api_key"]["value"]

    def upstream_url(self) -> str:
        return self.base_url

    def apply_limits(self, environment) -> None:
        limits = self._call("GET", f"/organization/projects/{environment.external_id}/rate_limits").get("data", [])
        per_minute = max(1, environment.monthly_token_quota // (30 * 24 * 60))
        for limit in limits:
            if limit.get("model") == environment.model.slug:
                self._call(
                    "POST",
                    f"/organization/projects/{environment.external_id}/rate_limits/{limit['id']}",
                    {"max_tokens_per_1_minute": per_minute},
                )

    def remove(self, environment) -> None:
        if environment.external_id:
            self._call("POST", f"/organization/projects/{environment.external_id}/archive")


def credential_secret() -> str:
    """A new credential of the portal, for callers of the gateway."""
    return "sk-portal-" + secrets.token_urlsafe(32)


def provisioner():
    backend = getattr(settings, "DEPLOYMENTS_PROVISIONER", "local")
    return OpenAIProvisioner() if backend == "openai" else LocalProvisioner()
