"""The relay's own parts, without the portal: the stream meter (whole events handed on as they come,
however the reads cut them; the events counted; the usage found, and taken out when the gateway
asked for it) and the HTTP/1.1 client to the upstreams (framings, kept-alive connections, a
connection the upstream closed while idle, and the failures told apart)."""

from __future__ import annotations

import asyncio
import json
import ssl

import pytest

from gateway.counters import Usage
from gateway.proxy import SSEMeter, upstream_failure
from gateway.upstream import ConnectError, Pool, ReadError, UpstreamTimeout
from tests.gateway.processes import run_async


def chat_stream(words: int, *, usage: bool, crlf: bool = False) -> bytes:
    def event(body: dict) -> bytes:
        return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"

    chunks = [event({"choices": [{"delta": {"role": "assistant", "content": ""}}]})]
    chunks += [event({"choices": [{"delta": {"content": f"w{i}"}}], "usage": None}) for i in range(words)]
    if usage:
        counts = {"prompt_tokens": 3, "completion_tokens": words, "total_tokens": 3 + words}
        chunks.append(event({"choices": [], "usage": counts}))
    chunks.append(b"data: [DONE]\n\n")
    stream = b"".join(chunks)
    return stream.replace(b"\n", b"\r\n") if crlf else stream


def metered(stream: bytes, cut: int, *, strip: bool) -> tuple[bytes, SSEMeter]:
    meter = SSEMeter(strip_usage=strip)
    out = b"".join(meter.feed(stream[i : i + cut]) for i in range(0, len(stream), cut)) + meter.rest()
    return out, meter


@pytest.mark.parametrize("cut", [1, 7, 64, 10_000])
@pytest.mark.parametrize("crlf", [False, True])
def test_the_meter_hands_on_whole_events_counts_them_and_finds_the_usage(cut, crlf):
    stream = chat_stream(5, usage=True, crlf=crlf)
    out, meter = metered(stream, cut, strip=False)
    assert out == stream
    assert meter.usage == Usage(3, 5, 8, 0)
    assert meter.events == 7  # the role chunk, five words, the usage chunk; not [DONE]


@pytest.mark.parametrize("cut", [1, 13, 10_000])
def test_the_meter_takes_out_the_usage_chunk_the_caller_did_not_ask_for(cut):
    stream = chat_stream(4, usage=True)
    out, meter = metered(stream, cut, strip=True)
    assert out == chat_stream(4, usage=False)
    assert b'"usage":{' not in out and out.endswith(b"data: [DONE]\n\n")
    assert meter.usage == Usage(3, 4, 7, 0)


def test_the_meter_holds_back_an_unfinished_event_until_its_end_arrives():
    meter = SSEMeter(strip_usage=False)
    assert meter.feed(b'data: {"a":1}\n\ndata: {"b"') == b'data: {"a":1}\n\n'
    assert meter.feed(b":2}\n") == b""
    assert meter.feed(b"\n") == b'data: {"b":2}\n\n'
    assert meter.events == 2 and meter.usage is None


def test_the_meter_counts_the_events_of_a_responses_stream():
    stream = (
        b'event: response.created\ndata: {"response":{"usage": null}}\n\n'
        + b'event: response.output_text.delta\ndata: {"delta":"x"}\n\n' * 3
        + b'event: response.completed\ndata: {"response":{"usage": {"input_tokens":2,"output_tokens":3}}}\n\n'
    )
    out, meter = metered(stream, 10_000, strip=False)
    assert out == stream and meter.events == 5 and meter.usage == Usage(2, 3, 5, 0)


# --- the client to the upstreams ------------------------------------------------------------------


class Upstream:
    """A scripted HTTP/1.1 server: each connection answers its requests with the next answers."""

    def __init__(self, answers: list[bytes], *, close_after: bool = False, hold: float = 0):
        self.answers = answers
        self.close_after = close_after
        self.hold = hold
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader, writer):
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:]
                )
                self.requests.append(head + await reader.readexactly(length))
                await asyncio.sleep(self.hold)
                writer.write(self.answers.pop(0))
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"
        return self

    async def __aexit__(self, *exc):
        self.server.close()


def pool(read_timeout: float = 5) -> Pool:
    return Pool(connect_timeout=2, read_timeout=read_timeout, max_connections=8, tls=ssl.create_default_context())


CHUNKED = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    b"6\r\ndata: \r\n8\r\n[DONE]\n\n\r\n0\r\n\r\n"
)
SIZED = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'


def test_the_client_reads_both_framings_and_keeps_its_connection():
    async def scenario():
        async with Upstream([CHUNKED, SIZED]) as upstream:
            client = pool()
            origin = client.origin(upstream.url)
            first = await client.request(origin, "/chat/completions", [("Authorization", "Bearer k")], b'{"a":1}')
            streamed = await first.read()
            first.close()
            second = await client.request(origin, "/embeddings", [], b"{}")
            body = await second.read()
            second.close()
            client.close()
            return first, streamed, second, body, upstream

    first, streamed, second, body, upstream = run_async(scenario)
    assert (first.status_code, first.headers["content-type"], streamed) == (
        200,
        "text/event-stream",
        b"data: [DONE]\n\n",
    )
    assert (second.status_code, body) == (200, b'{"ok":true}')
    assert upstream.connections == 1  # kept alive between the two calls
    sent = upstream.requests[0]
    assert sent.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n") and b"Authorization: Bearer k\r\n" in sent
    assert sent.endswith(b'Content-Length: 7\r\n\r\n{"a":1}') and b"Accept-Encoding: identity\r\n" in sent


def test_a_connection_the_upstream_closed_while_idle_is_replaced_without_failing_the_call():
    async def scenario():
        async with Upstream([SIZED, SIZED], close_after=True) as upstream:
            client = pool()
            origin = client.origin(upstream.url)
            answers = []
            for _ in range(2):
                response = await client.request(origin, "/embeddings", [], b"{}")
                answers.append(await response.read())
                response.close()
                await asyncio.sleep(0.05)  # the upstream's close arrives while the connection is idle
            client.close()
            return answers, upstream.connections

    answers, connections = run_async(scenario)
    assert answers == [b'{"ok":true}'] * 2 and connections == 2


def test_the_clients_failures_are_told_apart():
    async def scenario():
        found = {}
        client = pool(read_timeout=0.3)
        probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        free_port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        try:
            await client.request(client.origin(f"http://127.0.0.1:{free_port}/v1"), "/x", [], b"")
        except ConnectError as error:
            found["unreachable"] = error
        async with Upstream([SIZED], hold=2) as slow:
            try:
                await client.request(client.origin(slow.url), "/x", [], b"")
            except UpstreamTimeout as error:
                found["slow"] = error
        broken = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel"
        async with Upstream([broken], close_after=True) as cut:
            response = await client.request(client.origin(cut.url), "/x", [], b"")
            try:
                await response.read()
            except ReadError as error:
                found["cut"] = error
            response.close()
        client.close()
        return found

    found = run_async(scenario)
    assert set(found) == {"unreachable", "slow", "cut"}
    assert upstream_failure(None, found["unreachable"], "upstream of eu-west").code == "upstream_unreachable"
    assert upstream_failure(None, found["slow"], "upstream of eu-west").code == "upstream_timeout"
