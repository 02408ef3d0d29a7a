"""Gateway benchmark: chat-completion streams through the gateway to the stand-in upstream, against
the same streams sent to the stand-in directly, in the same run, 64 at a time.

Real processes on 127.0.0.1, ports chosen at run time: the stand-in (16 words a stream, no delay),
one gateway replica (`--gateway-workers` processes), Redis. The policy is published to Redis with the portal's own script. The
load comes from a minimal HTTP/1.1 client (asyncio streams, keep-alive, chunked bodies) in this
process, so that its own cost stays small and is the same for both paths. For each stream: time to
its first body bytes and to its end. Rounds alternate direct and gateway so that the shared
machine's load falls on both alike; with `--gateway-baseline DIR`, the gateway of another checkout
(the code before a change) is a third path in the same rounds, on the same stand-in and Redis. Then
10,000 streams through the gateway, sampling its resident memory every 1,000."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 64
WORDS = 16
SECRET = "sk-portal-benchmark-" + secrets.token_hex(8)
REDIS_TIMEOUT = 5.0  # seconds: connecting to Redis, and each answer


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


def _start(args: list[str], env: dict, cwd: Path = ROOT, log: str | None = None) -> tuple[subprocess.Popen, int]:
    sock = _socket()
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / f"{log or 'bench-' + args[1].replace('.', '-')}.log", "w")
    process = subprocess.Popen(
        [sys.executable, *args, "--fd", str(sock.fileno())],
        cwd=cwd,
        env=env,
        pass_fds=[sock.fileno()],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    port = sock.getsockname()[1]
    sock.close()
    return process, port


def _summed(pid: int, measure) -> float:
    """`measure` of a process summed with that of every process under it (its workers)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return sum(measure(process) for process in (root, *root.children(recursive=True)))
    except psutil.NoSuchProcess:
        return 0.0


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds, from /proc: work done, which the load of other processes on the
    machine does not change."""
    return _summed(pid, lambda process: sum(process.cpu_times()[:2]))


def _syscalls(pid: int) -> int:
    """Read and write system calls (socket reads and writes included)."""
    return int(_summed(pid, lambda process: sum(process.io_counters()[:2])))


def _rss_mb(pid: int) -> float:
    return _summed(pid, lambda process: process.memory_info().rss) / 2**20


def _publish(prefix: str, key: bytes, upstream: str) -> None:
    from deployments import published

    names = published.Keys(prefix)
    policy = published.Policy(
        environment=1,
        country=1,
        state="active",
        model="bench-model",
        capabilities=["text"],
        region="eu-west",
        classification="internal",
        quota=10**15,
        requests_per_minute=0,
        expires_at=None,
        human_review=False,
        capture=False,
        upstream_url=upstream,
        upstream_key=published.seal_for_gateway(key, "standin-bench-key", environment_id=1, version=1),
    )
    client = redis_client()
    client.eval(
        published.PUBLISH_SCRIPT,
        2,
        names.policy(1),
        names.environment_credentials(1),
        1,
        published.policy_json(policy.as_dict()),
        names.channel,
        1,
        names.prefix,
        60,
        hashlib.sha256(SECRET.encode()).hexdigest(),
    )


def redis_client() -> redis.Redis:
    """The benchmark's own Redis client, bounded as every client of the project is: a Redis that
    takes the connection and never answers stops the run with a timeout, not a hang."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)


def _request(port: int, secret: str | None) -> bytes:
    body = json.dumps(
        {
            "model": "bench-model",
            "stream": True,
            "max_completion_tokens": 64,
            "messages": [{"role": "user", "content": f"Benchmark [[words:{WORDS}]]"}],
        }
    ).encode()
    headers = [
        "POST /v1/chat/completions HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Authorization: Bearer " + (secret or "standin-bench-key"),
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


async def _one(reader, writer, request: bytes) -> tuple[float, float]:
    """Send one request on a kept-alive connection; (seconds to first body bytes, to the end)."""
    started = time.perf_counter()
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        body = await asyncio.wait_for(reader.read(2000), 5)
        status = head.split(b"\r\n")[0].decode()
        raise RuntimeError(f"{status}: {body[:600]!r}")
    first = None
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        if first is None:
            first = time.perf_counter() - started
        if size == 0:
            await reader.readuntil(b"\r\n")
            return first, time.perf_counter() - started
        await reader.readexactly(size + 2)


async def _load(port: int, secret: str | None, total: int, on_progress=None) -> tuple[list, list, float]:
    request = _request(port, secret)
    firsts, ends, done = [], [], 0

    async def worker(count: int):
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(count):
            first, end = await _one(reader, writer, request)
            firsts.append(first)
            ends.append(end)
            done += 1
            if on_progress and done % 1000 == 0:
                on_progress(done)
        writer.close()

    share = [total // CONCURRENCY + (1 if i < total % CONCURRENCY else 0) for i in range(CONCURRENCY)]
    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in share if n))
    return firsts, ends, time.perf_counter() - started


async def _sequential(port: int, secret: str | None, total: int) -> list:
    request = _request(port, secret)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    found = [await _one(reader, writer, request) for _ in range(total)]
    writer.close()
    return [end for _, end in found]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run(args) -> str:
    rounds, per_round = args.gateway_rounds, args.gateway_requests
    prefix = f"gw-bench-{os.getpid()}"
    key = secrets.token_bytes(32)
    env = {
        **os.environ,
        "GATEWAY_REDIS_PREFIX": prefix,
        "GATEWAY_POLICY_KEY": base64.b64encode(key).decode(),
        "LOG_LEVEL": "WARNING",
    }
    standin, standin_port = _start(["-m", "gateway.standin", "--key", "standin-bench-key"], env)
    workers = getattr(args, "gateway_workers", 1)
    gateway_args = ["-m", "gateway", *(["--workers", str(workers)] if workers > 1 else [])]
    gateway, gateway_port = _start(gateway_args, env)
    # Another checkout's gateway (the code before a change), measured in the same alternating rounds.
    baseline_dir = getattr(args, "gateway_baseline", None)
    baseline, baseline_port = (
        _start(gateway_args, env, cwd=Path(baseline_dir), log="bench-gateway-baseline")
        if baseline_dir
        else (None, None)
    )
    paths = [("direct", standin_port, None, None), ("gateway", gateway_port, SECRET, gateway)]
    if baseline is not None:
        paths.insert(1, ("baseline", baseline_port, SECRET, baseline))
    try:
        for _, port, _, _ in paths:
            _wait_ready(port)
        _publish(prefix, key, f"http://127.0.0.1:{standin_port}/v1")
        time.sleep(0.5)
        for _, port, secret, _ in paths:  # warm every path
            asyncio.run(_load(port, secret, 500))
        figures = {name: _figures() for name, *_ in paths}
        for _ in range(rounds):
            for name, port, secret, process in paths:
                target = figures[name]
                pid = (process or gateway).pid
                cpu = _cpu_seconds(pid), _cpu_seconds(standin.pid), _syscalls(pid), time.process_time()
                firsts, ends, seconds = asyncio.run(_load(port, secret, per_round))
                target["cpu_gateway"] += _cpu_seconds(pid) - cpu[0]
                target["cpu_standin"] += _cpu_seconds(standin.pid) - cpu[1]
                target["syscalls"] += _syscalls(pid) - cpu[2]
                target["cpu_client"] += time.process_time() - cpu[3]
                target["first"] += firsts
                target["end"] += ends
                target["seconds"] += seconds
                target["n"] += len(ends)
        single_direct = asyncio.run(_sequential(standin_port, None, 300))
        single_through = asyncio.run(_sequential(gateway_port, SECRET, 300))
        samples = [(0, _rss_mb(gateway.pid))]
        asyncio.run(_load(gateway_port, SECRET, 10_000, lambda n: samples.append((n, _rss_mb(gateway.pid)))))
    finally:
        for process in (gateway, baseline, standin):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
        client = redis_client()
        for name in client.scan_iter(f"{prefix}:*"):
            client.delete(name)
    return _report(figures, single_direct, single_through, samples, rounds, per_round, workers, baseline_dir)


def _figures() -> dict:
    return {
        "first": [],
        "end": [],
        "seconds": 0.0,
        "n": 0,
        "cpu_gateway": 0.0,
        "cpu_standin": 0.0,
        "cpu_client": 0.0,
        "syscalls": 0,
    }


def _wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 "):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port} within {timeout} s")


def _report(figures, single_direct, single_through, samples, rounds, per_round, workers, baseline_dir) -> str:
    direct, through = figures["direct"], figures["gateway"]
    labels = {
        "direct": "client → stand-in (direct)",
        "baseline": "client → gateway before (baseline) → stand-in",
        "gateway": "client → gateway → stand-in",
    }
    rows = []
    for name, found in figures.items():
        rows.append(
            f"| {labels[name]} | {found['n']} | {_pct(found['first'], 0.5):.2f} | {_pct(found['first'], 0.99):.2f} | "
            f"{_pct(found['end'], 0.5):.2f} | {_pct(found['end'], 0.99):.2f} | {found['n'] / found['seconds']:.0f} |"
        )
    rows = "\n".join(rows)

    def added(found) -> dict:
        return {
            "first50": _pct(found["first"], 0.5) - _pct(direct["first"], 0.5),
            "first99": _pct(found["first"], 0.99) - _pct(direct["first"], 0.99),
            "end50": _pct(found["end"], 0.5) - _pct(direct["end"], 0.5),
            "end99": _pct(found["end"], 0.99) - _pct(direct["end"], 0.99),
            "share": (found["n"] / found["seconds"]) / (direct["n"] / direct["seconds"]),
        }

    def per_k(found, name: str) -> float:
        return 1000 * found[name] / found["n"]

    def cpu_share(found) -> float:
        # On a machine whose cores are all busy, streams per second go as the inverse of the CPU a
        # stream costs all the processes on its path: the share of direct throughput that CPU predicts.
        return (per_k(direct, "cpu_client") + per_k(direct, "cpu_standin")) / (
            per_k(found, "cpu_client") + per_k(found, "cpu_standin") + per_k(found, "cpu_gateway")
        )

    now = added(through)
    one50 = statistics.median(single_through) * 1000 - statistics.median(single_direct) * 1000
    one99 = _pct(single_through, 0.99) - _pct(single_direct, 0.99)
    growth = samples[-1][1] - samples[1][1] if len(samples) > 1 else 0.0
    gateways = [name for name in figures if name != "direct"]
    head = " | ".join(["process", "direct", *(labels[name].split(" → ")[1] for name in gateways)])
    cpu_rows = "\n".join(
        [
            f"| {head} |",
            "|" + "---|" * (2 + len(gateways)),
            "| the stand-in upstream | "
            + " | ".join(f"{per_k(figures[name], 'cpu_standin'):.2f}" for name in figures)
            + " |",
            "| the gateway | – | "
            + " | ".join(f"{per_k(figures[name], 'cpu_gateway'):.2f}" for name in gateways)
            + " |",
            "| the load client | " + " | ".join(f"{per_k(figures[name], 'cpu_client'):.2f}" for name in figures) + " |",
        ]
    )
    standin_direct = per_k(direct, "cpu_standin")
    ratios = "; ".join(
        f"{labels[name].split(' → ')[1]}: {per_k(figures[name], 'cpu_gateway') / standin_direct:.2f}x the upstream's own "
        f"work, {figures[name]['syscalls'] / figures[name]['n']:.1f} read and write system calls per stream, "
        f"{100 * cpu_share(figures[name]):.0f}% of direct throughput allowed by its CPU with every core busy"
        for name in gateways
    )
    comparison = ""
    if "baseline" in figures:
        before = added(figures["baseline"])
        comparison = (
            f"\nThe gateway before (the checkout `{baseline_dir}`), in the same rounds: whole stream p50 "
            f"{before['end50']:+.2f} ms, p99 {before['end99']:+.2f} ms, throughput {100 * before['share']:.0f}% of direct; "
            f"CPU {per_k(figures['baseline'], 'cpu_gateway'):.2f} s per 1,000 streams against "
            f"{per_k(through, 'cpu_gateway'):.2f} now.\n"
        )
    memory = ", ".join(f"{n:,}: {mb:.1f}" for n, mb in samples)

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    return f"""### Gateway

Chat-completion streams of {WORDS} words through one gateway replica of {workers} worker process{"es" if workers > 1 else ""}
(its own HTTP/1.1 server and client on uvloop and httptools, policy from Redis, admission and settlement scripts
pipelined on one Redis connection) to the stand-in upstream, against the same streams sent to the stand-in
directly, {CONCURRENCY} at a time on kept-alive connections, {rounds} alternating rounds of {per_round} streams per path.
Times in milliseconds: to the first body bytes (the role chunk) and to the end of the stream.

| path | streams | first bytes p50 | first bytes p99 | end p50 | end p99 | streams per second |
|---|---|---|---|---|---|---|
{rows}

Added by the gateway at {CONCURRENCY} concurrent streams: first bytes p50 {now["first50"]:+.2f} ms, p99
{now["first99"]:+.2f} ms; whole stream p50 {now["end50"]:+.2f} ms (target < 2 ms: {verdict(now["end50"] < 2)}),
p99 {now["end99"]:+.2f} ms (target < 10 ms: {verdict(now["end99"] < 10)}). Throughput through the gateway:
{100 * now["share"]:.0f}% of direct (target ≥ 80%: {verdict(now["share"] >= 0.8)}).
{comparison}
CPU seconds per 1,000 streams (user + system, from /proc, the gateway's processes included; it
moves less than times do with the load of other processes, but it moves: compare paths of one run):

{cpu_rows}

Per stream, {ratios}.

One stream at a time (300 each, the gateway's own cost without queueing): added p50 {one50:+.2f} ms, p99 {one99:+.2f} ms.

Gateway resident memory (MB) over 10,000 streams, by streams served: {memory}. Growth after the first 1,000:
{growth:+.1f} MB (target: flat — {verdict(abs(growth) < 5)}).
"""


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway-rounds", type=int, default=3)
    parser.add_argument("--gateway-requests", type=int, default=2000)
    parser.add_argument("--gateway-workers", type=int, default=1)
    parser.add_argument("--gateway-baseline", default=None)
    print(run(parser.parse_args()))
