"""python -m gateway [--host H] [--port P | --fd N] — one replica of the governed gateway.

GATEWAY_HOST (127.0.0.1) and GATEWAY_PORT (8001) by default; `--fd` serves an inherited socket
(how the tests and the benchmark start replicas on ports chosen at run time)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

import uvicorn


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8001") or 8001))
    parser.add_argument("--fd", type=int, default=None, help="serve this inherited, bound socket")
    parser.add_argument("--access-log", action="store_true", default=os.environ.get("GATEWAY_ACCESS_LOG") == "1")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per upstream call is the access log's job
    options = dict(
        factory=True,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=args.access_log,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,  # streams under way get 5 s to end, then the replica stops
    )
    serve("gateway.service:create_app", fd=args.fd, host=args.host, port=args.port, **options)
    return 0


def serve(app, *, fd: int | None, host: str, port: int, **options) -> None:
    """Run uvicorn on host:port, or on an inherited socket. uvicorn's own `fd` takes any socket for
    a Unix one, and so leaves Nagle's algorithm on for TCP (a 40 ms stall per answer, with delayed
    acknowledgements): the socket is rebuilt here with its real family and given to the server."""
    if fd is None:
        uvicorn.run(app, host=host, port=port, **options)
        return
    sock = socket.socket(fileno=fd)
    server = uvicorn.Server(uvicorn.Config(app, **options))
    server.run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
