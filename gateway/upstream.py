"""The gateway's HTTP/1.1 client to its upstreams: kept-alive connections per origin, the response
parsed by httptools (the C parser its server uses too), the body handed on as it arrives — all
the bytes of one read at once, never split into the framing's pieces.

A general client (httpx) costs more per request than the relay itself at the gateway's rates: a
request and a response object, header models, an event per chunk of the chunked framing and a pool
that looks at every connection. This one does what a relay needs and no more: one write for the
head and a small body, Nagle's algorithm off, the answer asked for uncompressed (so its bytes are
passed on as they are and its usage can be read), connect and read timeouts, and one retry on a
fresh connection when a kept-alive one turns out to have been closed by the upstream before it
answered."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from urllib.parse import urlsplit

import httptools

from deployments import published

log = logging.getLogger("gateway.upstream")
SMALL_BODY = 64 * 1024  # joined with the head into one write below this size
HIGH_WATER = 1024 * 1024  # unread body bytes at which reading from the upstream pauses


class UpstreamError(Exception):
    """The upstream could not be reached, or its answer broke off."""


class UpstreamTimeout(UpstreamError):
    pass


class ConnectError(UpstreamError):
    pass


class ReadError(UpstreamError):
    pass


class ProtocolError(UpstreamError):
    pass


class Origin:
    """Where a base URL's requests go, parsed once."""

    __slots__ = ("scheme", "host", "port", "base_path", "host_header", "key", "declared")

    def __init__(self, base_url: str, declared: bool = False):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectError(f"not an http(s) URL: {parts.scheme}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.base_path = parts.path.rstrip("/")
        default = (parts.scheme == "https" and self.port == 443) or (parts.scheme == "http" and self.port == 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if default else f"{host}:{self.port}"
        # A country's own server: called only at addresses published.country_address_refusal allows.
        self.declared = declared
        self.key = (self.scheme, self.host, self.port, declared)


class _Connection(asyncio.Protocol):
    """One connection and the response being read on it (callbacks of the httptools parser)."""

    def __init__(self, pool: Pool, origin_key):
        self.pool = pool
        self.origin_key = origin_key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future | None = None
        self.paused = False
        self.sink = None  # what the body is handed to as it arrives, instead of being kept (a stream)
        self.held = False  # reading paused by the sink (its caller reads slowly)
        self.expecting = False  # a request was sent and its answer is not all in
        self.read_timeout = 0.0
        self.last_read = 0.0
        self.watchdog: asyncio.TimerHandle | None = None
        self._new_response()

    def _new_response(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.received = False  # any byte of this response
        self.body: list[bytes] = []
        self.body_size = 0

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.received = True
        self.last_read = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.error = ProtocolError(f"bad response from the upstream: {error}")
            self.transport.close()
        sink = self.sink
        if sink is not None:
            if self.complete or self.error is not None:
                self.deliver()
            elif self.body:  # the common case of a stream, without the general path's tests
                body, self.body, self.body_size = self.body, [], 0
                try:
                    sink.data(body[0] if len(body) == 1 else b"".join(body))
                except Exception:
                    log.exception("The relay of a stream failed")
                    self.detach()
                    self.transport.close()
            return
        if self.body_size > HIGH_WATER and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.expecting = False
        if self.head_done and not self.complete and self.error is None:
            # A body framed by the end of the connection ends here; any other framing broke off.
            if exc is not None or self._framed():
                self.error = ReadError("the upstream closed the connection mid-answer")
            else:
                self.complete = True
        elif not self.head_done and self.error is None:
            self.error = ReadError("the upstream closed the connection")
        self.pool._lost(self)
        if self.sink is not None:
            self.deliver()
        self._wake()

    def _framed(self) -> bool:
        return any(name in (b"content-length", b"transfer-encoding") for name, _ in self.headers)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if 100 <= self.status < 200:  # an interim answer: the real one follows
            self.headers = []
            return
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.body_size += len(body)

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True
            self.expecting = False
            self.keep_alive = self.parser.should_keep_alive()  # the parser forgets it once past

    # waiting
    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until something happens on the connection (bytes, end, failure, the read timeout)."""
        self.waiter = self.loop.create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None
        if self.error is not None:
            raise self.error

    def expect(self, read_timeout: float) -> None:
        """A request was sent: its answer must come, with at most `read_timeout` seconds between
        two reads. One timer per connection, moved on when it fires rather than set at every read."""
        self.read_timeout = read_timeout
        self.expecting = True
        self.last_read = self.loop.time()
        if self.watchdog is None:
            self.watchdog = self.loop.call_at(self.last_read + read_timeout, self._watch)

    def _watch(self) -> None:
        self.watchdog = None
        if not self.expecting or self.closed:
            return
        now = self.loop.time()
        if self.held or self.paused:
            self.last_read = now  # waiting for the caller, not for the upstream
        due = self.last_read + self.read_timeout
        if now < due:
            self.watchdog = self.loop.call_at(due, self._watch)
            return
        self.expecting = False
        if self.head_done:
            self.error = UpstreamTimeout("the upstream stopped sending")
        else:
            self.error = UpstreamTimeout("the upstream did not answer in time")
        self.transport.close()
        if self.sink is not None:
            self.deliver()
        self._wake()

    # handing on (a stream)
    def deliver(self) -> None:
        """Hand the sink what has arrived: the body so far, then the end of the answer or its failure."""
        sink = self.sink
        try:
            if self.body and not self.complete:
                sink.data(self.take_body())
            if self.complete:
                self.detach()
                sink.end(self.take_body())
            elif self.error is not None or self.closed:
                self.detach()
                sink.failed(self.error or ReadError("the upstream closed the connection mid-answer"))
        except Exception:  # a fault of the relay ends its stream, not the replica
            log.exception("The relay of a stream failed")
            self.detach()
            self.transport.close()

    def attach(self, sink) -> None:
        self.sink = sink
        self.deliver()

    def detach(self) -> None:
        self.sink = None

    def hold(self, held: bool) -> None:
        if held != self.held and not self.closed:
            self.held = held
            if held:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    def take_body(self) -> bytes:
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        self.body = []
        self.body_size = 0
        if self.paused:
            self.paused = False
            self.transport.resume_reading()
        return body


class UpstreamResponse:
    """An answer whose head has arrived; its body is read with `chunks()` or `read()`, and the
    response must be closed (`close()`), which gives the connection back when it was read whole."""

    def __init__(self, connection: _Connection):
        self._connection = connection
        self._released = False
        self.status_code = connection.status
        self.raw_headers = connection.headers
        self.headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in connection.headers}

    @property
    def complete(self) -> bool:
        """The whole answer has arrived and been handed on."""
        return self._connection.complete and not self._connection.body

    async def chunks(self):
        """The body as it arrives: everything received since the last piece, as one piece."""
        connection = self._connection
        while True:
            if connection.body:
                if not connection.complete:
                    # One turn of the loop first: what the upstream sent meanwhile joins this piece.
                    await asyncio.sleep(0)
                yield connection.take_body()
                continue
            if connection.complete:
                return
            if connection.error is not None:
                raise connection.error
            await connection.wait()

    async def read(self) -> bytes:
        return b"".join([piece async for piece in self.chunks()])

    def relay_to(self, sink) -> None:
        """Hand the body to `sink` as it arrives: `sink.data(piece)` for each read, then
        `sink.end(last piece)` or `sink.failed(error)` (a stream, without a task of its own)."""
        self._connection.attach(sink)

    def hold(self, held: bool) -> None:
        """Pause (or resume) reading from the upstream while the caller reads slowly."""
        self._connection.hold(held)

    def close(self) -> None:
        if self._released:
            return
        self._released = True
        connection = self._connection
        connection.detach()
        connection.hold(False)
        reusable = connection.complete and connection.keep_alive and not connection.closed
        connection.pool._release(connection, reusable)


class Pool:
    """Kept-alive connections to each origin, at most `max_connections` open at once."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int,
        tls: ssl.SSLContext,
        country_networks: tuple = (),
    ):
        self.country_networks = country_networks
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.tls = tls
        self.idle: dict[tuple, list[_Connection]] = {}
        self.slots = asyncio.Semaphore(max_connections)
        self.origins: dict[str, Origin] = {}

    def origin(self, base_url: str, declared: bool = False) -> Origin:
        found = self.origins.get((base_url, declared))
        if found is None:
            found = self.origins[(base_url, declared)] = Origin(base_url, declared)
            if len(self.origins) > 10_000:
                self.origins.clear()
        return found

    async def request(self, origin: Origin, path: str, headers: list[tuple[str, str]], body: bytes) -> UpstreamResponse:
        """POST `body` to the origin's base path + `path`; returns once the answer's head is in."""
        head = [f"POST {origin.base_path}{path} HTTP/1.1", f"Host: {origin.host_header}", "Accept-Encoding: identity"]
        for name, value in headers:
            if "\r" in value or "\n" in value:
                raise ProtocolError(f"the {name} header holds a line break")
            head.append(f"{name}: {value}")
        head.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        await self.slots.acquire()
        try:
            for attempt in (0, 1):
                connection, reused = await self._connection(origin)
                try:
                    return await self._send(connection, data, body)
                except (ReadError, ConnectionError) as error:
                    connection.transport.close()
                    # A kept-alive connection the upstream had closed: once more on a new one.
                    if not (reused and not connection.received and attempt == 0):
                        raise ReadError(str(error)) from error
                except BaseException:
                    connection.transport.close()
                    raise
            raise ReadError("the upstream closed the connection")  # not reached
        except BaseException:
            self.slots.release()
            raise

    async def _send(self, connection: _Connection, data: bytes, body: bytes) -> UpstreamResponse:
        transport = connection.transport
        if len(body) < SMALL_BODY:
            transport.write(data + body)
        else:
            transport.writelines([data, body])
        connection.expect(self.read_timeout)
        while not connection.head_done:
            if connection.closed or connection.error is not None:
                raise connection.error or ReadError("the upstream closed the connection")
            await connection.wait()
        return UpstreamResponse(connection)

    async def _connection(self, origin: Origin) -> tuple[_Connection, bool]:
        idle = self.idle.get(origin.key)
        while idle:
            connection = idle.pop()
            if not connection.closed and not connection.transport.is_closing():
                connection._new_response()
                return connection, True
        loop = asyncio.get_running_loop()
        tls = self.tls if origin.scheme == "https" else None
        host = await self._checked_address(origin) if origin.declared else origin.host
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(self, origin.key),
                    host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls else None,
                ),
                self.connect_timeout,
            )
        except TimeoutError as error:
            raise UpstreamTimeout("the upstream did not accept a connection in time") from error
        except (OSError, ssl.SSLError, UnicodeError) as error:
            raise ConnectError(type(error).__name__) from error
        return connection, False

    async def _checked_address(self, origin: Origin) -> str:
        """The address to call a country's server at, by tenants.networks' rule: the name resolved
        once, every address it resolves to allowed (a name that leads both outside and inside is
        refused), and the call made to the address checked, not to the name again, so that a second
        answer of the name server cannot send it elsewhere."""
        refused = ConnectError("the country's server is at an address the platform does not call")
        if published.country_host_refusal(origin.host, self.country_networks):
            raise refused
        loop = asyncio.get_running_loop()
        try:
            found = await asyncio.wait_for(
                loop.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM), self.connect_timeout
            )
        except TimeoutError as error:
            raise UpstreamTimeout("the country's server name did not resolve in time") from error
        except (OSError, UnicodeError) as error:  # UnicodeError: a name that cannot be encoded
            raise ConnectError(type(error).__name__) from error
        addresses = [address[0] for _family, _type, _proto, _name, address in found]
        if not addresses or any(published.country_address_refusal(a, self.country_networks) for a in addresses):
            raise refused
        return addresses[0]

    def _release(self, connection: _Connection, reusable: bool) -> None:
        self.slots.release()
        if reusable:
            self.idle.setdefault(connection.origin_key, []).append(connection)
        else:
            connection.transport.close()

    def _lost(self, connection: _Connection) -> None:
        idle = self.idle.get(connection.origin_key)
        if idle and connection in idle:
            idle.remove(connection)

    def close(self) -> None:
        for connections in self.idle.values():
            for connection in connections:
                connection.transport.close()
        self.idle.clear()
