"""Relaying a call to its upstream. Answers are passed back as they come, never gathered whole: a
stream's bytes are handed on as each read brings them (whole events, however many a read holds),
not event by event. Usage is read from the upstream's own figures (`usage` of an answer, of the
last chunk of a chat stream, or of `response.completed`), found by looking for it in what each
read brought rather than parsing every event; when a stream ends early (the caller went away, the
environment was stopped, the upstream broke) what was streamed is counted — one token per event
sent, and the input estimated from its size — and marked as estimated."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from . import errors
from .counters import Usage
from .upstream import UpstreamError, UpstreamResponse, UpstreamTimeout

log = logging.getLogger("gateway.proxy")
BYTES_PER_INPUT_TOKEN = 4  # the estimate of input tokens of a call whose upstream never said
CAPTURE_LIMIT = 256 * 1024  # of a call's prompt and of its output, when its country stores them
HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


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
        lf, crlf = data.rfind(b"\n\n"), data.rfind(b"\r\n\r\n")
        end = max(lf + 2 if lf != -1 else 0, crlf + 4 if crlf != -1 else 0)
        if end == 0:
            self.buffer = data
            return b""
        whole, self.buffer = (data, b"") if end == len(data) else (data[:end], data[end:])
        found = [at for at in (whole.find(USAGE_MARKS[0]), whole.find(USAGE_MARKS[1])) if at != -1]
        if not found:
            self._count(whole)
            return whole
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


def passthrough_headers(response: UpstreamResponse) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS and k.lower() != "set-cookie"}


class StreamRelay:
    """An ASGI response relaying one upstream stream. Stops early when the caller disconnects
    (the upstream request is closed) or when `stop` is called (the environment stopped, the
    credential revoked, the approval expired), and always hands its usage to `done`."""

    def __init__(
        self,
        *,
        response: UpstreamResponse,
        meter: SSEMeter,
        environment: int,
        credential: str,
        input_bytes: int,
        streams: set,
        done: Callable[..., None],
        capture: bool = False,
    ):
        self.response = response
        self.meter = meter
        self.environment = environment
        self.credential = credential
        self.input_bytes = input_bytes
        self.streams = streams
        self.done = done
        self.stop_reason: errors.Refusal | None = None
        self.outcome = "ok"
        self.captured: bytearray | None = bytearray() if capture else None
        self._task: asyncio.Task | None = None
        self._relaying = False

    def stop(self, refusal: errors.Refusal) -> None:
        if self._relaying and self.stop_reason is None:
            self.stop_reason = refusal
            self._relaying = False
            self._task.cancel()

    def _gone(self, watch: asyncio.Task) -> None:
        if self._relaying and not watch.cancelled():  # the caller went away mid-stream
            self.outcome = "client_closed"
            self._relaying = False
            self._task.cancel()

    async def __call__(self, scope, receive, send) -> None:
        # The relay runs in the request's own task; a watcher on the caller's side cancels it
        # when the caller goes away (one task per stream beside the request's).
        self._task = asyncio.current_task()
        watch = asyncio.ensure_future(self._until_disconnect(receive))
        watch.add_done_callback(self._gone)
        self.streams.add(self)
        self._relaying = True
        try:
            await self._relay(send)
        except asyncio.CancelledError:
            if self.outcome != "client_closed":
                raise
            self._task.uncancel()  # its own cancellation, handled: the task goes on to settle
        finally:
            self._relaying = False
            watch.cancel()
            self.streams.discard(self)
            self.response.close()
            usage = self.meter.usage
            if usage is None or self.outcome != "ok":
                counted = estimate(self.input_bytes, self.meter.events)
                usage = usage if usage is not None and usage.total >= counted.total else counted
            self.done(usage, self.outcome, bytes(self.captured or b""))

    @staticmethod
    async def _until_disconnect(receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    async def _relay(self, send) -> None:
        response = self.response
        headers = [(k.encode(), v.encode()) for k, v in passthrough_headers(response).items()]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        try:
            async for chunk in response.chunks():
                out = self.meter.feed(chunk)
                if response.complete:
                    out += self.meter.rest()
                if self.captured is not None and len(self.captured) < CAPTURE_LIMIT:
                    self.captured += out[: CAPTURE_LIMIT - len(self.captured)]
                if response.complete:  # the last piece and the end of the answer in one write
                    self._relaying = False
                    await send({"type": "http.response.body", "body": out, "more_body": False})
                    return
                if out:
                    await send({"type": "http.response.body", "body": out, "more_body": True})
            rest = self.meter.rest()
            if rest:
                await send({"type": "http.response.body", "body": rest, "more_body": True})
        except asyncio.CancelledError:
            if self.stop_reason is None:
                raise
            self._task.uncancel()
            self.outcome = "stopped"
            await send({"type": "http.response.body", "body": self.stop_reason.sse(), "more_body": True})
        except UpstreamError as error:
            self.outcome = "upstream_broken"
            failure = errors.upstream(
                502, "upstream_stream_broken", f"The model server's stream broke ({type(error).__name__})."
            )
            await send({"type": "http.response.body", "body": failure.sse(), "more_body": True})
        self._relaying = False
        await send({"type": "http.response.body", "body": b"", "more_body": False})
