"""The gateway's HTTP/1.1 server: an asyncio protocol on uvloop, requests parsed by httptools.

A general server (uvicorn, with an ASGI framework on it) costs more per call than everything else
the gateway does: a scope, message dictionaries and several layers of middleware for every piece
of a stream. This one serves what the gateway needs and no more, and keeps HTTP/1.1 whole:

- kept-alive connections (closed after `KEEP_ALIVE_SECONDS` idle, or when the caller or HTTP/1.0
  asks), request bodies by Content-Length or chunked, `Expect: 100-continue` answered when the
  body is read;
- a request head over `MAX_HEAD_BYTES` is refused (431), a body over the handler's limit too (413),
  a request that does not parse (400): each an OpenAI-style error, then the connection is closed;
- pipelining is refused: a request sent before the answer to the previous one gets a 400 saying
  so once that answer is written, and the connection is closed;
- answers whole (Content-Length) or streamed (chunked), the head written with the first piece and
  the last piece with the end; writing waits when the caller reads slowly (`drain`);
- a caller that goes away mid-answer is told to the handler (`Request.on_gone`).

`Server.serve` serves a socket until told to stop, then gives the requests under way
`GRACE_SECONDS` to end (`python -m gateway` stops it on SIGTERM or SIGINT)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus

import httptools

from tenants.ids import digits

from . import errors

log = logging.getLogger("gateway.server")
access_log = logging.getLogger("gateway.access")
MAX_HEAD_BYTES = 64 * 1024  # request line and headers
KEEP_ALIVE_SECONDS = 30.0  # an idle connection (or one slow to send a head) is closed after this
GRACE_SECONDS = 5.0  # at shutdown, for the requests under way to end
HIGH_WATER = 256 * 1024  # unsent bytes at which writing to a caller pauses
JSON = (("content-type", "application/json"),)
REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class _HeadTooLarge(Exception):
    pass


_date = [0, b""]


def _date_header() -> bytes:
    now = int(time.time())
    if now != _date[0]:
        # RFC 9110's date, in English whatever the process's locale (strftime's day and month names follow it).
        _date[0], _date[1] = now, b"date: " + formatdate(now, usegmt=True).encode()
    return _date[1]


class Request:
    """One request and its answer. `headers` has lower-case names (the first of repeated ones)."""

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

    def __init__(self, connection: Connection, method: str, path: str, headers: dict, keep_alive: bool):
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
        """The whole body; BodyTooLarge past the limit, ClientGone if the caller went away first."""
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
                self._connection.transport.close()
        elif not self.too_large:
            self.chunks.append(data)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _close_after(self) -> None:
        """The rest of the body will not be read: the connection ends with this answer."""
        self.keep_alive = False

    # --- the answer -------------------------------------------------------------------------------

    def _head_bytes(self, status: int, headers, framing: bytes | None) -> bytes:
        if self._continue:  # a body never asked for may still come: the connection cannot be reused
            self.keep_alive = False
        lines = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Unknown")), _date_header()]
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


class Connection(asyncio.Protocol):
    """One caller's connection: its requests in turn, each handled in a task of its own."""

    def __init__(self, server: Server):
        self.server = server
        self.body_limit = server.body_limit
        self.loop = server.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.request: Request | None = None
        self.task: asyncio.Task | None = None
        self.closed = False
        self.http11 = True
        self.write_paused = False
        self._drained: asyncio.Future | None = None
        self._pipelined = False
        self._idle_timer: asyncio.TimerHandle | None = None
        self._waiting = False  # for a request (idle, or its head on its way)
        self._idle_since = 0.0
        self._url = b""
        self._headers: dict[str, str] = {}
        self._head_size = 0

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.set_write_buffer_limits(high=HIGH_WATER)
        self.server.connections.add(self)
        self._idle()

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.server.connections.discard(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        request = self.request
        if request is not None and not request.done:
            request.gone = True
            request._wake()
            if request.on_gone is not None:
                request.on_gone()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._pipelined:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # An upgrade is not offered: the request is answered, then the connection ends.
            if self.request is not None:
                self.request.keep_alive = False
            self.transport.pause_reading()
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _HeadTooLarge):
                self._fail(431, "request_header_too_large", f"The request's head is over {MAX_HEAD_BYTES} bytes.")
            else:
                raise
        except httptools.HttpParserError as error:
            self._fail(400, "malformed_request", f"The request is not valid HTTP/1.1 ({error}).")

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.request is not None:
            # A request before the answer to the previous one (or before that one was sent whole).
            self._pipelined = True
            self.transport.pause_reading()
            return
        self._url = b""
        self._headers = {}
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        if self._pipelined:
            return
        self._url += url
        self._head_size += len(url)
        if self._head_size > MAX_HEAD_BYTES:
            raise _HeadTooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._pipelined:
            return
        self._head_size += len(name) + len(value) + 4
        if self._head_size > MAX_HEAD_BYTES:
            raise _HeadTooLarge
        self._headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))

    def on_headers_complete(self) -> None:
        if self._pipelined:
            return
        self._waiting = False
        parser = self.parser
        self.http11 = parser.get_http_version() == "1.1"
        url = self._url
        if not url.startswith(b"/") and url[:4].lower() == b"http":  # the absolute form, as to a proxy
            with contextlib.suppress(httptools.HttpParserInvalidURLError):
                url = httptools.parse_url(url).path or b"/"
        path = url.decode("latin-1").partition("?")[0]
        keep_alive = parser.should_keep_alive() and not self.server.stopping
        request = self.request = Request(self, parser.get_method().decode("latin-1"), path, self._headers, keep_alive)
        self.task = self.loop.create_task(self._handle(request))

    def on_body(self, body: bytes) -> None:
        if not self._pipelined:
            self.request._received(body)

    def on_message_complete(self) -> None:
        if self._pipelined:
            return
        request = self.request
        request.complete = True
        request._wake()
        if request.done:
            self._next()

    # the cycle
    async def _handle(self, request: Request) -> None:
        try:
            await self.server.handler(request)
        except ClientGone:
            pass
        except Exception:
            log.exception("Unexpected failure on %s %s", request.method, request.path[:200])
            if not request.started:
                request.refuse(
                    errors.upstream(500, "gateway_error", "The gateway failed on this call; it has been logged.")
                )
            elif not request.done:
                self.transport.close()
        else:
            if not request.started and not self.closed:
                request.refuse(errors.upstream(500, "gateway_error", "The gateway gave no answer to this call."))

    def answered(self, request: Request) -> None:
        if self.server.access_log:
            access_log.info('"%s %s" %d', request.method, request.path[:200], request.status)
        if self.closed:
            return
        if not request.keep_alive:
            self.transport.close()
        elif self._pipelined:
            refusal = errors.bad_request(
                "Requests were pipelined: send each request on a connection once the previous answer has arrived.",
                code="pipelining_refused",
            )
            self.request = None
            self._refuse_and_close(400, refusal.body())
        elif request.complete:
            self._next()

    def _next(self) -> None:
        """The request and its answer are both whole: the connection waits for the next one."""
        self.request = None
        self.task = None
        self._idle()

    def _fail(self, status: int, code: str, message: str) -> None:
        """A request that cannot be read: its error, and the end of the connection."""
        self._pipelined = True  # nothing more is read
        request = self.request
        if request is not None:
            if request.started:  # its answer is written or under way: the connection just ends
                self.transport.close()
                return
            # A body that breaks off mid-way: the handler waiting for it learns that the caller is gone.
            request.gone = request.started = True
            request._wake()
        self._refuse_and_close(status, errors.bad_request(message, code=code, status=status).body())

    def _refuse_and_close(self, status: int, body: bytes) -> None:
        self.transport.write(
            b"HTTP/1.1 %d %s\r\n%s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % (status, REASONS.get(status, b"Error"), _date_header(), len(body))
            + body
        )
        self.transport.close()

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        if self.write_paused and not self.closed:
            if self._drained is None or self._drained.done():
                self._drained = self.loop.create_future()
            await self._drained

    def _idle(self) -> None:
        """The connection waits for a request. One timer per connection, moved on when it fires
        rather than set again for every request."""
        if self.server.stopping:
            self.transport.close()
            return
        self._waiting = True
        self._idle_since = self.loop.time()
        if self._idle_timer is None:
            self._idle_timer = self.loop.call_at(self._idle_since + KEEP_ALIVE_SECONDS, self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        if self.closed or not self._waiting:  # a request is served: its end starts the wait again
            return
        due = self._idle_since + KEEP_ALIVE_SECONDS
        if self.loop.time() >= due:
            self.transport.close()
        else:
            self._idle_timer = self.loop.call_at(due, self._idle_check)

    def shutdown(self) -> None:
        """Stop taking requests: close now if idle, else after the answer under way."""
        if self.request is None:
            self.transport.close()
        else:
            self.request.keep_alive = False


class Server:
    """Connections of one process. `app` answers requests (`handle`), says how large a body may be
    (`body_limit`), and ends what is still under way when the grace is over (`interrupt`)."""

    def __init__(self, app, *, access_log: bool):
        self.handler = app.handle
        self.app = app
        self.body_limit = app.body_limit
        self.access_log = access_log
        self.loop = asyncio.get_running_loop()
        self.connections: set[Connection] = set()
        self.stopping = False

    async def serve(self, sock: socket.socket, stop: asyncio.Event) -> None:
        server = await self.loop.create_server(lambda: Connection(self), sock=sock, backlog=2048)
        await stop.wait()
        server.close()
        self.stopping = True
        for connection in list(self.connections):
            connection.shutdown()
        deadline = self.loop.time() + GRACE_SECONDS
        while self.connections and self.loop.time() < deadline:
            await asyncio.sleep(0.05)
        self.app.interrupt()
        await asyncio.sleep(0)
        for connection in list(self.connections):  # the grace is over
            if connection.task is not None:
                connection.task.cancel()
            connection.transport.close()
        await asyncio.sleep(0)
