"""A small OpenAI-compatible stand-in upstream, with deterministic answers (streaming included):
what `make run` starts when no upstream is configured, and what the tests and the benchmark relay
to. Never a model: it answers with a fixed sequence of words, one token each.

    python -m gateway.standin [--host H] [--port P | --fd N] [--key KEY]

A call steers it with markers in its text: `[[status:429]]` or `[[status:503]]` answers that
status; `[[delay:0.2]]` waits that many seconds before each streamed chunk (before a whole chat
answer, once); `[[words:40]]` answers
that many words (never more than the call's output ceiling). GET /_standin/stats tells the tests
what it received (never the texts, nor the key: its fingerprint, and the names of the headers),
POST /_standin/reset forgets it. Its answers carry what a hosted upstream's do besides the answer (a
cookie, its account's organisation and rate limits, its timings, a request id), which the gateway
must not pass on but the request id."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import re
import socket
import sys
import time
from collections import deque

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

WORDS = "The approved model answers within the conditions of its deployment and the record keeps its usage".split()
MARKER = re.compile(r"\[\[(status|delay|words):([0-9.]+)\]\]")
DEFAULT_WORDS = 12


class Stats:
    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.streams_started = 0
        self.streams_completed = 0
        self.streams_cut = 0
        self.recent: deque = deque(maxlen=200)


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    found = []
    if isinstance(value, list):
        for item in value:
            found += _texts(item)
    elif isinstance(value, dict):
        for name in ("content", "text", "input"):
            if name in value:
                found += _texts(value[name])
    return found


def _controls(texts: list[str]) -> dict[str, float]:
    controls = {}
    for text in texts:
        for name, value in MARKER.findall(text):
            controls[name] = float(value)
    return controls


def _answer(count: int) -> list[str]:
    return [WORDS[i % len(WORDS)] for i in range(count)]


def create_app(key: str | None = None) -> Starlette:
    stats = Stats()

    def check_key(request: Request) -> Response | None:
        if key is None:
            return None
        if request.headers.get("authorization", "") != f"Bearer {key}":
            return JSONResponse(
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                        "param": None,
                    }
                },
                status_code=401,
            )
        return None

    def note(request: Request, data: dict, **extra) -> None:
        stats.requests += 1
        authorization = request.headers.get("authorization", "")
        stats.recent.append(
            {
                "path": request.url.path,
                "headers": sorted(request.headers.keys()),
                "content_type": request.headers.get("content-type"),
                "model": data.get("model"),
                "stream": data.get("stream") is True,
                "stream_options": data.get("stream_options"),
                "max_completion_tokens": data.get("max_completion_tokens"),
                "max_output_tokens": data.get("max_output_tokens"),
                # A fingerprint of the key it was called with, never the key.
                "key_sha256": hashlib.sha256(authorization.removeprefix("Bearer ").encode()).hexdigest()
                if authorization
                else None,
                **extra,
            }
        )

    def status_answer(controls) -> Response | None:
        status = int(controls.get("status", 200))
        if status == 200:
            return None
        headers = {"Retry-After": "1"} if status == 429 else {}
        kind = "requests" if status == 429 else "server_error"
        return JSONResponse(
            {"error": {"message": f"Stand-in answering {status} as asked.", "type": kind, "code": None, "param": None}},
            status_code=status,
            headers=headers,
        )

    async def parsed(request: Request) -> tuple[dict, Response | None]:
        try:
            data = json.loads(await request.body())
        except ValueError:
            return {}, JSONResponse({"error": {"message": "Invalid JSON.", "type": "invalid_request_error"}}, 400)
        if not isinstance(data, dict):
            return {}, JSONResponse({"error": {"message": "Send an object.", "type": "invalid_request_error"}}, 400)
        return data, None

    async def chat(request: Request) -> Response:
        data, bad = await parsed(request)
        refused = bad or check_key(request)
        texts = _texts(data.get("messages"))
        note(request, data)
        if refused:
            return refused
        controls = _controls(texts)
        failed = status_answer(controls)
        if failed:
            return failed
        prompt = sum(len(t.split()) for t in texts)
        ceiling = data.get("max_completion_tokens") or data.get("max_tokens") or 10**9
        words = _answer(min(int(controls.get("words", DEFAULT_WORDS)), int(ceiling)))
        created, ident = int(time.time()), f"chatcmpl-standin-{stats.requests}"
        usage = {"prompt_tokens": prompt, "completion_tokens": len(words), "total_tokens": prompt + len(words)}
        if data.get("stream") is not True:
            await asyncio.sleep(controls.get("delay", 0))
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": data.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": " ".join(words)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        with_usage = (
            isinstance(data.get("stream_options"), dict) and data["stream_options"].get("include_usage") is True
        )

        def chunk(delta: dict, finish=None, choices=True, usage_value=None) -> bytes:
            body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": data.get("model")}
            body["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []
            if with_usage:
                body["usage"] = usage_value
            return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"

        async def events():
            stats.streams_started += 1
            done = False
            try:
                yield chunk({"role": "assistant", "content": ""})
                for i, word in enumerate(words):
                    await asyncio.sleep(controls.get("delay", 0))
                    yield chunk({"content": word if i == 0 else " " + word})
                yield chunk({}, finish="stop")
                if with_usage:
                    yield chunk({}, choices=False, usage_value=usage)
                yield b"data: [DONE]\n\n"
                done = True
            finally:
                if done:
                    stats.streams_completed += 1
                else:
                    stats.streams_cut += 1

        return StreamingResponse(events(), media_type="text/event-stream")

    async def responses(request: Request) -> Response:
        data, bad = await parsed(request)
        refused = bad or check_key(request)
        texts = _texts(data.get("input")) + _texts(data.get("instructions"))
        note(request, data)
        if refused:
            return refused
        controls = _controls(texts)
        failed = status_answer(controls)
        if failed:
            return failed
        prompt = sum(len(t.split()) for t in texts)
        words = _answer(min(int(controls.get("words", DEFAULT_WORDS)), int(data.get("max_output_tokens") or 10**9)))
        usage = {"input_tokens": prompt, "output_tokens": len(words), "total_tokens": prompt + len(words)}
        response = {
            "id": f"resp_standin_{stats.requests}",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": data.get("model"),
            "output": [
                {
                    "type": "message",
                    "id": "msg_standin",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": " ".join(words), "annotations": []}],
                }
            ],
            "usage": usage,
        }
        if data.get("stream") is not True:
            return JSONResponse(response)

        def event(kind: str, body: dict) -> bytes:
            return f"event: {kind}\ndata: ".encode() + json.dumps({"type": kind, **body}).encode() + b"\n\n"

        async def events():
            stats.streams_started += 1
            done = False
            try:
                yield event("response.created", {"response": {**response, "status": "in_progress", "usage": None}})
                for i, word in enumerate(words):
                    await asyncio.sleep(controls.get("delay", 0))
                    yield event("response.output_text.delta", {"delta": word if i == 0 else " " + word})
                yield event("response.completed", {"response": response})
                done = True
            finally:
                if done:
                    stats.streams_completed += 1
                else:
                    stats.streams_cut += 1

        return StreamingResponse(events(), media_type="text/event-stream")

    async def embeddings(request: Request) -> Response:
        data, bad = await parsed(request)
        refused = bad or check_key(request)
        note(request, data)
        if refused:
            return refused
        inputs = data.get("input")
        inputs = inputs if isinstance(inputs, list) else [inputs]
        vectors, tokens = [], 0
        for index, item in enumerate(inputs):
            text = str(item)
            tokens += len(text.split())
            digest = hashlib.sha256(text.encode()).digest()
            vectors.append({"object": "embedding", "index": index, "embedding": [b / 255 for b in digest[:8]]})
        return JSONResponse(
            {
                "object": "list",
                "data": vectors,
                "model": data.get("model"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def transcriptions(request: Request) -> Response:
        body = await request.body()
        model = re.search(rb'name="model"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)\r\n', body)
        data = {"model": model.group(1).decode() if model else None}
        refused = check_key(request)
        note(request, data)
        if refused:
            return refused
        seconds = max(1, len(body) // 16000)
        words = _answer(seconds * 3)
        return JSONResponse(
            {
                "text": " ".join(words),
                "usage": {
                    "type": "tokens",
                    "input_tokens": seconds * 10,
                    "output_tokens": len(words),
                    "total_tokens": seconds * 10 + len(words),
                },
            }
        )

    async def models(request: Request) -> Response:
        return JSONResponse(
            {"object": "list", "data": [{"id": "standin", "object": "model", "created": 0, "owned_by": "standin"}]}
        )

    async def stats_view(request: Request) -> Response:
        return JSONResponse(
            {
                "requests": stats.requests,
                "streams_started": stats.streams_started,
                "streams_completed": stats.streams_completed,
                "streams_cut": stats.streams_cut,
                "recent": list(stats.recent),
            }
        )

    async def reset(request: Request) -> Response:
        stats.reset()
        return JSONResponse({"reset": True})

    return Starlette(
        middleware=[Middleware(UpstreamHeaders)],
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/_standin/stats", stats_view, methods=["GET"]),
            Route("/_standin/reset", reset, methods=["POST"]),
        ],
    )


class UpstreamHeaders:
    """Adds to every answer the headers a hosted upstream sends besides the answer itself."""

    def __init__(self, app):
        self.app = app
        self.numbers = iter(range(1, 1 << 62))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        number = next(self.numbers)

        async def sending(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.extra(number)]}
            await send(message)

        await self.app(scope, receive, sending)

    @staticmethod
    def extra(number: int) -> list[tuple[bytes, bytes]]:
        return [
            (b"set-cookie", b"__standin_bm=upstream-session; path=/; HttpOnly"),
            (b"openai-organization", b"standin-operators-account"),
            (b"openai-project", b"proj_standin"),
            (b"openai-processing-ms", b"3"),
            (b"x-ratelimit-remaining-requests", b"9999"),
            (b"x-ratelimit-limit-tokens", b"2000000"),
            (b"x-envoy-upstream-service-time", b"2"),
            (b"x-request-id", b"req_standin_%d" % number),
        ]


def serve(app, *, fd: int | None, host: str, port: int, **options) -> None:
    """Run uvicorn on host:port, or on an inherited socket. uvicorn's own `fd` takes any socket for
    a Unix one, and so leaves Nagle's algorithm on for TCP (a 40 ms stall per answer, with delayed
    acknowledgements): the socket is rebuilt here with its real family and given to the server."""
    import uvicorn

    if fd is None:
        uvicorn.run(app, host=host, port=port, **options)
        return
    uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[socket.socket(fileno=fd)])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.standin", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_STANDIN_PORT", "8002") or 8002))
    parser.add_argument("--fd", type=int, default=None)
    parser.add_argument("--key", default=os.environ.get("GATEWAY_STANDIN_KEY") or None)
    args = parser.parse_args(argv)
    from .__main__ import logging_setup

    # LOG_LEVEL and LOG_FORMAT, read as every process of the portal reads them; uvicorn keeps the
    # handlers set here (no configuration of its own) and takes the level for its loggers.
    logging_setup(os.environ)
    app = create_app(args.key)
    options = dict(
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        log_level=logging.getLogger().level,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
    )
    serve(app, fd=args.fd, host=args.host, port=args.port, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
