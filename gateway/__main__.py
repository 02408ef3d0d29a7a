"""python -m gateway [--host H] [--port P | --fd N] [--workers W] — one replica of the governed gateway.

GATEWAY_HOST (127.0.0.1) and GATEWAY_PORT (8001) by default; `--fd` serves an inherited socket
(how the tests and the benchmark start replicas on ports chosen at run time). `--workers`
(GATEWAY_WORKERS, 1 by default) runs that many processes of the replica accepting on the one
socket, to use more cores of a machine: each holds its own copy of the policies, and the counters
they share are in Redis, so the limits stay exact across them as across replicas."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8001") or 8001))
    parser.add_argument("--fd", type=int, default=None, help="serve this inherited, bound socket")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GATEWAY_WORKERS", "1") or 1))
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
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    serve("gateway.service:create_app", fd=args.fd, host=args.host, port=args.port, workers=args.workers, **options)
    return 0


def serve(app, *, fd: int | None, host: str, port: int, workers: int = 1, **options) -> None:
    """Run uvicorn on host:port, or on an inherited socket. uvicorn's own `fd` takes any socket for
    a Unix one, and so leaves Nagle's algorithm on for TCP (a 40 ms stall per answer, with delayed
    acknowledgements): the socket is rebuilt here with its real family and given to the server.
    With several workers, each is a process of its own accepting on that one socket."""
    if fd is None and workers == 1:
        uvicorn.run(app, host=host, port=port, **options)
        return
    if fd is not None:
        sock = socket.socket(fileno=fd)
    else:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=2048)
    config = uvicorn.Config(app, workers=workers, **options)
    if workers == 1:
        uvicorn.Server(config).run(sockets=[sock])
        return
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
