"""Refusals and failures, as OpenAI-style errors: `{"error": {"message", "type", "param", "code"}}`
plus `rule`, the name of the rule that refused. Each message says what refused and what to do."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str
    rule: str
    type: str = "invalid_request_error"
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return json.dumps(
            {
                "error": {
                    "message": self.message,
                    "type": self.type,
                    "param": self.param,
                    "code": self.code,
                    "rule": self.rule,
                }
            }
        ).encode()

    def sse(self) -> bytes:
        """The same error as a server-sent event, to end a stream that is already under way."""
        return b"data: " + self.body() + b"\n\n"


def missing_key() -> Refusal:
    return Refusal(
        401,
        "missing_api_key",
        "No API key: send the environment's credential as `Authorization: Bearer <key>`.",
        "credential",
    )


def unknown_key() -> Refusal:
    return Refusal(
        401,
        "invalid_api_key",
        "Unknown API key. Use the credential shown once on the environment's page in the portal; "
        "if it is lost, rotate the credential there to get a new one.",
        "credential",
    )


def revoked_key() -> Refusal:
    return Refusal(
        401,
        "credential_revoked",
        "This credential was revoked (rotated, or its environment decommissioned). Use the environment's "
        "current credential, or rotate it on the environment's page in the portal.",
        "credential",
    )


def not_published() -> Refusal:
    return Refusal(
        503,
        "policy_unavailable",
        "The portal has not yet published this environment's policy to the gateway: try again in a few seconds.",
        "state",
        type="server_error",
        headers={"Retry-After": "2"},
    )


def cannot_check() -> Refusal:
    """Redis, which holds the policies and the counters, does not answer: the call is not served
    (the gateway never serves a call it cannot check), and the caller is told to send it again."""
    return Refusal(
        503,
        "policy_check_unavailable",
        "The gateway cannot check this call against its environment's policy and limits right now, so it "
        "did not serve it: retry in a few seconds.",
        "gateway",
        type="server_error",
        headers={"Retry-After": "2"},
    )


STATE_MESSAGES = {
    "stopped": (
        "environment_stopped",
        "Calls to this environment were stopped with the kill switch by its country admin or partner manager. "
        "Ask them to resume calls on the environment's page in the portal.",
    ),
    "suspended": (
        "environment_suspended",
        "This environment is suspended. A partner manager can reinstate it from the deployment request's page.",
    ),
    "engagement_suspended": (
        "engagement_suspended",
        "This environment's country has its engagement suspended by a partner manager: its environments take "
        "no calls until the engagement is reinstated.",
    ),
    "no_active_engagement": (
        "no_active_engagement",
        "This environment's country has no active engagement (it was closed, or the next one is not yet "
        "approved and activated): its environments take no calls until a country admin applies for an engagement "
        "on the Engagement page in the portal and it is approved and activated.",
    ),
    "country_left": (
        "country_left",
        "This environment's country is leaving the programme or has left it: the portal takes no more calls "
        "for its environments.",
    ),
    "decommissioned": (
        "environment_decommissioned",
        "This environment is decommissioned and takes no calls. Submit a new deployment request for a new one.",
    ),
}


def state(name: str) -> Refusal:
    code, message = STATE_MESSAGES.get(
        name, ("environment_inactive", f"This environment is {name} and takes no calls.")
    )
    return Refusal(403, code, message, "state", type="permission_error")


def expired(day: str) -> Refusal:
    return Refusal(
        403,
        "environment_expired",
        f"The approval of this environment expired at the end of {day}. Ask a partner manager for a new "
        "approval (a new deployment request) to go on.",
        "expiry",
        type="permission_error",
    )


def capability(needed: str, approved: list[str], path: str) -> Refusal:
    return Refusal(
        403,
        "capability_not_approved",
        f"{path} needs the capability '{needed}', and this environment is approved for "
        f"{', '.join(repr(c) for c in approved) or 'none'}. Submit a deployment request that includes it.",
        "capability",
        type="permission_error",
    )


def model(asked: str, approved: str) -> Refusal:
    return Refusal(
        403,
        "model_not_approved",
        f"This environment is approved for the model '{approved}' only, not '{asked[:100]}': send "
        f'"model": "{approved}", or submit a deployment request for the other model.',
        "model",
        type="permission_error",
        param="model",
    )


def human_review() -> Refusal:
    return Refusal(
        403,
        "human_review_required",
        "The approval of this environment requires a person to review its outputs: send the header "
        "X-Human-Review with a reference to the reviewing person or procedure (up to 200 characters).",
        "human_review",
        type="permission_error",
        param="X-Human-Review",
    )


def classification(declared: str, approved: str) -> Refusal:
    return Refusal(
        403,
        "data_classification_not_approved",
        f"This environment is approved for data classified up to '{approved}', and the call declared "
        f"'{declared}' (X-Data-Classification). Submit a deployment request approved for that classification.",
        "data_classification",
        type="permission_error",
        param="X-Data-Classification",
    )


def region(declared: str, approved: str) -> Refusal:
    return Refusal(
        403,
        "region_not_approved",
        f"This environment's data stays in {approved}; the call asked for {declared[:40]} (X-Data-Region). "
        "Use an environment approved for that region.",
        "region",
        type="permission_error",
        param="X-Data-Region",
    )


def no_upstream(reason: str) -> Refusal:
    return Refusal(
        503,
        "no_upstream_for_region",
        f"No model server may serve this environment: {reason}. The platform's operators must declare an "
        "upstream for the region (GATEWAY_UPSTREAM_URL_<REGION>), or the country its own in-country server.",
        "region",
        type="server_error",
    )


def rate(limit: int, retry_after: int) -> Refusal:
    return Refusal(
        429,
        "rate_limit_exceeded",
        f"This environment may make {limit} calls a minute: retry in {retry_after} s, or ask a partner manager "
        "for a higher rate.",
        "rate_limit",
        type="requests",
        headers={"Retry-After": str(retry_after)},
    )


def quota(limit: int) -> Refusal:
    return Refusal(
        429,
        "insufficient_quota",
        f"This environment's monthly quota of {limit} tokens is used up. Ask a partner manager for a higher "
        "quota, or wait for the next month (UTC).",
        "quota",
        type="insufficient_quota",
    )


def quota_in_flight() -> Refusal:
    return Refusal(
        429,
        "quota_in_flight",
        "What is left of this month's quota is held by calls in progress: retry in a moment.",
        "quota",
        type="requests",
        headers={"Retry-After": "1"},
    )


def bad_request(message: str, code: str = "invalid_request", param: str | None = None, status: int = 400) -> Refusal:
    return Refusal(status, code, message, "request", param=param)


def upstream(status: int, code: str, message: str, retry_after: str | None = None) -> Refusal:
    return Refusal(
        status,
        code,
        message,
        "upstream",
        type="server_error",
        headers={"Retry-After": retry_after} if retry_after else {},
    )


def shutting_down() -> Refusal:
    return Refusal(
        503,
        "gateway_restarting",
        "This gateway replica is stopping and the stream could not end in time: send the call again.",
        "upstream",
        type="server_error",
        headers={"Retry-After": "1"},
    )
