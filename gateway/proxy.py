"""Relaying a call to its upstream. Answers are passed back as they come: a stream event by event,
never gathered whole. Usage is read from the upstream's own figures (`usage` of an answer, of the
last chunk of a chat stream, or of `response.completed`); when a stream ends early (the caller went
away, the environment was stopped, the upstream broke) what was streamed is counted — one token
per event sent, and the input estimated from its size — and marked as estimated."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

import httpx

from . import errors
from .counters import Usage

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


class SSEMeter:
    """Splits a stream into whole events, finds the usage, and counts the events sent."""

    def __init__(self, *, strip_usage: bool):
        self.strip_usage = strip_usage
        self.buffer = b""
        self.events = 0
        self.usage: Usage | None = None

    def feed(self, chunk: bytes) -> bytes:
        self.buffer += chunk
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


def upstream_failure(response: httpx.Response | None, error: Exception | None, where: str) -> errors.Refusal:
    if error is not None:
        if isinstance(error, httpx.TimeoutException):
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


def passthrough_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS and k.lower() != "set-cookie"}


class StreamRelay:
    """An ASGI response relaying one upstream stream. Stops early when the caller disconnects
    (the upstream request is closed) or when `stop` is called (the environment stopped, the
    credential revoked, the approval expired), and always hands its usage to `done`."""

    def __init__(
        self,
        *,
        response: httpx.Response,
        meter: SSEMeter,
        environment: int,
        credential: str,
        input_bytes: int,
        streams: set,
        done: Callable[..., Awaitable[None]],
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
        self._pump: asyncio.Task | None = None

    def stop(self, refusal: errors.Refusal) -> None:
        if self.stop_reason is None and self._pump is not None and not self._pump.done():
            self.stop_reason = refusal
            self._pump.cancel()

    async def __call__(self, scope, receive, send) -> None:
        self._pump = asyncio.ensure_future(self._relay(send))
        watch = asyncio.ensure_future(self._until_disconnect(receive))
        self.streams.add(self)
        try:
            await asyncio.wait({self._pump, watch}, return_when=asyncio.FIRST_COMPLETED)
            if not self._pump.done():  # the caller went away
                self.outcome = "client_closed"
                self._pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._pump
        finally:
            watch.cancel()
            self.streams.discard(self)
            await self.response.aclose()
            usage = self.meter.usage
            if usage is None or self.outcome != "ok":
                counted = estimate(self.input_bytes, self.meter.events)
                usage = usage if usage is not None and usage.total >= counted.total else counted
            await self.done(usage, self.outcome, bytes(self.captured or b""))

    @staticmethod
    async def _until_disconnect(receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    async def _relay(self, send) -> None:
        headers = [(k.encode(), v.encode()) for k, v in passthrough_headers(self.response).items()]
        await send({"type": "http.response.start", "status": self.response.status_code, "headers": headers})
        try:
            async for chunk in self.response.aiter_raw():
                out = self.meter.feed(chunk)
                if self.captured is not None and len(self.captured) < CAPTURE_LIMIT:
                    self.captured += out[: CAPTURE_LIMIT - len(self.captured)]
                if out:
                    await send({"type": "http.response.body", "body": out, "more_body": True})
            rest = self.meter.rest()
            if rest:
                await send({"type": "http.response.body", "body": rest, "more_body": True})
        except asyncio.CancelledError:
            if self.stop_reason is None:
                raise
            self.outcome = "stopped"
            await send({"type": "http.response.body", "body": self.stop_reason.sse(), "more_body": True})
        except httpx.HTTPError as error:
            self.outcome = "upstream_broken"
            failure = errors.upstream(
                502, "upstream_stream_broken", f"The model server's stream broke ({type(error).__name__})."
            )
            await send({"type": "http.response.body", "body": failure.sse(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
