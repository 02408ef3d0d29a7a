"""The gateway's HTTP/1.1 server: an asyncio protocol on uvloop, requests parsed by httptools.

A general server (uvicorn, with an ASGI framework on it) costs more per call than everything else
the gateway does: a scope, message dictionaries and several layers of middleware for every piece
of a stream. This one serves what the gateway needs and no more, and keeps HTTP/1.1 whole:

- kept-alive connections (closed after `KEEP_ALIVE_SECONDS` idle, or when the caller or HTTP/1.0
  asks), request bodies by Content-Length or chunked, `Expect: 100-continue` answered when the
  body is read;
- a head must arrive within `KEEP_ALIVE_SECONDS`, a body within the app's `body_timeout` of its
  head (else 408); an answer written before the body ended says `connection: close`, the rest of
  the body is dropped until it ends or its deadline passes; over the app's `connection_limit`
  connections at once, a new one is answered 503; a caller too slow to take what was written to
  it (writing paused, or the connection closing, for `SEND_SECONDS`) is cut off;
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

import httptools

from . import errors
from .request import REASONS, ClientGone, Request, date_header

log = logging.getLogger("gateway.server")
access_log = logging.getLogger("gateway.access")
MAX_HEAD_BYTES = 64 * 1024  # request line and headers
KEEP_ALIVE_SECONDS = 30.0  # an idle connection (or one slow to send a head) is closed after this
BODY_SECONDS = 120.0  # a body not whole this long after its head is refused (unless the app says otherwise)
MAX_CONNECTIONS = 10_000  # open connections of callers at once (unless the app says otherwise)
TURNED_AWAY_SECONDS = 1.0  # a connection over the limit is closed after this at the latest
SEND_SECONDS = 30.0  # a caller that leaves its answer unread this long is cut off
GRACE_SECONDS = 5.0  # at shutdown, for the requests under way to end
HIGH_WATER = 256 * 1024  # unsent bytes at which writing to a caller pauses


class _HeadTooLarge(Exception):
    pass


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
        self._body_timer: asyncio.TimerHandle | None = None  # the deadline of a body still on its way
        self._send_timer: asyncio.TimerHandle | None = None  # the bound on a caller that takes nothing
        self._stalled_since = 0.0
        self._closing = False
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
        if len(self.server.connections) >= self.server.connection_limit:
            return self._turn_away()
        self.server.connections.add(self)
        self._idle()

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.server.connections.discard(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._body_timer is not None:
            self._body_timer.cancel()
        if self._send_timer is not None:
            self._send_timer.cancel()
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
            return
        request = self.request
        if request is not None and not request.complete and self._body_timer is None and not self._pipelined:
            # A body still on its way after this read: one timer for the whole of it (a body that
            # arrives with its head, as most do, costs none).
            self._body_timer = self.loop.call_later(self.server.body_timeout, self._body_late)

    def pause_writing(self) -> None:
        self.write_paused = True
        self._send_watch()

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
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        request = self.request
        request.complete = True
        request._wake()
        if request.done:  # answered before its body ended: now it has
            if request.keep_alive:
                self._next()
            else:
                self._close()

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
                self._close()
        else:
            if not request.started and not self.closed:
                request.refuse(errors.upstream(500, "gateway_error", "The gateway gave no answer to this call."))

    def answered(self, request: Request) -> None:
        if self.server.access_log:
            access_log.info('"%s %s" %d', request.method, request.path[:200], request.status)
        if self.closed:
            return
        if not request.keep_alive:
            if request.complete or not self.transport.is_reading():
                self._close()
            else:
                # Answered before its body ended (and said `connection: close`): the rest is read and
                # dropped, lest closing with it unread reset the connection before the answer is read,
                # until it ends, the caller closes, or its deadline passes (`_body_late`).
                self.transport.write_eof()
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
                self._close()
                return
            # A body that breaks off mid-way: the handler waiting for it learns that the caller is gone.
            request.gone = request.started = True
            request._wake()
        self._refuse_and_close(status, errors.bad_request(message, code=code, status=status).body())

    def _body_late(self) -> None:
        """A body not whole by its deadline: 408 and the end of the connection (the end only, if answered)."""
        self._body_timer = None
        request = self.request
        if self.closed or request is None or request.complete:
            return
        timeout = self.server.body_timeout
        self._fail(
            408,
            "request_timeout",
            f"The request's body did not arrive whole within {timeout:g} seconds of its head: "
            "send the call again, its body without pause.",
        )

    def _turn_away(self) -> None:
        """A connection over the limit: a 503, then its end (what it sends is dropped meanwhile)."""
        self._pipelined = True
        limit = self.server.connection_limit
        message = (
            f"This gateway process holds as many connections as it may ({limit}): send the call again in a moment."
        )
        body = errors.upstream(503, "gateway_busy", message).body()
        self.transport.write(self._error_head(503, body, b"retry-after: 1\r\n") + body)
        self.transport.write_eof()
        self._idle_timer = self.loop.call_later(TURNED_AWAY_SECONDS, self.transport.abort)

    @staticmethod
    def _error_head(status: int, body: bytes, extra: bytes = b"") -> bytes:
        return (
            b"HTTP/1.1 %d %s\r\n%s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%bconnection: close\r\n\r\n"
            % (status, REASONS.get(status, b"Error"), date_header(), len(body), extra)
        )

    def _refuse_and_close(self, status: int, body: bytes) -> None:
        self.transport.write(self._error_head(status, body) + body)
        self._close()

    def _close(self) -> None:
        """Close once what was written has been sent, within `SEND_SECONDS`."""
        self.transport.close()
        if not self._closing and not self.closed and self.transport.get_write_buffer_size():
            self._closing = True
            self._send_watch()

    def _send_watch(self) -> None:
        """What was written waits for the caller (writing paused, or the connection closing): one
        timer per connection, moved on when it fires rather than set again at each pause."""
        self._stalled_since = self.loop.time()
        if self._send_timer is None:
            self._send_timer = self.loop.call_at(self._stalled_since + SEND_SECONDS, self._send_check)

    def _send_check(self) -> None:
        self._send_timer = None
        if self.closed or not (self.write_paused or self._closing):  # the caller took what was written
            return
        due = self._stalled_since + SEND_SECONDS
        if self.loop.time() >= due:
            self.transport.abort()  # the handler learns the caller is gone (`connection_lost`)
        else:
            self._send_timer = self.loop.call_at(due, self._send_check)

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
            self._close()
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
            self._close()
        else:
            self._idle_timer = self.loop.call_at(due, self._idle_check)

    def shutdown(self) -> None:
        """Stop taking requests: close now if idle, else after the answer under way."""
        if self.request is None:
            self._close()
        else:
            self.request.keep_alive = False


class Server:
    """Connections of one process. `app` answers requests (`handle`), says how large a body may be
    (`body_limit`), and ends what is still under way when the grace is over (`interrupt`)."""

    def __init__(self, app, *, access_log: bool):
        self.handler = app.handle
        self.app = app
        self.body_limit = app.body_limit
        self.body_timeout = getattr(app, "body_timeout", BODY_SECONDS)
        self.connection_limit = getattr(app, "connection_limit", MAX_CONNECTIONS)
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
