"""The gateway's counters in Redis, shared by every replica and changed only by atomic scripts.

Admission (one script): the rate limit is a sliding window of the last 60 s (a sorted set of
admitted calls, by Redis's own clock, so replicas never disagree); the quota admits a call while
the month's usage plus what calls in flight have reserved is below the quota, and reserves for it
an upper bound of what it can use (its bytes, its images and its output ceiling). Whatever happens
then, no call is admitted once the quota is reached, and every call in flight stays within its
reservation: so the quota is overrun by at most the last call admitted — one call's worth.
Reservations are leases: a replica that dies mid-call frees its reservation when the lease ends.

Settlement (one script) frees the reservation, adds what the call used to the month, and adds the
call to its hour's counters, which a worker folds into the portal's usage rows.

Both scripts are sent through one queue: the calls that arrive while Redis answers the previous
ones go together in one pipeline, so a busy replica makes one round trip for many admissions and
settlements (each script still runs on its own, atomically, in Redis). A stream's settlement is
not waited for: the stream ends as soon as its last bytes are written."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from deployments import published

ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do redis.call('HDEL', KEYS[3], id) end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
local rpm = tonumber(ARGV[1])
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60)
  if redis.call('ZCARD', KEYS[1]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {'rate', math.max(1, math.ceil(tonumber(oldest[2]) + 60 - now))}
  end
end
local used = tonumber(redis.call('GET', KEYS[4]) or '0')
if used >= tonumber(ARGV[2]) then return {'quota', used} end
local reserved = 0
for _, v in ipairs(redis.call('HVALS', KEYS[3])) do reserved = reserved + tonumber(v) end
if used + reserved >= tonumber(ARGV[2]) then return {'busy', used} end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]) + 60)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]) + 60)
if rpm > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('EXPIRE', KEYS[1], 61)
end
return {'ok', used}
"""

# KEYS: in-flight leases, in-flight amounts, month's usage, hour's counters, hours to fold.
# ARGV: call id, total, input, output, estimated part, reviewed (0/1), outcome, hour member,
# month counter's lifetime, hour counters' lifetime.
SETTLE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local total = tonumber(ARGV[2])
if total > 0 then redis.call('INCRBY', KEYS[3], total) end
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[9]))
redis.call('HINCRBY', KEYS[4], 'calls', 1)
redis.call('HINCRBY', KEYS[4], 'total', total)
redis.call('HINCRBY', KEYS[4], 'in', tonumber(ARGV[3]))
redis.call('HINCRBY', KEYS[4], 'out', tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[4], 'est', tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[4], 'reviewed', tonumber(ARGV[6]))
redis.call('HINCRBY', KEYS[4], 'outcome:' .. ARGV[7], 1)
redis.call('EXPIRE', KEYS[4], tonumber(ARGV[10]))
redis.call('SADD', KEYS[5], ARGV[8])
return 1
"""

MONTH_SECONDS = 40 * 24 * 3600
BATCH = 256  # script calls at most in one pipeline
HOUR_SECONDS = 8 * 24 * 3600


@dataclass(frozen=True)
class Admission:
    verdict: str  # ok | rate | quota | busy
    value: int  # retry-after seconds (rate) or the month's usage


@dataclass(frozen=True)
class Usage:
    input: int = 0
    output: int = 0
    total: int = 0
    estimated: int = 0


class ScriptQueue:
    """Script calls gathered while Redis answers the previous ones, and sent as one pipeline."""

    def __init__(self, redis):
        self.redis = redis
        self.pending: list = []
        self.task: asyncio.Task | None = None

    def submit(self, script, keys: list, args: list) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((script, keys, args, future))
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())
        return future

    async def _run(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
                try:
                    results = await self._send(batch)
                except Exception as error:  # Redis away: every call of the batch fails with it
                    results = [error] * len(batch)
                for (*_, future), result in zip(batch, results):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.task = None

    async def _send(self, batch: list) -> list:
        if len(batch) == 1:
            script, keys, args, _ = batch[0]
            return [await script(keys=keys, args=args)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for script, keys, args, _ in batch:
                await script(keys=keys, args=args, client=pipe)
            return await pipe.execute(raise_on_error=False)


class Counters:
    def __init__(self, redis, keys: published.Keys):
        self.redis = redis
        self.keys = keys
        self.admit_script = redis.register_script(ADMIT)
        self.settle_script = redis.register_script(SETTLE)
        self.queue = ScriptQueue(redis)

    async def admit(
        self, *, environment: int, call_id: str, rpm: int, quota: int, reserve: int, lease: int
    ) -> Admission:
        k = self.keys
        verdict, value = await self.queue.submit(
            self.admit_script,
            [
                k.rate(environment),
                k.inflight(environment),
                k.inflight_amounts(environment),
                k.month_used(environment, published.month_of(time.time())),
            ],
            [rpm, quota, call_id, max(1, reserve), lease],
        )
        return Admission(verdict.decode() if isinstance(verdict, bytes) else str(verdict), int(value))

    def settle_soon(
        self, *, country: int, environment: int, call_id: str, usage: Usage, reviewed: bool, outcome: str
    ) -> asyncio.Future:
        """Queue the call's settlement; the future tells when Redis has it (or why not)."""
        k = self.keys
        now = time.time()
        member = published.hour_member(country, environment, int(now // 3600 * 3600))
        return self.queue.submit(
            self.settle_script,
            [
                k.inflight(environment),
                k.inflight_amounts(environment),
                k.month_used(environment, published.month_of(now)),
                k.hour(member),
                k.hours,
            ],
            [
                call_id,
                usage.total,
                usage.input,
                usage.output,
                usage.estimated,
                int(reviewed),
                outcome,
                member,
                MONTH_SECONDS,
                HOUR_SECONDS,
            ],
        )

    async def settle(self, **call) -> None:
        await self.settle_soon(**call)

    async def refused(self, *, country: int, environment: int, rule_code: str) -> None:
        """Count a refused call in its hour, by the code of the rule that refused it."""
        member = published.hour_member(country, environment, int(time.time() // 3600 * 3600))
        key = self.keys.hour(member)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, f"refused:{rule_code}", 1)
            pipe.expire(key, HOUR_SECONDS)
            pipe.sadd(self.keys.hours, member)
            await pipe.execute()
