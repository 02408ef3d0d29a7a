"""The governed gateway: an OpenAI-compatible service through which every call of an environment
passes what was approved for it (DESIGN §3, §8).

    python -m gateway            # GATEWAY_PORT (8001), one replica; run several behind a balancer

Stateless: what a replica knows it reads from Redis (policies published by the portal, counters
shared by every replica); it never opens the portal's database. A call is authenticated by the
SHA-256 of its credential, checked against its environment's policy (state, expiry, capability,
model, human review, classification, region), admitted against the rate limit and the quota by one
atomic script, relayed to the upstream of the approved region with the upstream's key (opened in
memory from the policy), and settled with the usage the upstream reports."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import itertools
import json
import logging
import secrets
import ssl
import time

import certifi
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from deployments import published

from . import errors, rules
from .config import Config
from .counters import Counters, Usage
from .policies import PolicyCache
from .proxy import (
    CAPTURE_LIMIT,
    SSEMeter,
    StreamRelay,
    passthrough_headers,
    upstream_failure,
    upstream_headers,
    usage_of,
)
from .request import JSON, BodyTooLarge, Request
from .upstream import Pool, UpstreamError

log = logging.getLogger("gateway")
# What a Redis that is away or silent raises (a refused connection, a lost one, a timeout).
REDIS_AWAY = (RedisError, OSError, asyncio.TimeoutError)


class Gateway:
    def __init__(self, config: Config):
        self.config = config
        # A bounded pool that waits for a free connection rather than failing a call under load. A Redis
        # that takes connections and never answers fails each wait, connection and command within
        # `redis_timeout` (the channel's subscription waits for messages apart from it).
        timeout = config.redis_timeout
        self.redis = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                config.redis_url,
                max_connections=config.redis_connections,
                timeout=timeout,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                health_check_interval=30,
            )
        )
        self.keys = published.Keys(config.prefix)
        self.policies = PolicyCache(self.redis, self.keys, config.key, config.refresh_seconds, timeout)
        self.policies.key_fallbacks = config.key_fallbacks
        self.policies.on_stop = rules.state_refusal
        self.counters = Counters(config.redis_url, self.keys, timeout)
        self.upstreams = Pool(
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            max_connections=config.max_connections,
            country_networks=config.country_networks,
            tls=ssl.create_default_context(cafile=certifi.where()),
        )
        self.body_limit = config.max_body_bytes
        self.body_timeout = config.body_timeout  # the server's bounds on its callers (gateway/server.py)
        self.connection_limit = config.client_connections
        self.routes = dict.fromkeys(rules.FAMILIES, ("POST", self.call))
        self.routes.update(
            {"/v1/models": ("GET", self.models), "/healthz": ("GET", self.healthz), "/readyz": ("GET", self.readyz)}
        )
        # A call's id: this process's own random prefix and a number (no system call per call).
        self.call_prefix, self.call_numbers = secrets.token_hex(6), itertools.count()
        self.tasks: list[asyncio.Task] = []
        self.background: set[asyncio.Task] = set()  # captures on their way to Redis

    async def start(self) -> None:
        self.tasks = [asyncio.create_task(self.policies.run()), asyncio.create_task(self.policies.listen())]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.background:
            await asyncio.wait(self.background, timeout=5)
        await self.counters.close(timeout=5)
        self.upstreams.close()
        await self.redis.aclose()

    # --- the door ---------------------------------------------------------------------------------

    async def authenticate(self, request: Request):
        """(credential hash, loaded policy) of the caller, or the refusal."""
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return None, errors.missing_key()
        if len(key) > 512:
            return None, errors.unknown_key()
        key_hash = hashlib.sha256(key.encode()).hexdigest()
        if self.policies.unconfirmed:
            # The policies could not be read again lately: what this replica holds may be out of date
            # (a stop, a revocation), and what it does not hold cannot be read. Nothing waits for Redis.
            return None, errors.cannot_check()
        held = self.policies.held(key_hash)
        if held is not None:
            entry, loaded = held
        else:
            try:
                async with asyncio.timeout(self.config.redis_timeout):
                    entry = await self.policies.credential(key_hash)
                    loaded = None
                    if entry.environment is not None and not entry.revoked:
                        loaded = await self.policies.environment(entry.environment)
            except REDIS_AWAY as error:
                # Fail closed: a call whose policy cannot be read is not served; it is sent again later.
                _redis_away("A policy could not be read", error)
                return None, errors.cannot_check()
        if entry.environment is None:
            return None, errors.unknown_key()
        refusal = rules.state_refusal(entry, loaded)
        if refusal is not None:
            if loaded is not None:
                await self._count_refusal(loaded, refusal)
            return None, refusal
        return (key_hash, loaded), None

    async def _count_refusal(self, loaded, refusal: errors.Refusal) -> None:
        try:
            async with asyncio.timeout(self.config.redis_timeout):
                await self.counters.refused(
                    country=loaded.policy.country, environment=loaded.policy.environment, rule_code=refusal.code
                )
        except Exception as error:  # counting a refusal never turns it into a failure
            log.warning("A refusal could not be counted: %s", type(error).__name__)

    async def models(self, request: Request) -> None:
        found, refusal = await self.authenticate(request)
        if refusal is not None:
            return request.refuse(refusal)
        policy = found[1].policy
        data = {"object": "list", "data": [{"id": policy.model, "object": "model", "created": 0, "owned_by": "portal"}]}
        request.answer(200, json.dumps(data).encode())

    async def call(self, request: Request) -> None:
        family = rules.FAMILIES[request.path]
        found, refusal = await self.authenticate(request)
        if refusal is not None:
            return request.refuse(refusal)
        key_hash, loaded = found
        policy = loaded.policy
        capability = published.CAPABILITY_OF[family]
        if capability not in policy.capabilities:
            return await self._refuse(request, loaded, errors.capability(capability, policy.capabilities, request.path))
        try:
            body = await request.body()
        except BodyTooLarge:
            limit = self.config.max_body_bytes
            too_large = errors.bad_request(
                f"The body is larger than {limit} bytes.", code="request_too_large", status=413
            )
            return await self._refuse(request, loaded, too_large)
        call = rules.call_parse(family, body, request.headers.get("content-type", ""), self.config)
        if isinstance(call, errors.Refusal):
            return await self._refuse(request, loaded, call)
        refusal = rules.call_refusal(call, policy, request.headers)
        if refusal is not None:
            return await self._refuse(request, loaded, refusal)
        call_id = f"{self.call_prefix}{next(self.call_numbers):x}"
        try:
            async with asyncio.timeout(self.config.redis_timeout):  # connecting included
                admission = await self.counters.admit(
                    environment=policy.environment,
                    call_id=call_id,
                    rpm=policy.requests_per_minute,
                    quota=policy.quota,
                    reserve=call.reserve,
                    lease=self.config.lease_seconds,
                )
        except Exception as error:  # Redis away, or a script's error: the limits cannot be checked
            _redis_away("A call could not be admitted", error)
            return request.refuse(errors.cannot_check())
        if admission.verdict == "rate":
            return await self._refuse(request, loaded, errors.rate(policy.requests_per_minute, admission.value))
        if admission.verdict == "quota":
            return await self._refuse(request, loaded, errors.quota(policy.quota))
        if admission.verdict == "busy":
            return await self._refuse(request, loaded, errors.quota_in_flight())
        reviewed = bool(request.headers.get(rules.REVIEW_HEADER))

        capture = policy.capture
        prompt = body if call.family != "audio.transcriptions" else f"[audio: {len(body)} bytes]".encode()

        settlements: list[str] = []

        def settle(usage: Usage, outcome: str, output: bytes = b"") -> asyncio.Future:
            """Queue the call's settlement (a stream does not wait for it; an answer does)."""
            settlements.append(outcome)
            settled = self.counters.settle_soon(
                country=policy.country,
                environment=policy.environment,
                call_id=call_id,
                usage=usage,
                reviewed=reviewed,
                outcome=outcome,
            )
            settled.add_done_callback(functools.partial(_settled, policy.environment))
            if capture:
                task = asyncio.ensure_future(
                    self._capture(loaded, call, call_id, prompt, output, usage, outcome, request)
                )
                self.background.add(task)
                task.add_done_callback(self.background.discard)
                return asyncio.gather(settled, task, return_exceptions=True)
            return settled

        # The reservation is freed as soon as the call ends, however it ends: a caller that goes away
        # before the answer ends the upstream request at once (not at its read timeout), and a call
        # ended otherwise (the replica stopping, a fault) is settled on its way out, not left to its lease.
        task = asyncio.current_task()
        request.on_gone = task.cancel
        ended = "upstream_error"  # how a call that ends without its settlement ended (a fault)
        streaming = False  # a stream's relay settles the call itself, when the stream ends
        try:
            if request.gone:  # gone while the call was being admitted
                raise asyncio.CancelledError
            streaming = await self._relay(request, loaded, key_hash, call, settle)
        except asyncio.CancelledError:
            if not request.gone:
                ended = "stopped"
                raise  # the replica stops: settled below, and the cancellation goes on
            ended = "client_closed"
            task.uncancel()
        finally:
            if request.on_gone == task.cancel:  # a stream's relay has its own from its start
                request.on_gone = None
            if not settlements and not streaming:
                settle(Usage(), ended)

    async def _capture(self, loaded, call, call_id, prompt: bytes, output: bytes, usage, outcome, request) -> None:
        """Seal the call under the gateway key and hand it to the portal's workers (Redis never
        holds it in clear); they keep it under the country's key for the retention it chose."""
        policy = loaded.policy
        record = json.dumps(
            {
                "call": call_id,
                "at": time.time(),
                "endpoint": call.family,
                "model": call.model,
                "prompt": prompt[:CAPTURE_LIMIT].decode("utf-8", "replace"),
                "output": output[:CAPTURE_LIMIT].decode("utf-8", "replace"),
                "review": request.headers.get(rules.REVIEW_HEADER, ""),
                "tokens": usage.total,
                "outcome": outcome,
            }
        )
        sealed = published.seal_for_gateway(
            self.config.key, record, environment_id=policy.environment, version=0, purpose="capture"
        )
        try:
            await self.redis.xadd(
                self.keys.captured,
                {"country": policy.country, "environment": policy.environment, "sealed": sealed},
                maxlen=200_000,
                approximate=True,
            )
        except Exception as error:
            log.error("A captured call of environment %s was not kept: %s", policy.environment, type(error).__name__)

    async def _refuse(self, request: Request, loaded, refusal: errors.Refusal) -> None:
        await self._count_refusal(loaded, refusal)
        request.refuse(refusal)

    async def _relay(self, request: Request, loaded, key_hash: str, call: rules.Call, settle) -> bool:
        """Relay the call upstream and settle it; True when a stream's relay took it over (it settles
        the call when the stream ends)."""
        policy = loaded.policy
        headers = upstream_headers(
            call.family, call.stream, request.headers.get("content-type", ""), loaded.upstream_key
        )
        where = f"upstream of {policy.region}"
        try:
            origin = self.upstreams.origin(policy.upstream_url, policy.upstream_declared)
            response = await self.upstreams.request(origin, rules.UPSTREAM_PATHS[call.family], headers, call.body)
        except UpstreamError as error:
            await _wait(settle(Usage(), "upstream_error"))
            return request.refuse(upstream_failure(None, error, where))
        if response.status_code >= 400:
            try:
                content = await response.read()
            except UpstreamError:
                content = b""
            finally:
                response.close()
            await _wait(settle(Usage(), "upstream_error"))
            if response.status_code in (400, 404, 413, 415, 422):
                # The caller's own request was refused upstream: its message is the caller's to read.
                return request.answer(response.status_code, content)
            return request.refuse(upstream_failure(response, None, where))
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            StreamRelay(
                request=request,
                response=response,
                meter=SSEMeter(strip_usage=call.strip_usage),
                environment=policy.environment,
                credential=key_hash,
                input_bytes=call.input_bytes,
                streams=self.policies.streams,
                done=settle,
                capture=policy.capture,
            ).start()
            return True
        try:
            content = await response.read()
        except UpstreamError as error:
            await _wait(settle(Usage(), "upstream_error"))
            return request.refuse(upstream_failure(None, error, where))
        finally:
            response.close()
        try:
            usage = usage_of(json.loads(content)) or Usage()
        except ValueError:
            usage = Usage()
        await _wait(settle(usage, "ok", content))
        request.answer(response.status_code, content, passthrough_headers(response))

    # --- the routes -------------------------------------------------------------------------------

    async def handle(self, request: Request) -> None:
        route = self.routes.get(request.path)
        if route is None:
            return request.refuse(
                errors.bad_request(
                    f"There is no {request.method} {request.path[:200]} here: the gateway serves "
                    "/v1/chat/completions, /v1/responses, /v1/embeddings, /v1/audio/transcriptions and /v1/models.",
                    code="unknown_url",
                    status=404,
                )
            )
        method, view = route
        if request.method != method and not (method == "GET" and request.method == "HEAD"):
            refusal = errors.bad_request(
                f"{request.path} does not take {request.method[:20]}.", code="method_not_allowed", status=405
            )
            return request.answer(405, refusal.body(), [*JSON, ("allow", method)])
        await view(request)

    async def healthz(self, request: Request) -> None:
        request.answer(200, b'{"status":"ok"}')

    async def readyz(self, request: Request) -> None:
        try:
            await asyncio.wait_for(self.redis.ping(), timeout=self.config.redis_timeout)
        except Exception as error:
            return request.answer(503, json.dumps({"status": "unavailable", "redis": type(error).__name__}).encode())
        request.answer(200, b'{"status":"ok","redis":"ok"}')

    def interrupt(self) -> None:
        """The replica stops and the grace is over: the streams still under way end with a reason."""
        for stream in list(self.policies.streams):
            stream.stop(errors.shutting_down())


_said = [0.0]


def _redis_away(what: str, error: Exception) -> None:
    """Said once, then at most every 10 s while it lasts: not one line per refused call."""
    now = time.monotonic()
    if now - _said[0] >= 10:
        _said[0] = now
        log.error("%s: Redis does not answer (%s); calls are refused until it does", what, type(error).__name__)


def _settled(environment: int, settled: asyncio.Future) -> None:
    if not settled.cancelled() and settled.exception() is not None:
        # The lease frees the reservation; the usage is lost, and said so.
        log.error("Usage of a call of environment %s not settled: %s", environment, type(settled.exception()).__name__)


async def _wait(settled: asyncio.Future) -> None:
    """Until the settlement is in Redis or has failed (and been logged)."""
    with contextlib.suppress(Exception):
        await asyncio.shield(settled)
