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

A refused call is counted in its hour by a third script. All three go pipelined on one connection
of the replica (gateway/pipe.py): the calls made during one turn of its event loop are written
together, so a busy replica makes one round trip for many admissions and settlements (each script
still runs on its own, atomically, in Redis). A stream's settlement is not waited for: the stream
ends as soon as its last bytes are written."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from deployments import published

from .pipe import TIMEOUT, KeyBlock, RedisPipe, Script

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

# KEYS: the hour's counters, hours to fold. ARGV: counter name, hour counters' lifetime, hour member.
REFUSE = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
redis.call('SADD', KEYS[2], ARGV[3])
return 1
"""

MONTH_SECONDS = 40 * 24 * 3600
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


class Counters:
    def __init__(self, redis_url: str, keys: published.Keys, timeout: float = TIMEOUT):
        self.keys = keys
        self.admit_script, self.settle_script, self.refuse_script = Script(ADMIT), Script(SETTLE), Script(REFUSE)
        scripts = [self.admit_script, self.settle_script, self.refuse_script]
        self.pipe = RedisPipe(redis_url, scripts, timeout=timeout)  # no call waits longer on a silent Redis
        # The key names of this hour's calls, by environment (forgotten when the hour changes).
        self._hour = -1
        self._month = ""
        self._admit_keys_held: dict[int, KeyBlock] = {}
        self._settle_keys_held: dict[tuple[int, int], tuple[KeyBlock, str]] = {}

    def _this_hour(self) -> int:
        hour = int(time.time() // 3600)
        if hour != self._hour:  # a month begins on the hour
            self._hour, self._month = hour, published.month_of(hour * 3600)
            self._admit_keys_held, self._settle_keys_held = {}, {}
        return hour

    def _admit_keys(self, environment: int) -> KeyBlock:
        self._this_hour()
        found = self._admit_keys_held.get(environment)
        if found is None:
            k = self.keys
            names = [k.rate(environment), k.inflight(environment), k.inflight_amounts(environment)]
            found = self._admit_keys_held[environment] = KeyBlock([*names, k.month_used(environment, self._month)])
        return found

    def _settle_keys(self, country: int, environment: int) -> tuple[KeyBlock, str]:
        """The settlement's keys, and the member naming its hour among the hours to fold."""
        hour = self._this_hour()
        found = self._settle_keys_held.get((country, environment))
        if found is None:
            k = self.keys
            member = published.hour_member(country, environment, hour * 3600)
            names = [k.inflight(environment), k.inflight_amounts(environment)]
            names += [k.month_used(environment, self._month), k.hour(member), k.hours]
            found = self._settle_keys_held[(country, environment)] = (KeyBlock(names), member)
        return found

    async def admit(
        self, *, environment: int, call_id: str, rpm: int, quota: int, reserve: int, lease: int
    ) -> Admission:
        verdict, value = await self.pipe.call(
            self.admit_script, self._admit_keys(environment), [rpm, quota, call_id, max(1, reserve), lease]
        )
        return Admission(verdict.decode() if isinstance(verdict, bytes) else str(verdict), int(value))

    def settle_soon(
        self, *, country: int, environment: int, call_id: str, usage: Usage, reviewed: bool, outcome: str
    ) -> asyncio.Future:
        """Queue the call's settlement; the future tells when Redis has it (or why not). A call is
        counted in the hour (and the month) it ends in."""
        keys, member = self._settle_keys(country, environment)
        return self.pipe.call(
            self.settle_script,
            keys,
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
        await self.pipe.call(
            self.refuse_script,
            [self.keys.hour(member), self.keys.hours],
            [f"refused:{rule_code}", HOUR_SECONDS, member],
        )

    async def close(self, timeout: float) -> None:
        """Once the calls made have their answers (or after `timeout` seconds)."""
        await self.pipe.drained(timeout)
        self.pipe.close()
