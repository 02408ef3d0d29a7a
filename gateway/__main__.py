"""python -m gateway [--host H] [--port P | --fd N] [--workers W] — one replica of the governed gateway.

GATEWAY_HOST (127.0.0.1) and GATEWAY_PORT (8001) by default; `--fd` serves an inherited socket
(how the tests and the benchmark start replicas on ports chosen at run time). `--workers`
(GATEWAY_WORKERS, 1 by default) runs that many processes of the replica accepting on the one
socket, to use more cores of a machine: each holds its own copy of the policies, and the counters
they share are in Redis, so the limits stay exact across them as across replicas."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable

from django.core.exceptions import ImproperlyConfigured

from tenants.configuration import env_int, json_logs, log_level

from . import server
from .config import Config, config_from_env

log = logging.getLogger("gateway")


def _from_env(read):
    """What `read` reads from the environment, or the process stopped with the line that says which
    variable is wrong and what it expects."""
    try:
        return read()
    except ImproperlyConfigured as refusal:
        raise SystemExit(str(refusal)) from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    port, workers = _from_env(lambda: (env_int("GATEWAY_PORT", 8001), env_int("GATEWAY_WORKERS", 1)))
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--fd", type=int, default=None, help="serve this inherited, bound socket")
    parser.add_argument("--workers", type=int, default=workers)
    parser.add_argument("--access-log", action="store_true", default=os.environ.get("GATEWAY_ACCESS_LOG") == "1")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    logging_setup(os.environ)
    config = config_from_env()  # read once, before any worker starts: a bad setting stops the replica
    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
    else:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.create_server((args.host, args.port), family=family, backlog=2048)
    log.info("Serving on %s", sock.getsockname())
    target = functools.partial(serve, functools.partial(_setup, config), sock=sock, access_log=args.access_log)
    if args.workers == 1:
        target()
    else:
        run_workers(target, args.workers)
    return 0


class JsonLines(logging.Formatter):
    """One JSON object per line, named as the portal's lines are (event, level, logger, timestamp,
    exception), so that one log pipeline reads both."""

    def format(self, record: logging.LogRecord) -> str:
        import json
        from datetime import UTC, datetime

        line = {
            "event": record.getMessage(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def logging_setup(environ) -> None:
    """JSON lines, as the portal writes them, unless LOG_FORMAT=console (or DEBUG, its default there),
    at LOG_LEVEL: both read as every process of the portal reads them (tenants.configuration), so a
    value one process refuses, every process refuses, in the same words."""
    json, level = _from_env(lambda: (json_logs(environ), log_level(environ)))
    handler = logging.StreamHandler()
    if json:
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


async def _setup(config: Config):
    from .service import Gateway

    gateway = Gateway(config)
    await gateway.start()
    return gateway


def serve(setup: Callable[[], Awaitable], *, sock: socket.socket, access_log: bool = False) -> None:
    """Serve `sock` until SIGTERM or SIGINT. `setup()` makes the app in the server's loop (its
    `close()` is awaited at the end)."""
    import uvloop

    async def main() -> None:
        app = await setup()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await server.Server(app, access_log=access_log).serve(sock, stop)
        finally:
            await app.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


def run_workers(target: Callable[[], None], workers: int) -> None:
    """Run `target` in `workers` processes forked from this one (sharing its listening socket),
    restart one that dies, and stop them all on SIGTERM or SIGINT."""
    children: dict[int, int] = {}
    stopping = False

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                target()
            except BaseException:
                log.exception("Worker %s failed", index)
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        children[pid] = index

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(workers):
        spawn(index)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        index = children.pop(pid, None)
        if index is not None and not stopping:
            log.error("Worker %s ended (status %s); starting it again", index, status)
            time.sleep(0.5)
            spawn(index)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
