"""The gateway's HTTP/1.1 server on its own (gateway/server.py), in this process with a small app, on
raw connections: kept-alive connections and HTTP/1.0, bodies by Content-Length and chunked,
`Expect: 100-continue`, pipelining refused, heads and bodies over their limits, requests that do not
parse, streamed answers, a caller that goes away mid-stream, a handler that fails, the end of
the server with the requests under way, and the bounds on callers: heads, bodies and connections."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from gateway import server
from gateway.request import BodyTooLarge, ClientGone, Request
from tests.gateway.processes import run_async


class App:
    body_limit = 1000
    body_timeout = 1.0

    def __init__(self):
        self.gone: list[str] = []
        self.interrupted = 0
        self.stop: asyncio.Event | None = None  # set by serve()
        self.server: server.Server | None = None  # set by serve()

    async def handle(self, request: Request) -> None:
        if request.path in ("/echo", "/late-read"):
            if request.path == "/late-read":  # reads the body only after a while (a policy looked up)
                await asyncio.sleep(0.3)
            try:
                body = await request.body()
            except BodyTooLarge:
                return request.answer(413, b'{"error":"too large"}')
            except ClientGone:
                self.gone.append(f"body of {request.path}")
                raise
            answer = {"method": request.method, "body": body.decode(), "header": request.headers.get("x-thing")}
            return request.answer(200, json.dumps(answer).encode())
        if request.path == "/early":  # answers without reading the body
            return request.answer(401, b'{"error":"no"}')
        if request.path == "/stream":
            request.stream_start(200, [("content-type", "text/event-stream")])
            for index in range(3):
                request.stream_write(b"data: %d\n\n" % index)
                await asyncio.sleep(0.01)
            return request.stream_end(b"data: [DONE]\n\n")
        if request.path == "/endless":
            request.stream_start(200, [("content-type", "text/event-stream")])
            request.on_gone = lambda: self.gone.append(request.path)
            while not request.gone:
                request.stream_write(b"data: more\n\n")
                await request.drain()
                await asyncio.sleep(0.01)
            return
        if request.path in ("/flood", "/big"):  # more than a caller that reads nothing can hold
            if request.path == "/big":
                return request.answer(200, b"x" * (16 * 1024 * 1024))
            request.stream_start(200, [("content-type", "text/event-stream")])
            request.on_gone = lambda: self.gone.append(request.path)
            while not request.gone:
                request.stream_write(b"data: %b\n\n" % (b"x" * 65536))
                await request.drain()
            return
        if request.path == "/fail":
            raise RuntimeError("a fault of the app")
        request.answer(404, b'{"error":"unknown"}')

    def interrupt(self) -> None:
        self.interrupted += 1


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if status == 100:
        return status, headers, b""
    if "content-length" in headers:
        return status, headers, await reader.readexactly(int(headers["content-length"]))
    body = b""
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, headers, body
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    return status, headers, await reader.read()


def serve(scenario, app: App | None = None):
    """Run `scenario(port, app)` against a server in this process; then stop the server."""
    app = app or App()

    async def main():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        stop = app.stop = asyncio.Event()
        app.server = server.Server(app, access_log=False)
        serving = asyncio.ensure_future(app.server.serve(sock, stop))
        try:
            return await asyncio.wait_for(scenario(sock.getsockname()[1], app), 20)
        finally:
            stop.set()
            await serving

    return run_async(main)


def post(path: str, body: bytes, *extra: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: test", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def closed(reader: asyncio.StreamReader) -> bool:
    return await asyncio.wait_for(reader.read(), 5) == b""


async def released(app: App) -> bool:
    """Whether the server holds no connection any more within 5 s (its own end closed, not only half)."""
    for _ in range(250):
        if not app.server.connections:
            return True
        await asyncio.sleep(0.02)
    return False


def test_a_kept_alive_connection_serves_one_request_after_another():
    async def scenario(port, app):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        for index in range(3):
            writer.write(post("/echo?x=1", b'{"n":%d}' % index, "X-Thing: yes"))
            answers.append(await read_answer(reader))
        writer.write(b"POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nabcde")
        answers.append(await read_answer(reader))
        writer.write(post("/echo", b"after"))
        answers.append(await read_answer(reader))
        writer.close()
        # HTTP/1.0 asking to keep the connection: told so, and it is kept.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(2):
            writer.write(b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx")
            answers.append(await read_answer(reader))
        writer.close()
        return answers

    answers = serve(scenario)
    assert [status for status, _, _ in answers] == [200, 200, 200, 401, 200, 200, 200]
    assert json.loads(answers[2][2]) == {"method": "POST", "body": '{"n":2}', "header": "yes"}
    assert json.loads(answers[4][2])["body"] == "after"  # the unread body of /early did not spill over
    assert all("connection" not in headers and "date" in headers for _, headers, _ in answers[:5])
    assert all(headers["connection"] == "keep-alive" for _, headers, _ in answers[5:])


def test_http_1_0_and_connection_close_end_the_connection_after_the_answer():
    async def scenario(port, app):
        found = []
        for request in (
            b"POST http://test:8001/echo?x=1 HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
            post("/echo", b"hi", "Connection: close"),
            b"GET /stream HTTP/1.0\r\n\r\n",
        ):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            found.append((await read_answer(reader), await closed(reader)))
            writer.close()
        return found

    found = serve(scenario)
    assert [(answer[0], gone) for answer, gone in found] == [(200, True), (200, True), (200, True)]
    assert json.loads(found[0][0][2])["body"] == "hi"  # the absolute form of the URL, as sent to a proxy
    assert found[1][0][1]["connection"] == "close"
    # A stream to an HTTP/1.0 caller is not chunked: it ends with the connection.
    assert found[2][0][2] == b"data: 0\n\ndata: 1\n\ndata: 2\n\ndata: [DONE]\n\n"


def test_a_chunked_request_body_and_expect_100_continue():
    async def scenario(port, app):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        await asyncio.sleep(0.05)
        writer.write(b"4\r\ndefg\r\n0\r\n\r\n")
        chunked = await read_answer(reader)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        interim = await read_answer(reader)
        writer.write(b"wxyz")
        continued = await read_answer(reader)
        writer.close()
        return chunked, interim, continued

    chunked, interim, continued = serve(scenario)
    assert chunked[0] == 200 and json.loads(chunked[2])["body"] == "abcdefg"
    assert interim[0] == 100
    assert continued[0] == 200 and json.loads(continued[2])["body"] == "wxyz"


def test_pipelined_requests_are_refused_once_the_first_is_answered():
    async def scenario(port, app):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post("/echo", b"one") + post("/echo", b"two"))
        first = await read_answer(reader)
        refused = await read_answer(reader)
        return first, refused, await closed(reader)

    first, refused, gone = serve(scenario)
    assert first[0] == 200 and json.loads(first[2])["body"] == "one"
    assert refused[0] == 400 and json.loads(refused[2])["error"]["code"] == "pipelining_refused"
    assert refused[1]["connection"] == "close" and gone


@pytest.mark.parametrize(
    "request_bytes, status, code",
    [
        (
            b"GET /echo HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n",
            431,
            "request_header_too_large",
        ),
        (b"GET /" + b"a" * (70 * 1024) + b" HTTP/1.1\r\n\r\n", 431, "request_header_too_large"),
        (b"BREW /echo HTCPCP/1.0\r\n\r\n", 400, "malformed_request"),
        (b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, "malformed_request"),
        (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "malformed_request"),
        # A length and a chunked body at once: read either way, the next request could hide in it.
        (
            b"POST /echo HTTP/1.1\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX",
            400,
            "malformed_request",
        ),
        (b"GET /echo HTTP/1.1\r\nHost: test\r\nBad Header: x\r\n\r\n", 400, "malformed_request"),
        (b"GET /echo\x00 HTTP/1.1\r\n\r\n", 400, "malformed_request"),
    ],
)
def test_requests_that_cannot_be_read_get_a_clear_error_and_the_connection_ends(request_bytes, status, code):
    async def scenario(port, app):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request_bytes)
        answer = await read_answer(reader)
        return answer, await closed(reader)

    (found, headers, body), gone = serve(scenario)
    error = json.loads(body)["error"]
    assert (found, error["code"]) == (status, code) and error["message"] and gone


def test_a_body_over_the_limit_is_refused_declared_or_chunked():
    async def scenario(port, app):
        found = []
        for request in (
            post("/echo", b"x" * 1001),
            b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"200\r\n" + b"x" * 512 + b"\r\n" * 1,
        ):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            if b"chunked" in request:
                writer.write(b"200\r\n" + b"y" * 512 + b"\r\n")
            found.append((await read_answer(reader))[0])
            found.append(await closed(reader))
            writer.close()
        return found

    assert serve(scenario) == [413, True, 413, True]


def test_a_caller_that_goes_away_mid_stream_is_told_to_the_handler():
    async def scenario(port, app):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /stream HTTP/1.1\r\nHost: test\r\n\r\n")
        stream = await read_answer(reader)
        writer.write(b"GET /endless HTTP/1.1\r\nHost: test\r\n\r\n")
        await reader.readuntil(b"data: more\n\n")
        writer.close()
        for _ in range(100):
            if app.gone:
                break
            await asyncio.sleep(0.02)
        return stream, list(app.gone)

    stream, gone = serve(scenario)
    assert stream[0] == 200 and stream[1]["transfer-encoding"] == "chunked"
    assert stream[2] == b"data: 0\n\ndata: 1\n\ndata: 2\n\ndata: [DONE]\n\n"
    assert gone == ["/endless"]


def test_a_handler_that_fails_is_a_500_and_the_server_goes_on():
    async def scenario(port, app):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /fail HTTP/1.1\r\nHost: test\r\n\r\n")
        failed = await read_answer(reader)
        writer.write(post("/echo", b"still here"))
        return failed, await read_answer(reader)

    failed, after = serve(scenario)
    assert failed[0] == 500 and json.loads(failed[2])["error"]["code"] == "gateway_error"
    assert after[0] == 200


def test_stopping_closes_idle_connections_at_once_and_ends_what_outlives_the_grace(monkeypatch):
    monkeypatch.setattr(server, "GRACE_SECONDS", 0.3)

    async def scenario(port, app):
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
        idle_writer.write(post("/echo", b"x"))
        await read_answer(idle_reader)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /endless HTTP/1.1\r\nHost: test\r\n\r\n")
        await reader.readuntil(b"data: more\n\n")
        app.stop.set()
        idle_closed = await closed(idle_reader)
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(reader.read(), 5)  # until the server closes it
        waited = asyncio.get_running_loop().time() - started
        try:
            await asyncio.open_connection("127.0.0.1", port)
            refused = False
        except ConnectionRefusedError:
            refused = True
        return idle_closed, waited, refused, app.interrupted

    idle_closed, waited, refused, interrupted = serve(scenario)
    assert idle_closed and refused
    assert 0.2 < waited < 3 and interrupted == 1


def test_idle_connections_and_heads_that_never_end_are_closed_after_the_keep_alive(monkeypatch):
    monkeypatch.setattr(server, "KEEP_ALIVE_SECONDS", 0.4)

    async def scenario(port, app):
        loop = asyncio.get_running_loop()
        started = loop.time()
        idle_reader, _ = await asyncio.open_connection("127.0.0.1", port)
        slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", port)
        slow_writer.write(b"POST /echo HTTP/1.1\r\nHost: te")  # and nothing more
        busy_reader, busy_writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(8):  # a request every 0.1 s for 0.8 s: never idle for long
            busy_writer.write(post("/echo", b"x"))
            assert (await read_answer(busy_reader))[0] == 200
            await asyncio.sleep(0.1)
        busy_open = not busy_reader.at_eof()
        idle_closed, slow_closed = await closed(idle_reader), await closed(slow_reader)
        waited = loop.time() - started
        return busy_open, idle_closed, slow_closed, waited, await closed(busy_reader)

    busy_open, idle_closed, slow_closed, waited, busy_closed_later = serve(scenario)
    assert busy_open and idle_closed and slow_closed and busy_closed_later
    assert waited < 3


def test_an_answer_written_before_the_body_ended_closes_the_connection_within_the_bodys_deadline():
    """The body is not awaited for the connection's sake: the answer says the connection ends, the
    rest of the body is dropped as it comes, and the connection closes when it ends, or at the
    body's deadline if it never does (a caller that sends a head and stops holds nothing long)."""

    async def scenario(port, app):
        loop = asyncio.get_running_loop()
        found = []
        for rest in (b"", b"y" * 490):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = loop.time()
            writer.write(b"POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: 500\r\n\r\n" + b"x" * 10)
            answer = await read_answer(reader)
            writer.write(rest)  # the rest of the body after the answer, or nothing
            found.append((answer[0], answer[1].get("connection"), await released(app), loop.time() - started))
            writer.close()
        return found

    stalled, finished = serve(scenario)
    assert stalled[:3] == (401, "close", True) and 0.8 < stalled[3] < 3
    assert finished[:3] == (401, "close", True) and finished[3] < 0.8  # closed as its body ended


def test_a_body_that_stalls_is_refused_408_and_its_handler_ends_while_a_slow_steady_one_is_served():
    async def scenario(port, app):
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = loop.time()
        writer.write(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 50\r\n\r\n" + b"x" * 10)
        stalled = await read_answer(reader)
        stalled_after, stalled_closed = loop.time() - started, await closed(reader)
        # Chunked, a piece every 0.05 s for 0.5 s: within the deadline (1 s) from the head.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
        for index in range(10):
            await asyncio.sleep(0.05)
            writer.write(b"1\r\n%d\r\n" % index)
        writer.write(b"0\r\n\r\n")
        steady = await read_answer(reader)
        writer.write(post("/echo", b"again"))  # the connection is kept for the next call
        again = await read_answer(reader)
        writer.close()
        return stalled, stalled_after, stalled_closed, steady, again, list(app.gone)

    stalled, stalled_after, stalled_closed, steady, again, gone = serve(scenario)
    error = json.loads(stalled[2])["error"]
    assert stalled[0] == 408 and error["code"] == "request_timeout" and "1 seconds" in error["message"]
    assert stalled[1]["connection"] == "close" and stalled_closed and 0.8 < stalled_after < 3
    assert gone == ["body of /echo"]  # the handler waiting for the body was told, and ended
    assert steady[0] == 200 and json.loads(steady[2])["body"] == "0123456789" and "connection" not in steady[1]
    assert again[0] == 200 and json.loads(again[2])["body"] == "again"


def test_a_caller_gone_before_its_handler_reads_the_body_ends_the_handler():
    """The handler comes to the body after the caller left (a policy looked up meanwhile): it is told
    at once, rather than waiting for a body that cannot come."""

    async def scenario(port, app):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /late-read HTTP/1.1\r\nHost: test\r\nContent-Length: 50\r\n\r\nxyz")
        await asyncio.sleep(0.05)
        writer.close()
        for _ in range(100):
            if app.gone:
                break
            await asyncio.sleep(0.02)
        return list(app.gone)

    assert serve(scenario) == ["body of /late-read"]


def test_connections_over_the_limit_are_answered_503_and_closed_and_the_others_served():
    app = App()
    app.connection_limit = 2

    async def scenario(port, app):
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post("/echo", b"one too many"))
        refused = await read_answer(reader), await closed(reader)
        for held_reader, held_writer in held:  # the two held are served still
            held_writer.write(post("/echo", b"held"))
            assert (await read_answer(held_reader))[0] == 200
        held[0][1].close()
        await closed(held[0][0])
        await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # a place is free again
        writer.write(post("/echo", b"in"))
        return refused, await read_answer(reader)

    (refused, refused_closed), served = serve(scenario, app)
    assert refused[0] == 503 and json.loads(refused[2])["error"]["code"] == "gateway_busy"
    assert refused[1]["retry-after"] == "1" and refused[1]["connection"] == "close" and refused_closed
    assert served[0] == 200 and json.loads(served[2])["body"] == "in"


def test_a_caller_that_reads_nothing_of_its_answer_is_cut_off_and_the_handler_told(monkeypatch):
    """Writing waits for a slow caller (`drain`), and closing waits for what was written to be sent:
    neither for longer than SEND_SECONDS when the caller takes nothing."""
    monkeypatch.setattr(server, "SEND_SECONDS", 0.5)

    async def scenario(port, app):
        loop = asyncio.get_running_loop()
        found = []
        for path in ("/flood", "/big"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = loop.time()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())  # and nothing read
            found.append((await released(app), loop.time() - started))
            writer.close()
        return found, list(app.gone)

    found, gone = serve(scenario)
    assert all(done and waited < 4 for done, waited in found), found
    assert gone == ["/flood"]  # the stream's handler was told, and ended
