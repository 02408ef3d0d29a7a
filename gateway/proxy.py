"""Relaying a call to its upstream. Answers are passed back as they come, never gathered whole: a
stream's bytes are handed on as each read brings them (whole events, however many a read holds),
not event by event, by the upstream connection's own callbacks. Usage is read from the upstream's own figures (`usage` of an answer, of the
last chunk of a chat stream, or of `response.completed`), found by looking for it in what each
read brought rather than parsing every event; when a stream ends early (the caller went away, the
environment was stopped, the upstream broke) what was streamed is counted — one token per event
sent, and the input estimated from its size — and marked as estimated."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable

from . import errors
from .counters import Usage
from .request import Request
from .upstream import UpstreamResponse, UpstreamTimeout

log = logging.getLogger("gateway.proxy")
BYTES_PER_INPUT_TOKEN = 4  # the estimate of input tokens of a call whose upstream never said
CAPTURE_LIMIT = 256 * 1024  # of a call's prompt and of its output, when its country stores them
# Of the upstream's answer, the caller reads its type and its request id (what a client quotes when
# it reports a call), nothing else: its cookies, its account's organisation, project and rate limits
# (the gateway's own limits are told by its refusals), its servers' names and timings are the
# upstream's, and the framing and the date are the gateway's own.
PASSED = frozenset({"content-type", "x-request-id"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
JSON_TYPE = "application/json"


def usage_of(data) -> Usage | None:
    if not isinstance(data, dict):
        return None
    usage = data.get("usage")
    if not isinstance(usage, dict) and isinstance(data.get("response"), dict):
        usage = data["response"].get("usage")
    if not isinstance(usage, dict):
        return None

    def number(*names) -> int:
        for name in names:
            value = usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
        return 0

    given = number("prompt_tokens", "input_tokens")
    made = number("completion_tokens", "output_tokens")
    total = number("total_tokens") or given + made
    return Usage(given, made, total, 0)


def estimate(input_bytes: int, events: int) -> Usage:
    given = -(-input_bytes // BYTES_PER_INPUT_TOKEN)
    return Usage(given, events, given + events, given + events)


USAGE_MARKS = (b'"usage":{', b'"usage": {')


class SSEMeter:
    """Hands on the whole events of what arrived (keeping back an unfinished one), counts them,
    and finds the usage. Only a piece that holds a usage object is split into its events (the
    last chunk of a stream, where the gateway may have to take out the usage it asked for)."""

    def __init__(self, *, strip_usage: bool):
        self.strip_usage = strip_usage
        self.buffer = b""
        self.events = 0
        self.usage: Usage | None = None

    def feed(self, chunk: bytes) -> bytes:
        data = self.buffer + chunk if self.buffer else chunk
        if data.endswith(b"\n\n"):  # most reads end with an event
            whole, self.buffer = data, b""
        else:
            lf, crlf = data.rfind(b"\n\n"), data.rfind(b"\r\n\r\n")
            end = max(lf + 2 if lf != -1 else 0, crlf + 4 if crlf != -1 else 0)
            if end == 0:
                self.buffer = data
                return b""
            whole, self.buffer = (data, b"") if end == len(data) else (data[:end], data[end:])
        if USAGE_MARKS[0] not in whole and USAGE_MARKS[1] not in whole:
            self._count(whole)
            return whole
        found = [at for at in (whole.find(USAGE_MARKS[0]), whole.find(USAGE_MARKS[1])) if at != -1]
        # The events before the one holding the usage pass as they are; that one and any after are
        # read one by one.
        lf, crlf = whole.rfind(b"\n\n", 0, min(found)), whole.rfind(b"\r\n\r\n", 0, min(found))
        start = max(lf + 2 if lf != -1 else 0, crlf + 4 if crlf != -1 else 0)
        self._count(whole[:start])
        return whole[:start] + self._split(whole[start:])

    def _count(self, whole: bytes) -> None:
        """One event per data line (the events of these APIs have one), the end marker not counted."""
        self.events += whole.count(b"\ndata:") + whole.startswith(b"data:")
        self.events -= whole.count(b"data: [DONE]") + whole.count(b"data:[DONE]")

    def _split(self, whole: bytes) -> bytes:
        self.buffer, rest = whole, self.buffer
        out = []
        while True:
            end = self.buffer.find(b"\n\n")
            crlf = self.buffer.find(b"\r\n\r\n")
            if crlf != -1 and (end == -1 or crlf < end):
                end, size = crlf, 4
            else:
                size = 2
            if end == -1:
                break
            event, self.buffer = self.buffer[: end + size], self.buffer[end + size :]
            if self._keep(event):
                out.append(event)
        self.buffer = rest
        return b"".join(out)

    def rest(self) -> bytes:
        rest, self.buffer = self.buffer, b""
        return rest

    def _keep(self, event: bytes) -> bool:
        for line in event.splitlines():
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == b"[DONE]":
                return True
            if b'"usage":{' in payload or b'"usage": {' in payload:
                try:
                    data = json.loads(payload)
                except ValueError:
                    data = None
                found = usage_of(data)
                if found is not None:
                    self.usage = found
                    if self.strip_usage and isinstance(data, dict) and data.get("choices") == []:
                        return False  # the usage chunk the gateway asked for, not the caller
            self.events += 1
            return True
        return True


def upstream_failure(response: UpstreamResponse | None, error: Exception | None, where: str) -> errors.Refusal:
    if error is not None:
        if isinstance(error, UpstreamTimeout):
            return errors.upstream(504, "upstream_timeout", f"The model server ({where}) did not answer in time.")
        return errors.upstream(
            502, "upstream_unreachable", f"The model server ({where}) could not be reached ({type(error).__name__})."
        )
    assert response is not None
    status = response.status_code
    if status == 429:
        return errors.upstream(
            429,
            "upstream_rate_limited",
            f"The model server ({where}) is throttling calls (429): retry after a pause.",
            response.headers.get("retry-after") or "1",
        )
    if status in (401, 403):
        return errors.upstream(
            502,
            "upstream_refused_gateway",
            f"The model server ({where}) refused the gateway's key ({status}): the operators must check it.",
        )
    return errors.upstream(
        502,
        "upstream_error",
        f"The model server ({where}) answered {status}: try again; if it lasts, tell the operators.",
    )


def passthrough_headers(response: UpstreamResponse) -> list[tuple[str, str]]:
    """The upstream's headers that are the caller's to read (its names are in lower case)."""
    return [
        (name, value)
        for name, value in response.headers.items()
        if name in PASSED and (name != "x-request-id" or REQUEST_ID.match(value))
    ]


def upstream_headers(family: str, stream: bool, content_type: str, key: str | None) -> list[tuple[str, str]]:
    """What the upstream is sent besides the body (the client adds Host, Accept-Encoding and
    Content-Length): the gateway's own, never the caller's, which may name what an upstream trusts
    (an organisation or project of its account, a forwarded address, a country's own server's
    headers). The body's type is the one the gateway read it as: JSON, or the caller's form with
    the boundary its parts were read at."""
    form = family == "audio.transcriptions"
    headers = [("Content-Type", content_type if form else JSON_TYPE)]
    if stream:
        headers.append(("Accept", "text/event-stream"))
    if key:
        headers.append(("Authorization", f"Bearer {key}"))
    return headers


class StreamRelay:
    """One upstream stream relayed to its caller as the upstream's reads arrive: callbacks of the
    upstream connection (`data`, `end`, `failed`), no task of its own. Ends early when the caller
    goes away (the upstream request is closed) or when `stop` is called (the environment stopped,
    the credential revoked, the approval expired), and always hands its usage to `done`."""

    def __init__(
        self,
        *,
        request: Request,
        response: UpstreamResponse,
        meter: SSEMeter,
        environment: int,
        credential: str,
        input_bytes: int,
        streams: set,
        done: Callable[..., None],
        capture: bool = False,
    ):
        self.request = request
        self.response = response
        self.meter = meter
        self.environment = environment
        self.credential = credential
        self.input_bytes = input_bytes
        self.streams = streams
        self.done = done
        self.outcome = "ok"
        self.finished = False
        self.captured: bytearray | None = bytearray() if capture else None
        self._resuming: asyncio.Task | None = None

    def start(self) -> None:
        request = self.request
        request.stream_start(self.response.status_code, passthrough_headers(self.response))
        if request.gone:
            return self._finish("client_closed")
        request.on_gone = self._caller_gone
        self.streams.add(self)
        self.response.relay_to(self)

    # --- the upstream's side ----------------------------------------------------------------------

    def data(self, chunk: bytes) -> None:
        out = self.meter.feed(chunk)
        if out:
            if self.captured is not None:
                self._capture(out)
            request = self.request
            request.stream_write(out)
            if not request.writable and self._resuming is None:
                # The caller reads slowly: the upstream waits until what was written has gone.
                self.response.hold(True)
                self._resuming = asyncio.ensure_future(self._resume())

    def end(self, chunk: bytes) -> None:
        """The last piece and the end of the answer, in one write."""
        out = (self.meter.feed(chunk) if chunk else b"") + self.meter.rest()
        self._capture(out)
        self.request.stream_end(out)
        self._finish("ok")

    def failed(self, error: Exception) -> None:
        failure = errors.upstream(
            502, "upstream_stream_broken", f"The model server's stream broke ({type(error).__name__})."
        )
        self.request.stream_end(failure.sse())
        self._finish("upstream_broken")

    # --- the other ends ---------------------------------------------------------------------------

    def stop(self, refusal: errors.Refusal) -> None:
        if not self.finished:
            self.request.stream_end(refusal.sse())
            self._finish("stopped")

    def _caller_gone(self) -> None:
        self._finish("client_closed")

    async def _resume(self) -> None:
        await self.request.drain()
        self._resuming = None
        if not self.finished:
            self.response.hold(False)

    def _capture(self, out: bytes) -> None:
        if self.captured is not None and len(self.captured) < CAPTURE_LIMIT:
            self.captured += out[: CAPTURE_LIMIT - len(self.captured)]

    def _finish(self, outcome: str) -> None:
        if self.finished:
            return
        self.finished = True
        self.outcome = outcome
        self.streams.discard(self)
        self.request.on_gone = None
        if self._resuming is not None:
            self._resuming.cancel()
        self.response.close()  # the connection goes back to the pool if the answer was read whole
        usage = self.meter.usage
        if usage is None or outcome != "ok":
            counted = estimate(self.input_bytes, self.meter.events)
            usage = usage if usage is not None and usage.total >= counted.total else counted
        self.done(usage, outcome, bytes(self.captured or b""))
