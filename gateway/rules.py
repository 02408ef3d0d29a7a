"""The rules of an approved deployment, applied to one call: the environment's state and expiry,
the endpoint family's capability (and vision or speech inside a call), the model, the human-review
condition, the data classification and region the caller declares. Also what the call may use at
most (its reservation against the quota) and the body sent upstream, which asks the upstream for
its usage on streams and for an output ceiling when the call names none."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from deployments import published

from . import bodies, errors
from .config import Config

FAMILIES = {
    "/v1/chat/completions": "chat.completions",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
    "/v1/audio/transcriptions": "audio.transcriptions",
}
UPSTREAM_PATHS = {
    "chat.completions": "/chat/completions",
    "responses": "/responses",
    "embeddings": "/embeddings",
    "audio.transcriptions": "/audio/transcriptions",
}
REVIEW_HEADER = "x-human-review"
CLASSIFICATION_HEADER = "x-data-classification"
REGION_HEADER = "x-data-region"
_PRINTABLE = re.compile(r"^[\x20-\x7e]{1,200}$")
# The numbers of a body the gateway reads, by family: its output ceiling and how many answers it asks.
_COUNTS = {
    "chat.completions": ("max_completion_tokens", "max_tokens", "n"),
    "responses": ("max_output_tokens",),
    "embeddings": (),
}


@dataclass
class Call:
    family: str
    model: str
    stream: bool
    body: bytes  # as sent upstream
    reserve: int  # the most the call can use, in tokens
    input_bytes: int
    strip_usage: bool = False  # the gateway asked for the usage chunk; the caller did not
    needs: tuple[str, ...] = ()  # capabilities beyond the family's (vision, speech)


def state_refusal(entry, loaded, now: float | None = None) -> errors.Refusal | None:
    """Why calls of this credential and environment must stop now, if they must."""
    if entry is not None and entry.revoked:
        return errors.revoked_key()
    if loaded is None:
        return errors.not_published()
    policy = loaded.policy
    if policy.state != "active":
        return errors.state(policy.state)
    if policy.expires_at is not None and (now or time.time()) >= policy.expires_at:
        day = time.strftime("%Y-%m-%d", time.gmtime(policy.expires_at - 1))
        return errors.expired(day)
    return None


def _parts(value) -> list:
    return value if isinstance(value, list) else []


def _media(messages) -> tuple[int, int]:
    """Images and audio parts among chat messages or responses input items."""
    images = audio = 0
    for message in _parts(messages):
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if kind in ("input_image", "image_url"):
            images += 1
        elif kind in ("input_audio", "input_file"):
            audio += kind == "input_audio"
        for part in _parts(message.get("content")):
            if isinstance(part, dict):
                if part.get("type") in ("image_url", "input_image"):
                    images += 1
                elif part.get("type") == "input_audio":
                    audio += 1
    return images, audio


def call_parse(family: str, body: bytes, content_type: str, config: Config) -> Call | errors.Refusal:
    """The call a body makes, read as its upstream will read it (gateway/bodies.py), or the refusal."""
    if family == "audio.transcriptions":
        if not content_type.lower().startswith("multipart/form-data"):
            return errors.bad_request("Send the audio as multipart/form-data, with the fields file and model.")
        fields = bodies.form_fields(body, content_type)
        if isinstance(fields, errors.Refusal):
            return fields
        if not fields.get("model"):
            return errors.bad_request("The form has no model field.", code="missing_model", param="model")
        return Call(
            family,
            fields["model"].strip(),
            fields.get("stream", "").strip().lower() == "true",
            body,
            len(body),
            len(body),
        )
    data = bodies.json_object(body)
    if isinstance(data, errors.Refusal):
        return data
    model = data.get("model")
    if not isinstance(model, str) or not model:
        return errors.bad_request('Name the model: the body has no "model".', code="missing_model", param="model")
    read = {"stream": bodies.flag(data, "stream")}
    for name in _COUNTS[family]:
        read[name] = bodies.count(data, name)
    refusal = next((value for value in read.values() if isinstance(value, errors.Refusal)), None)
    if refusal is not None:
        return refusal
    stream = read["stream"]
    added: dict = {}  # members the gateway adds to the body it sends upstream
    strip_usage = False
    images = audio = 0
    output = 0
    if family == "chat.completions":
        images, audio = _media(data.get("messages"))
        cap = read["max_completion_tokens"] or read["max_tokens"]
        if cap is None:
            cap = added["max_completion_tokens"] = config.default_max_output_tokens
        output = cap * (read["n"] or 1)
        if stream:
            options = data.get("stream_options")
            if not isinstance(options, dict) or options.get("include_usage") is not True:
                strip_usage = True
                added["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
    elif family == "responses":
        images, audio = _media(data.get("input"))
        cap = read["max_output_tokens"]
        if cap is None:
            cap = added["max_output_tokens"] = config.default_max_output_tokens
        output = cap
    forward = body
    if added:
        # Only added members: appended to the body as it came. One of the caller's changed: written anew.
        forward = None if any(name in data for name in added) else _with_members(body, added)
        if forward is None:
            data.update(added)
            try:
                forward = json.dumps(data, separators=(",", ":")).encode()
            except RecursionError:
                return errors.bad_request(
                    "The body's JSON is nested too deeply. Send a flatter document.", code="invalid_json"
                )
    needs = tuple(n for n, present in (("vision", images), ("speech", audio)) if present)
    reserve = len(body) + images * config.image_allowance + output
    return Call(family, model, stream, forward, reserve, len(body), strip_usage, needs)


def _with_members(body: bytes, members: dict) -> bytes | None:
    """The JSON object `body` (UTF-8, bodies.json_object) with `members` (names it does not have)
    added at its end, without writing the whole of it anew."""
    end = body.rstrip()
    if not end.endswith(b"}"):
        return None
    return end[:-1] + b"," + json.dumps(members, separators=(",", ":")).encode()[1:-1] + b"}"


def call_refusal(call: Call, policy: published.Policy, headers) -> errors.Refusal | None:
    """The first rule of the approval this call breaks, if any (the family's capability is
    checked before the body is read)."""
    if call.model != policy.model:
        return errors.model(call.model, policy.model)
    for needed in call.needs:
        if needed not in policy.capabilities:
            return errors.capability(needed, policy.capabilities, f"A call with {needed} input")
    review = headers.get(REVIEW_HEADER)
    if review is not None and not _PRINTABLE.match(review):
        return errors.bad_request(
            "X-Human-Review must be 1 to 200 printable characters.", code="invalid_header", param="X-Human-Review"
        )
    if policy.human_review and not review:
        return errors.human_review()
    declared = headers.get(CLASSIFICATION_HEADER)
    if declared is not None:
        declared = declared.strip().lower()
        if declared not in published.CLASSIFICATIONS:
            return errors.bad_request(
                f"X-Data-Classification must be one of {', '.join(published.CLASSIFICATIONS)}.",
                code="invalid_header",
                param="X-Data-Classification",
            )
        approved = policy.classification if policy.classification in published.CLASSIFICATIONS else "public"
        if published.CLASSIFICATIONS.index(declared) > published.CLASSIFICATIONS.index(approved):
            return errors.classification(declared, approved)
    region = headers.get(REGION_HEADER)
    if region is not None and region.strip().lower() != policy.region:
        return errors.region(region.strip(), policy.region)
    if not policy.upstream_url:
        return errors.no_upstream(policy.upstream_refusal or f"no upstream serves the region {policy.region}")
    return None
