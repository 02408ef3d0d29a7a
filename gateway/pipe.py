"""One connection to Redis on which a replica sends its counters' scripts, pipelined.

Every script call of the hot path (admission, settlement, a refusal counted) goes through here:
the calls made during one turn of the event loop are written together in one write, and their
answers are read as they come back, in order, on the same connection — so a busy replica makes one
round trip for many calls without waiting for the previous batch, and each call costs a few
microseconds of Python rather than a general client's command objects, connection pool and parser.
Scripts are sent by their SHA-1 (EVALSHA), loaded once per connection; one Redis forgot (a
restart, SCRIPT FLUSH) is sent again whole.

Failures: a call whose connection is lost before its answer fails with ConnectionError (it may or
may not have run: admission then refuses the call, and an unsettled call's reservation ends with
its lease); a call made while Redis cannot be reached fails the same way, and the next call tries
a new connection. Nothing waits on a silent Redis (one that takes connections and never answers,
or a host gone without a word) longer than the pipe's `timeout` (GATEWAY_REDIS_TIMEOUT, 1 s): a
connection not made and ready (signed in, scripts loaded) by then is given up, and an answer not
back by then ends the connection, failing every call waiting on it."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import socket
import ssl

from redis.connection import parse_url

TIMEOUT = 1.0  # seconds, unless the pipe is given its own


class ReplyError(Exception):
    """An error answered by Redis (the script failed, or refused its arguments)."""


class _Incomplete(Exception):
    pass


def _bulk(part) -> bytes:
    data = part if type(part) is bytes else str(part).encode()
    return b"$%d\r\n%b\r\n" % (len(data), data)


def _command(*parts) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join([_bulk(part) for part in parts])


def _reply(buffer: bytes, at: int):
    """One reply of RESP2 from `at`: (value, where the next one starts), or _Incomplete."""
    end = buffer.find(b"\r\n", at)
    if end == -1:
        raise _Incomplete
    kind, line = buffer[at], buffer[at + 1 : end]
    if kind == 58:  # ':' integer
        return int(line), end + 2
    if kind == 36:  # '$' bulk string
        size = int(line)
        if size == -1:
            return None, end + 2
        if len(buffer) < end + 4 + size:
            raise _Incomplete
        return buffer[end + 2 : end + 2 + size], end + 4 + size
    if kind == 42:  # '*' array
        size = int(line)
        if size == -1:
            return None, end + 2
        items, at = [], end + 2
        for _ in range(size):
            item, at = _reply(buffer, at)
            items.append(item)
        return items, at
    if kind == 43:  # '+' simple string
        return line, end + 2
    if kind == 45:  # '-' error
        return ReplyError(line.decode("utf-8", "replace")), end + 2
    raise ConnectionError(f"unexpected reply from Redis ({kind!r})")


class KeyBlock:
    """The key names of a script call, encoded once (a replica calls with the same keys again and again)."""

    __slots__ = ("names", "encoded")

    def __init__(self, names: list[str]):
        self.names = names
        self.encoded = b"".join([_bulk(name) for name in names])


class Script:
    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
        self._heads: dict[tuple[int, int], bytes] = {}

    def evalsha(self, keys: KeyBlock, args: list) -> bytes:
        sizes = len(keys.names), len(args)
        head = self._heads.get(sizes)
        if head is None:
            head = self._heads[sizes] = (
                b"*%d\r\n" % (3 + sum(sizes)) + _bulk("EVALSHA") + _bulk(self.sha) + _bulk(sizes[0])
            )
        return head + keys.encoded + b"".join([_bulk(arg) for arg in args])


class _Connection(asyncio.Protocol):
    def __init__(self, pipe: RedisPipe):
        self.pipe = pipe
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiting: collections.deque = collections.deque()  # (future, sent at, (script, keys, args) | None)
        self.lost = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        at, size, waiting = 0, len(buffer), self.waiting
        try:
            while at < size:
                value, at = _reply(buffer, at)
                future, _, call = waiting.popleft()
                if future.done():
                    continue
                if isinstance(value, ReplyError):
                    if call is not None and str(value).startswith("NOSCRIPT"):
                        # Redis lost its scripts (restarted, SCRIPT FLUSH): this call goes again whole.
                        script, keys, args = call
                        command = _command("EVAL", script.source, len(keys.names), *keys.names, *args)
                        self.pipe._send(command, future)
                    else:
                        future.set_exception(value)
                else:
                    future.set_result(value)
        except _Incomplete:
            pass
        except (ConnectionError, ValueError, IndexError) as error:
            self._fail(ConnectionError(f"Redis answered what cannot be read ({error})"))
            return
        self.buffer = buffer[at:] if at < size else b""

    def connection_lost(self, exc) -> None:
        self._fail(ConnectionError("the connection to Redis was lost"))

    def _fail(self, error: Exception) -> None:
        self.lost = True
        if self.pipe.connection is self:
            self.pipe.connection = None
        while self.waiting:
            future, *_ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.close()


class RedisPipe:
    def __init__(self, url: str, scripts: list[Script], timeout: float = TIMEOUT):
        self.timeout = timeout
        options = parse_url(url)
        self.path = options.get("path")
        self.host = options.get("host", "127.0.0.1")
        self.port = int(options.get("port", 6379))
        self.tls = "SSL" in getattr(options.get("connection_class"), "__name__", "")
        self.hello: list[bytes] = []
        if options.get("password"):
            username = options.get("username")
            self.hello.append(_command("AUTH", *([username] if username else []), options["password"]))
        if options.get("db"):
            self.hello.append(_command("SELECT", options["db"]))
        self.scripts = scripts
        self.connection: _Connection | None = None
        self.connecting: asyncio.Task | None = None
        self.outgoing: list[bytes] = []
        self.futures: list[tuple[asyncio.Future, tuple | None]] = []  # of the calls in `outgoing`
        self.flushing = False
        self.timer: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def call(self, script: Script, keys: KeyBlock | list[str], args: list) -> asyncio.Future:
        """Run `script`; the future holds its answer, or ReplyError or ConnectionError."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        if not isinstance(keys, KeyBlock):
            keys = KeyBlock(keys)
        future = self.loop.create_future()
        self._send(script.evalsha(keys, args), future, (script, keys, args))
        return future

    def _send(self, command: bytes, future: asyncio.Future, call: tuple | None = None) -> None:
        self.outgoing.append(command)
        self.futures.append((future, call))
        if not self.flushing:
            self.flushing = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self.flushing = False
        if not self.outgoing:
            return
        connection = self.connection
        if connection is None or connection.lost or connection.transport.is_closing():
            if self.connecting is None:
                self.connecting = asyncio.ensure_future(self._connect())
            return  # written once connected
        outgoing, futures = self.outgoing, self.futures
        self.outgoing, self.futures = [], []
        now = self.loop.time()
        connection.waiting.extend((future, now, call) for future, call in futures)
        connection.transport.write(b"".join(outgoing))
        if self.timer is None:
            self.timer = self.loop.call_at(now + self.timeout, self._check_replies)

    async def _connect(self) -> None:
        try:
            async with asyncio.timeout(self.timeout):  # connected, signed in and scripts loaded: all of it
                connection = await self._connected()
        except Exception as error:
            if isinstance(error, TimeoutError):
                error = ConnectionError(f"Redis was not ready within {self.timeout} s")
            failure = error if isinstance(error, ConnectionError) else ConnectionError(f"Redis: {error!r}")
            futures, self.outgoing, self.futures = self.futures, [], []
            for future, _ in futures:
                if not future.done():
                    future.set_exception(failure)
            return
        finally:
            self.connecting = None
        self.connection = connection
        self._flush()

    async def _connected(self) -> _Connection:
        connection = None
        try:
            if self.path:
                connecting = self.loop.create_unix_connection(lambda: _Connection(self), self.path)
            else:
                context = ssl.create_default_context() if self.tls else None
                connecting = self.loop.create_connection(
                    lambda: _Connection(self),
                    self.host,
                    self.port,
                    ssl=context,
                    server_hostname=self.host if context else None,
                )
            _, connection = await connecting
            # Its first words: sign-in, database, the scripts. Their answers are checked as any other.
            setup = [*self.hello, *(_command("SCRIPT", "LOAD", script.source) for script in self.scripts)]
            checks = [self.loop.create_future() for _ in setup]
            connection.waiting.extend((future, self.loop.time(), None) for future in checks)
            connection.transport.write(b"".join(setup))
            await asyncio.gather(*checks)
        except BaseException:
            if connection is not None:
                connection.transport.close()
            raise
        return connection

    def _check_replies(self) -> None:
        self.timer = None
        connection = self.connection
        if connection is None or not connection.waiting:
            return
        oldest = connection.waiting[0][1]
        if self.loop.time() - oldest >= self.timeout:
            connection._fail(ConnectionError(f"Redis did not answer within {self.timeout} s"))
            return
        self.timer = self.loop.call_at(oldest + self.timeout, self._check_replies)

    async def drained(self, timeout: float) -> None:
        """Until every call made has its answer (or `timeout` seconds)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.outgoing or self.connecting or (self.connection is not None and self.connection.waiting):
            if asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(0.01)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.connection is not None:
            self.connection.transport.close()
