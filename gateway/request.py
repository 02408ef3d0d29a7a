"""One request to the gateway's server and its answer (`Request`): the body as it arrives, the
answer whole or streamed, written through the request's connection (gateway/server.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus

from tenants.ids import digits

from . import errors

JSON = (("content-type", "application/json"),)
REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


_date = [0, b""]


def date_header() -> bytes:
    now = int(time.time())
    if now != _date[0]:
        # RFC 9110's date, in English whatever the process's locale (strftime's day and month names follow it).
        _date[0], _date[1] = now, b"date: " + formatdate(now, usegmt=True).encode()
    return _date[1]


class Request:
    """One request and its answer, on its connection (a `gateway.server.Connection`). `headers` has
    lower-case names (the first of repeated ones)."""

    __slots__ = (
        "_connection",
        "method",
        "path",
        "headers",
        "keep_alive",
        "chunks",
        "size",
        "too_large",
        "complete",
        "_waiter",
        "_continue",
        "body_limit",
        "started",
        "done",
        "chunked",
        "status",
        "_head",
        "on_gone",
        "gone",
    )

    def __init__(self, connection, method: str, path: str, headers: dict, keep_alive: bool):
        self._connection = connection
        self.method = method
        self.path = path
        self.headers = headers
        self.keep_alive = keep_alive
        self.chunks: list[bytes] = []
        self.size = 0
        self.too_large = False
        self.complete = False  # the whole body has arrived
        self._waiter: asyncio.Future | None = None
        self._continue = headers.get("expect", "").lower() == "100-continue"
        self.body_limit = connection.body_limit
        self.started = False  # the answer's head is decided
        self.done = False  # the answer is written whole
        self.chunked = False
        self.status = 0
        self._head = b""
        self.on_gone: Callable[[], None] | None = None
        self.gone = False

    # --- the body ---------------------------------------------------------------------------------

    async def body(self) -> bytes:
        """The whole body; BodyTooLarge past the limit, ClientGone if the caller went away first
        (or its body was late: the connection has been answered 408 and closed)."""
        if self.gone:
            raise ClientGone
        declared = self.headers.get("content-length", "")
        length = digits(declared, most=len(declared))  # httptools has refused a Content-Length not a number
        if self.too_large or (length is not None and length > self.body_limit):
            self._close_after()
            raise BodyTooLarge
        if not self.complete:
            if self._continue:
                self._continue = False
                self._connection.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
            if self.too_large:
                self._close_after()
                raise BodyTooLarge
        if self.gone:
            raise ClientGone
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)

    def _received(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.body_limit:
            self.too_large = True
            self.chunks = []
            self._wake()
            if self.done:  # answered without reading it: nothing is gained by reading the rest
                self._connection._close()
        elif not self.too_large and not self.done:  # once answered, the rest is dropped
            self.chunks.append(data)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _close_after(self) -> None:
        """The rest of the body will not be read: the connection ends with this answer."""
        self.keep_alive = False

    # --- the answer -------------------------------------------------------------------------------

    def _head_bytes(self, status: int, headers, framing: bytes | None) -> bytes:
        if not self.complete:  # the rest of the body is not awaited: the connection cannot be reused
            self.keep_alive = False
        lines = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Unknown")), date_header()]
        for name, value in headers:
            lines.append(f"{name}: {value}".encode("latin-1"))
        if framing is not None:
            lines.append(framing)
        if not self.keep_alive:
            lines.append(b"connection: close")
        elif not self._connection.http11:  # an HTTP/1.0 caller that asked to keep the connection
            lines.append(b"connection: keep-alive")
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def answer(self, status: int, body: bytes, headers=JSON) -> None:
        """The whole answer, in one write (`headers` name its content type)."""
        if self.gone:
            return
        if self.started:
            raise RuntimeError("the answer has already begun")
        head = self._head_bytes(status, headers, b"content-length: %d" % len(body))
        self.started = True
        self.status = status
        self._connection.write(head if self.method == "HEAD" else head + body)
        self._finish()

    def refuse(self, refusal: errors.Refusal) -> None:
        self.answer(refusal.status, refusal.body(), [*JSON, *refusal.headers.items()])

    def stream_start(self, status: int, headers) -> None:
        """The head of a streamed answer, written with its first piece."""
        if self.gone:
            return
        if self.started:
            raise RuntimeError("the answer has already begun")
        self.chunked = self._connection.http11
        if not self.chunked:  # HTTP/1.0: the end of the body is the end of the connection
            self.keep_alive = False
        self._head = self._head_bytes(status, headers, b"transfer-encoding: chunked" if self.chunked else None)
        self.started = True
        self.status = status

    def stream_write(self, data: bytes) -> None:
        if self.done or not data:
            return
        if self.chunked:
            data = b"%x\r\n%b\r\n" % (len(data), data)
        if self._head:
            data, self._head = self._head + data, b""
        self._connection.write(data)

    def stream_end(self, data: bytes = b"") -> None:
        """The last piece (if any) and the end of the answer, in one write."""
        if self.done:
            return
        out = self._head
        self._head = b""
        if self.chunked:
            out += (b"%x\r\n%b\r\n0\r\n\r\n" % (len(data), data)) if data else b"0\r\n\r\n"
        else:
            out += data
        self._connection.write(out)
        self._finish()

    @property
    def writable(self) -> bool:
        """False while the caller has not taken what was written (see `drain`)."""
        return not self._connection.write_paused

    async def drain(self) -> None:
        await self._connection.drain()

    def _finish(self) -> None:
        self.done = True
        self._connection.answered(self)
