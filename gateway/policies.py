"""Each replica's copy of the policies it enforces, kept fresh without the portal's database.

A credential's SHA-256 names its environment in Redis; the environment's policy is one value,
versioned. A replica keeps what it has read in memory and re-reads all of it every
`refresh_seconds` (one round trip for everything it holds); the portal's publication also says on
a channel which environment changed, and the replica re-reads that one at once. So a stop, a
suspension, a revocation or an expiry reaches every replica within a second even if a message on
the channel is lost. Streams under way are registered here and stopped when their environment
stops, their credential is revoked, or their approval expires.

When the re-reading fails (Redis away, or silent past the replica's Redis timeout), what is held
is no longer known to be current: the replica then refuses every call at once, /v1/models
included, until a re-reading succeeds (`unconfirmed`), and once nothing has been confirmed for
`STALE_SECONDS` it stops the streams under way too, since a stop published meanwhile could not
reach it. So a stop reaches every replica within a second, or the replica serves nothing."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from deployments import published

from . import errors

log = logging.getLogger("gateway.policies")
IDLE_SECONDS = 120  # forget what no call has used for this long
MAX_UNKNOWN = 10_000  # unknown keys remembered (so that a flood of bad keys stays cheap)
STALE_SECONDS = 1.0  # streams under way stop once what is held has not been confirmed for this long


@dataclass
class Loaded:
    version: int
    raw: bytes
    policy: published.Policy
    upstream_key: str | None  # opened, in this process's memory only
    used_at: float


@dataclass
class CredentialEntry:
    environment: int | None
    revoked: bool
    raw: bytes | None
    used_at: float


class PolicyCache:
    def __init__(self, redis, keys: published.Keys, gateway_key: bytes, refresh_seconds: float, timeout: float):
        self.redis = redis
        self.keys = keys
        self.gateway_key = gateway_key
        self.key_fallbacks: tuple[bytes, ...] = ()  # the keys it replaced (GATEWAY_POLICY_KEY_FALLBACKS)
        self.refresh_seconds = refresh_seconds
        self.timeout = timeout  # the longest a re-reading waits on Redis
        self.confirmed_at = time.monotonic()  # when the last re-reading that succeeded began
        self.unconfirmed = False  # the last re-reading failed: nothing held is known to be current
        self.credentials: dict[str, CredentialEntry] = {}
        self.environments: dict[int, Loaded | None] = {}
        self.streams: set = set()  # objects with .environment, .credential and .stop(refusal)
        self.on_stop = None  # callable(stream, loaded) -> Refusal | None, set by the service

    # --- lookups on the hot path ------------------------------------------------------------------

    def held(self, key_hash: str) -> tuple[CredentialEntry, Loaded | None] | None:
        """The credential and its environment's policy, when this replica holds both (no round trip)."""
        entry = self.credentials.get(key_hash)
        if entry is None:
            return None
        loaded = None
        if entry.environment is not None and not entry.revoked:
            loaded = self.environments.get(entry.environment)
            if loaded is None:
                return None
            loaded.used_at = entry.used_at = time.monotonic()
        return entry, loaded

    async def credential(self, key_hash: str) -> CredentialEntry:
        entry = self.credentials.get(key_hash)
        now = time.monotonic()
        if entry is None:
            raw = await self.redis.get(self.keys.credential(key_hash))
            entry = self._credential_entry(raw, now)
            if entry.environment is None and len(self.credentials) > MAX_UNKNOWN:
                self._forget_unknown()
            self.credentials[key_hash] = entry
        entry.used_at = now
        return entry

    async def environment(self, environment_id: int) -> Loaded | None:
        loaded = self.environments.get(environment_id)
        if loaded is None:
            raw = await self.redis.get(self.keys.policy(environment_id))
            loaded = self._install(environment_id, raw)
        if loaded is not None:
            loaded.used_at = time.monotonic()
        return loaded

    # --- keeping fresh --------------------------------------------------------------------------

    @staticmethod
    def _credential_entry(raw: bytes | None, now: float) -> CredentialEntry:
        parsed = published.credential_parse(raw)
        if parsed is None:
            return CredentialEntry(None, False, raw, now)
        return CredentialEntry(parsed[0], parsed[1], raw, now)

    def _forget_unknown(self) -> None:
        for key_hash in [h for h, e in self.credentials.items() if e.environment is None]:
            del self.credentials[key_hash]

    def _install(self, environment_id: int, raw: bytes | None) -> Loaded | None:
        current = self.environments.get(environment_id)
        if current is not None and raw == current.raw:
            return current
        parsed = published.policy_parse(raw)
        if parsed is None:
            self.environments.pop(environment_id, None)
            return None
        version, data = parsed
        try:
            policy = published.Policy.from_dict(data)
        except (KeyError, TypeError, ValueError):
            log.error("The policy of environment %s (version %s) cannot be read", environment_id, version)
            self.environments.pop(environment_id, None)
            return None
        upstream_key = None
        if policy.upstream_key:
            try:
                upstream_key = published.open_for_gateway(
                    self.gateway_key,
                    policy.upstream_key,
                    environment_id=environment_id,
                    version=version,
                    fallbacks=self.key_fallbacks,
                )
            except published.CannotOpen:
                log.error("The upstream key of environment %s (version %s) does not open", environment_id, version)
                policy.upstream_url, policy.upstream_refusal = None, "its upstream key does not open here"
        loaded = Loaded(version, raw, policy, upstream_key, current.used_at if current else time.monotonic())
        self.environments[environment_id] = loaded
        return loaded

    async def refresh(self, environment_ids: list[int] | None = None) -> None:
        """Re-read the credentials and policies held (or those of some environments) in one round
        trip, and stop the streams that may no longer run."""
        now = began = time.monotonic()
        for key_hash in [h for h, e in self.credentials.items() if now - e.used_at > IDLE_SECONDS]:
            del self.credentials[key_hash]
        for environment_id in [
            e for e, loaded in self.environments.items() if loaded is None or now - loaded.used_at > IDLE_SECONDS
        ]:
            if not any(s.environment == environment_id for s in self.streams):
                del self.environments[environment_id]
        hashes = [
            h
            for h, e in self.credentials.items()
            if environment_ids is None or e.environment is None or e.environment in environment_ids
        ]
        envs = [e for e in self.environments if environment_ids is None or e in environment_ids]
        if not hashes and not envs:
            self._confirmed(environment_ids, began)
            self.check_streams()
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            if hashes:
                pipe.mget([self.keys.credential(h) for h in hashes])
            if envs:
                pipe.mget([self.keys.policy(e) for e in envs])
            results = await pipe.execute()
        if hashes:
            for key_hash, raw in zip(hashes, results.pop(0)):
                entry = self.credentials.get(key_hash)
                if entry is not None and entry.raw != raw:
                    fresh = self._credential_entry(raw, entry.used_at)
                    self.credentials[key_hash] = fresh
        if envs:
            for environment_id, raw in zip(envs, results.pop(0)):
                self._install(environment_id, raw)
        self._confirmed(environment_ids, began)
        self.check_streams()

    def _confirmed(self, environment_ids: list[int] | None, began: float) -> None:
        if environment_ids is None:  # everything held was read again
            self.confirmed_at, self.unconfirmed = began, False

    def check_streams(self) -> None:
        if self.on_stop is None:
            return
        stale = self.unconfirmed and time.monotonic() - self.confirmed_at > STALE_SECONDS
        for stream in list(self.streams):
            if stale:
                stream.stop(errors.cannot_check())
                continue
            entry = self.credentials.get(stream.credential)
            loaded = self.environments.get(stream.environment)
            refusal = self.on_stop(entry, loaded)
            if refusal is not None:
                stream.stop(refusal)

    async def run(self) -> None:
        """Re-read everything held, for ever (a task of each replica)."""
        failures, last_said = 0, 0.0
        while True:
            try:
                async with asyncio.timeout(self.timeout):
                    await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away or silent: calls are refused, streams stop in a second
                self.unconfirmed = True
                failures += 1
                now = time.monotonic()
                if failures == 1 or now - last_said >= 60:
                    log.warning("Policy refresh failed (%s); calls are refused until it succeeds", type(error).__name__)
                    last_said = now
                self.check_streams()
            else:
                if failures:
                    log.warning("Policy refresh succeeds again, after %d failed attempts", failures)
                    failures = 0
            await asyncio.sleep(self.refresh_seconds)

    async def listen(self) -> None:
        """Re-read an environment as soon as the portal says it changed (a task of each replica).
        No wait on the channel is longer than the replica's Redis timeout: subscribing is bounded,
        and a channel with nothing to say is asked (PING) after `refresh_seconds` of quiet, and
        must answer within the timeout; a channel that does not (a Redis gone silent, a connection
        lost without a word) is left and subscribed again. When Redis does not answer, it tries
        again less and less often (up to every 5 s) and says so once, then once a minute, and when
        the channel is back: not four lines a second."""
        failures, last_said = 0, 0.0
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    async with asyncio.timeout(self.timeout):
                        await pubsub.subscribe(self.keys.channel)
                        while (await pubsub.get_message(timeout=self.timeout)) is None:
                            pass  # the subscription's confirmation, which get_message hands back
                    if failures:
                        log.warning("Policy channel back after %d failed attempts", failures)
                        failures = 0
                    await self._follow(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                now = time.monotonic()
                if failures == 1 or now - last_said >= 60:
                    log.warning("Policy channel lost (%s); listening again", type(error).__name__)
                    last_said = now
                await asyncio.sleep(min(5.0, self.refresh_seconds * 2 ** min(failures - 1, 6)))

    async def _follow(self, pubsub) -> None:
        """The channel's messages, for ever; TimeoutError once it stops answering."""
        quiet = self.timeout
        asked_at = None  # when a PING went unanswered so far
        while True:
            async with asyncio.timeout(quiet + self.timeout):  # get_message's own bound, and this one
                message = await pubsub.get_message(timeout=quiet)
            now = time.monotonic()
            if message is None:
                if asked_at is None:
                    async with asyncio.timeout(self.timeout):
                        await pubsub.ping()
                    asked_at = now
                elif now - asked_at > self.timeout:
                    raise TimeoutError("the policy channel does not answer")
                continue
            asked_at = None  # anything heard (a message, the PING's answer) says the channel lives
            if message.get("type") != "message":
                continue
            try:
                environment_id = int(message["data"])
            except (TypeError, ValueError):
                continue
            if environment_id in self.environments or any(
                e.environment == environment_id for e in self.credentials.values()
            ):
                async with asyncio.timeout(self.timeout):
                    await self.refresh([environment_id])
