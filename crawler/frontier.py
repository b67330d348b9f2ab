"""The shared frontier: what several crawl workers hold in common, in one Redis.

Sits beside `crawler.run` for the scale-out crawl: `pressmon crawl --seed` pushes the
sources' start requests here, and each `pressmon crawl --worker` (`crawler.worker`, on
scrapy-redis) takes requests from it. Redis keeps:

- the queue of encoded requests (a list: seeds and workers push, workers take);
- per worker, the list of requests it has taken and not yet finished. A request moves
  from the queue to that list in one command (LMOVE), and leaves it only once its page is
  stored, so a worker killed with `kill -9` loses nothing: when its heartbeat key expires,
  the next worker moves its taken requests back to the queue;
- the pages claimed in this round (a sorted set: each page is fetched once across workers;
  seeding a source starts its next round);
- per domain, who is downloading now and when the next request may start, so
  `concurrency_per_domain` and `download_delay` hold across all workers.

Times are Redis's own (TIME), so the workers' clocks need not agree.
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis
from scrapy.http import Request
from scrapy_redis.connection import get_redis

from crawler.errors import FrontierError
from crawler.sources import Source

PREFIX = "pressmon"
QUEUE = f"{PREFIX}:frontier"
WORKERS = f"{PREFIX}:workers"  # hash: worker id -> JSON (host, pid, started, heartbeat)
SEEN = f"{PREFIX}:seen"  # sorted set: page key -> when it was claimed (ms)
ROUNDS = f"{PREFIX}:round"  # hash: source -> when its current round began (ms)
LSH_BASENAME = f"{PREFIX}:lsh".encode()
SIGNATURES = f"{PREFIX}:lsh:signatures"  # hash: article id -> MinHash signature
CLUSTER_LOCK = f"{PREFIX}:lock:cluster"
FORGET_AFTER = 86400  # seconds after its last heartbeat that a dead worker is still listed


def taken_key(worker: str) -> str:
    return f"{PREFIX}:taken:{worker}"


def alive_key(worker: str) -> str:
    return f"{PREFIX}:alive:{worker}"


# A page is claimed unless this round of its source has claimed it already.
_CLAIMS = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local function claim(source, key)
  local round = tonumber(redis.call('HGET', KEYS[2], source) or '0')
  local claimed = redis.call('ZSCORE', KEYS[1], key)
  if claimed and tonumber(claimed) >= round then return false end
  redis.call('ZADD', KEYS[1], ms, key)
  return true
end
"""
_CLAIM = _CLAIMS + "if claim(ARGV[1], ARGV[2]) then return 1 end return 0"
# ARGV: (source, page key or '' for a request queued unclaimed, entry), ...; how many queued.
_CLAIM_PUSH = (
    _CLAIMS
    + """
local queued = 0
for i = 1, #ARGV, 3 do
  if ARGV[i + 1] == '' or claim(ARGV[i], ARGV[i + 1]) then
    redis.call('LPUSH', KEYS[3], ARGV[i + 2])
    queued = queued + 1
  end
end
return queued
"""
)

# A download slot on a domain: 0 when taken, else the milliseconds to wait before asking again.
_SLOT = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local limit, delay, stale = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - stale)
if redis.call('ZCARD', KEYS[1]) >= limit then return 20 end
local next_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if ms < next_at then return next_at - ms end
redis.call('ZADD', KEYS[1], ms, ARGV[4])
redis.call('PEXPIRE', KEYS[1], stale)
if delay > 0 then redis.call('SET', KEYS[2], ms + delay, 'PX', delay + 1000) end
return 0
"""

_ROUND = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for _, source in ipairs(ARGV) do redis.call('HSET', KEYS[1], source, ms) end
return ms
"""


@dataclass(frozen=True)
class WorkerSeen:
    """A worker as the frontier last heard of it."""

    name: str
    host: str
    pid: int
    started: float  # Unix seconds, Redis's clock
    heartbeat: float
    alive: bool  # its heartbeat key has not expired
    taken: int  # requests it holds unfinished


@dataclass(frozen=True)
class FrontierStatus:
    url: str
    queued: int
    workers: tuple[WorkerSeen, ...]
    seen: int  # pages claimed, all rounds


def encode(source: str, request: dict[str, Any]) -> bytes:
    """A request (Scrapy's `Request.to_dict`) of `source`, as the queue holds it."""
    return pickle.dumps({"source": source, "request": request}, protocol=4)


def decode(entry: bytes) -> tuple[str, dict[str, Any]]:
    """(source name, request dict) of a queue entry."""
    data = pickle.loads(entry)
    return data["source"], data["request"]


def start_entries(source: Source) -> list[bytes]:
    """The queue entries of a source's start requests (what its spider's `start` yields)."""
    entries = []
    for url in source.start_urls:
        request = Request(url, dont_filter=True, meta={"start": True}).to_dict()
        request |= {"callback": "discover", "errback": "failed"}
        entries.append(encode(source.name, request))
    return entries


class Frontier:
    """One connection to the shared frontier, and the operations on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.redis: redis.Redis = get_redis(url=url)
        except ValueError as exc:
            raise FrontierError(f"crawl.frontier {url!r}: {exc}") from None
        self._claim = self.redis.register_script(_CLAIM)
        self._claim_push = self.redis.register_script(_CLAIM_PUSH)
        self._slot = self.redis.register_script(_SLOT)
        self._round = self.redis.register_script(_ROUND)

    def check(self) -> Frontier:
        """Fail with one line if Redis cannot be reached."""
        try:
            self.redis.ping()
        except redis.RedisError as exc:
            raise FrontierError(f"frontier {self.url}: {exc}") from None
        return self

    def now(self) -> float:
        seconds, micros = self.redis.time()
        return seconds + micros / 1e6

    # -- the queue -----------------------------------------------------------------------------
    def push(self, entries: Sequence[bytes]) -> None:
        if entries:
            self.redis.lpush(QUEUE, *entries)

    def take(self, worker: str) -> bytes | None:
        """The oldest queued entry, moved into the worker's taken list in the same command."""
        return cast(bytes | None, self.redis.lmove(QUEUE, taken_key(worker), "RIGHT", "LEFT"))

    def done(self, worker: str, entries: Iterable[bytes]) -> None:
        """The entries' pages are finished (stored, or recorded as errors)."""
        with self.redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.lrem(taken_key(worker), 1, entry)  # type: ignore[arg-type]
            pipe.execute()

    def queued(self) -> int:
        return self.redis.llen(QUEUE)

    def seed(self, sources: Sequence[Source]) -> int:
        """Start a new round of each source and queue its start requests; how many were queued."""
        if not sources:
            return 0
        self._round(keys=[ROUNDS], args=[s.name for s in sources])
        entries = [entry for source in sources for entry in start_entries(source)]
        self.push(entries)
        return len(entries)

    def claim(self, source: str, key: str) -> bool:
        """True for the first worker to ask for page `key` in this round of `source`."""
        return bool(self._claim(keys=[SEEN, ROUNDS], args=[source, key]))

    def claim_and_push(self, requests: Sequence[tuple[str, str | None, bytes]]) -> int:
        """Queue each (source, page key, entry) whose page this call claims (`claim`), or
        that has no key (a request that is never filtered), in order; how many it queued."""
        args = [part for source, key, entry in requests for part in (source, key or "", entry)]
        return int(self._claim_push(keys=[SEEN, ROUNDS, QUEUE], args=args))

    # -- workers -------------------------------------------------------------------------------
    def register(self, worker: str, ttl: float) -> None:
        stamp = self.now()
        info = {"host": socket.gethostname(), "pid": os.getpid(), "started": stamp}
        self.redis.hset(WORKERS, worker, json.dumps(info | {"heartbeat": stamp}))
        self.beat(worker, ttl)

    def beat(self, worker: str, ttl: float) -> None:
        """The worker is alive for `ttl` more seconds."""
        raw = cast(bytes | None, self.redis.hget(WORKERS, worker))
        info = json.loads(raw) if raw else {"host": socket.gethostname(), "pid": os.getpid()}
        info["heartbeat"] = self.now()
        with self.redis.pipeline() as pipe:
            pipe.set(alive_key(worker), b"1", px=int(ttl * 1000))
            pipe.hset(WORKERS, worker, json.dumps(info))
            pipe.execute()

    def leave(self, worker: str) -> None:
        """A worker that exits cleanly: whatever it still holds goes back to the queue."""
        self._give_back(worker)
        self.redis.delete(alive_key(worker))

    def recover(self) -> int:
        """Requeue what dead workers (heartbeat expired) had taken; how many requests.

        A worker gone for a day, holding nothing, is forgotten (`status` stops listing it).
        """
        moved = 0
        forget_before = self.now() - FORGET_AFTER
        for raw, info in cast(dict[bytes, bytes], self.redis.hgetall(WORKERS)).items():
            worker = raw.decode()
            if self.redis.exists(alive_key(worker)):
                continue
            moved += self._give_back(worker)
            if json.loads(info).get("heartbeat", 0) < forget_before:
                self.redis.hdel(WORKERS, worker)
        return moved

    def _give_back(self, worker: str) -> int:
        moved = 0
        while self.redis.lmove(taken_key(worker), QUEUE, "RIGHT", "RIGHT") is not None:
            moved += 1  # back at the end that is taken next
        return moved

    def status(self) -> FrontierStatus:
        workers = []
        for raw_name, raw_info in cast(dict[bytes, bytes], self.redis.hgetall(WORKERS)).items():
            name, info = raw_name.decode(), json.loads(raw_info)
            workers.append(
                WorkerSeen(
                    name=name,
                    host=info.get("host", "?"),
                    pid=int(info.get("pid", 0)),
                    started=float(info.get("started", 0)),
                    heartbeat=float(info.get("heartbeat", 0)),
                    alive=bool(self.redis.exists(alive_key(name))),
                    taken=self.redis.llen(taken_key(name)),
                )
            )
        workers.sort(key=lambda w: -w.heartbeat)
        return FrontierStatus(self.url, self.queued(), tuple(workers), self.redis.zcard(SEEN))

    # -- politeness ----------------------------------------------------------------------------
    def take_slot(self, domain: str, token: str, limit: int, delay: float, stale: float) -> float:
        """Take one of `domain`'s `limit` download slots: 0, or seconds to wait and ask again.

        A slot held longer than `stale` seconds (its worker died mid-download) is free again.
        """
        wait = self._slot(
            keys=[f"{PREFIX}:slots:{domain}", f"{PREFIX}:next:{domain}"],
            args=[limit, int(delay * 1000), int(stale * 1000), token],
        )
        return int(wait) / 1000

    def free_slot(self, domain: str, token: str) -> None:
        self.redis.zrem(f"{PREFIX}:slots:{domain}", token)


def status_record(frontier: Frontier) -> dict[str, Any]:
    """The frontier's state as `pressmon crawl --status --json` and `/api/frontier` show it."""
    state = frontier.status()
    clock = frontier.now()
    workers = [
        {
            "worker": w.name,
            "host": w.host,
            "pid": w.pid,
            "alive": w.alive,
            "last_heartbeat": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(w.heartbeat)),
            "seconds_ago": round(clock - w.heartbeat, 1),
            "taken": w.taken,
        }
        for w in state.workers
    ]
    return {"frontier": state.url, "queued": state.queued, "claimed": state.seen} | {
        "workers": workers
    }


def new_worker_id() -> str:
    """A name for this worker process: host, pid and a random tail (pids are reused)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
