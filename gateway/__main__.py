"""python -m gateway [--host H] [--port P | --fd N] [--workers W] — one replica of the governed gateway.

GATEWAY_HOST (127.0.0.1) and GATEWAY_PORT (8001) by default; `--fd` serves an inherited socket
(how the tests and the benchmark start replicas on ports chosen at run time). `--workers`
(GATEWAY_WORKERS, 1 by default) runs that many processes of the replica accepting on the one
socket, to use more cores of a machine: each holds its own copy of the policies, and the counters
they share are in Redis, so the limits stay exact across them as across replicas."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import socket
import sys

from . import server
from .config import Config, config_from_env


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8001") or 8001))
    parser.add_argument("--fd", type=int, default=None, help="serve this inherited, bound socket")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GATEWAY_WORKERS", "1") or 1))
    parser.add_argument("--access-log", action="store_true", default=os.environ.get("GATEWAY_ACCESS_LOG") == "1")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    config = config_from_env()  # read once, before any worker starts: a bad setting stops the replica
    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
    else:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.create_server((args.host, args.port), family=family, backlog=2048)
    logging.getLogger("gateway").info("Serving on %s", sock.getsockname())
    target = functools.partial(server.run, functools.partial(_setup, config), sock=sock, access_log=args.access_log)
    if args.workers == 1:
        target()
    else:
        server.run_workers(target, args.workers)
    return 0


async def _setup(config: Config):
    from .service import Gateway

    gateway = Gateway(config)
    await gateway.start()
    return gateway


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
