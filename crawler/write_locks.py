"""The locks crawl workers store pages under, in the shared frontier's Redis.

Most pages two workers store at once have nothing to do with each other, and the
store's upserts keep them apart; what needs one writer at a time is the near-duplicate
decision: two copies of one release stored at once would each miss the other and stay
apart. So a relevant page is stored holding its own keys only: its signature's LSH bands
(any copy the index can match shares a band with it) and the articles the index already
matches (so copies of a stored article join its cluster one at a time). Pages with no
key in common store side by side.

A few steps need every page writer out of the way: keeping a news-search headline (it is
matched to its article by title, not by text) and settling a run's flags. They take the
gate exclusively: no new page lock is granted from the moment one asks, and it goes
ahead once the page locks held drain. A lock names its worker: once that worker's
heartbeat key has expired (it was killed), its locks count as free, and every lock
expires after `ttl` seconds in any case.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

import redis

from crawler.dedupe import NearDuplicates
from crawler.frontier import alive_key

PREFIX = "pressmon:lock"
GATE = f"{PREFIX}:gate"  # the exclusive holder, or one asking to be
HOLDERS = f"{PREFIX}:holders"  # sorted set: page lock token -> when it expires (ms)
WAIT = 0.005  # seconds between attempts while a key is held
ASKING_TTL = 5.0  # seconds an exclusive request holds off page locks unless renewed

# KEYS: gate, holders, then a page's keys. ARGV: token ("worker|random"), ttl ms, mode,
# asking ttl ms, the prefix of the workers' heartbeat keys. 1 when granted; else 0, and
# the caller asks again. A token whose worker's heartbeat key is gone holds nothing.
_ACQUIRE = """
local function live(value)
  if not value then return false end
  local worker = string.match(value, '^(.*)|[^|]*$')
  return worker ~= nil and redis.call('EXISTS', ARGV[5] .. worker) == 1
end
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local token, ttl = ARGV[1], tonumber(ARGV[2])
local gate = redis.call('GET', KEYS[1])
if ARGV[3] == 'exclusive' then
  if gate and gate ~= token and live(gate) then return 0 end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ms)
  for _, holder in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if not live(holder) then redis.call('ZREM', KEYS[2], holder) end
  end
  if redis.call('ZCARD', KEYS[2]) > 0 then
    redis.call('SET', KEYS[1], token, 'PX', tonumber(ARGV[4]))
    return 0
  end
  redis.call('SET', KEYS[1], token, 'PX', ttl)
  return 1
end
if gate and live(gate) then return 0 end
for i = 3, #KEYS do
  if live(redis.call('GET', KEYS[i])) then return 0 end
end
for i = 3, #KEYS do redis.call('SET', KEYS[i], token, 'PX', ttl) end
redis.call('ZADD', KEYS[2], ms + ttl, token)
return 1
"""

_RELEASE = """
for i = 3, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class WriteLocks:
    """A page's locks (`page`) and the exclusive gate (`exclusive`), shared by workers."""

    def __init__(self, client: redis.Redis, near: NearDuplicates, ttl: float, worker: str) -> None:
        """`worker`: the name whose heartbeat key (`crawler.frontier.alive_key`) keeps this
        process's locks held."""
        self.client, self.near, self.ttl, self.worker = client, near, ttl, worker
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)

    def page_keys(self, signature: bytes) -> list[str]:
        """The keys a relevant page with `signature` is stored under."""
        keys = [f"{PREFIX}:band:{band}" for band in self.near.bands(signature)]
        keys += [f"{PREFIX}:article:{key}" for key in self.near.matches(signature)]
        return keys

    def page(self, signatures: Sequence[bytes] | None) -> AbstractContextManager[None]:
        """Held while storing relevant pages (a batch's, all taken at once, so two workers
        never each hold half of what the other needs); None: the exclusive gate."""
        if signatures is None:
            return self.exclusive()
        keys = dict.fromkeys(key for sig in signatures for key in self.page_keys(sig))
        return self._hold(list(keys), "shared")

    def exclusive(self) -> AbstractContextManager[None]:
        """Held while no page lock is: for headlines and settling flags."""
        return self._hold([], "exclusive")

    @contextmanager
    def _hold(self, keys: Sequence[str], mode: str) -> Iterator[None]:
        token = f"{self.worker}|{uuid.uuid4().hex}"
        names = [GATE, HOLDERS, *keys]
        args: list[str | int] = [
            token,
            int(self.ttl * 1000),
            mode,
            int(ASKING_TTL * 1000),
            alive_key(""),
        ]
        while not self._acquire(keys=names, args=args):
            time.sleep(WAIT)
        try:
            yield
        finally:
            self._release(keys=names, args=[token])
