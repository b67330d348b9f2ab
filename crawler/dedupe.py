"""Dedupe: exact content hashes and near-duplicate signatures of article text.

Sits after relevance. Exact hashes tell an unchanged page from a revised one;
MinHash signatures group syndicated copies of one release that other sites wrap
in their own datelines and boilerplate. One crawl process keeps its LSH index in
memory; crawl workers sharing a frontier keep theirs in Redis (datasketch's Redis
storage), so each sees every worker's articles.

The signatures, the index's shape and its buckets are datasketch's (its "affine32"
MinHash, `MinHashLSH`), pinned equal to it by `tests/test_dedupe.py`, but worked out
here with numpy for the crawl process and the cleaning processes: datasketch's
import pulls in scipy and redis.asyncio, 0.45 s of CPU in each process's start.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Hashable, Iterable, MutableMapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

# numpy is loaded on first use, inside the functions, and datasketch only by the index
# crawl workers share (`SharedNearDuplicates`): a crawl meeting only unchanged pages needs neither.
if TYPE_CHECKING:
    import numpy as np

NUM_PERM = 128
SCHEME = "affine32"  # pinned: signatures in the store must stay comparable
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
SEED = 1  # datasketch's default, which the stored signatures were made with
# One band's buckets: a band's bytes -> the key of the page that has it, or the keys of
# the pages that share it
Bucket = dict[bytes, Hashable | list[Hashable]]


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The 128 permutations `h -> a*h + b (mod 2**32)`, `a` odd: datasketch's for SEED,
    drawn once per process."""
    import numpy as np

    draw = np.random.RandomState(SEED)
    a = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def content_hash(data: bytes | str) -> str:
    """SHA-256 of raw bytes or of normalised text (whitespace-insensitive)."""
    if isinstance(data, str):
        data = " ".join(data.split()).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _tokens(text: str) -> list[str]:
    """Words for alphabetic scripts, single characters for Chinese."""
    words: list[str] = _WORD.findall(text.lower())
    if not _CJK.search(text):
        return words  # no Chinese to split: most pages, spared a search per word
    tokens: list[str] = []
    for word in words:
        if _CJK.search(word):
            tokens.extend(word)
        else:
            tokens.append(word)
    return tokens


def shingles(text: str, shingle: int = 3) -> set[str]:
    """The text's runs of `shingle` tokens (one, of all its tokens, when it has fewer)."""
    tokens = _tokens(text)
    return {" ".join(tokens[i : i + shingle]) for i in range(max(1, len(tokens) - shingle + 1))}


def signature(text: str, shingle: int = 3) -> bytes:
    """A MinHash of the text's token shingles, as bytes for the store: datasketch's
    `MinHash` (scheme "affine32", SEED) of them."""
    import numpy as np

    grams = shingles(text, shingle)
    hashes = np.fromiter(
        (int.from_bytes(hashlib.sha1(g.encode("utf-8")).digest()[:4], "little") for g in grams),
        dtype=np.uint32,
        count=len(grams),
    )
    mixed = _fmix32(hashes)[:, np.newaxis]  # datasketch's pre-mix of each shingle's hash
    a, b = _permutations()
    packed: bytes = (mixed * a + b).min(axis=0).astype(np.uint64).tobytes()
    return packed


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, element-wise (uint32 products wrap: mod 2**32)."""
    import numpy as np

    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    mixed: np.ndarray = values ^ (values >> np.uint32(16))
    return mixed


def _values(sig: bytes) -> np.ndarray:
    """A stored signature's 128 hash values (stored as uint64, each below 2**32)."""
    import numpy as np

    return np.frombuffer(sig, dtype=np.uint64).astype(np.uint32)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal hash values."""
    import numpy as np

    return float(np.count_nonzero(_values(a) == _values(b))) / NUM_PERM


def lsh_shape(threshold: float, min_bands: int = 1, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) of an LSH index for `threshold`: what datasketch's
    `MinHashLSH` chooses, the shape with the least false positives below the threshold
    plus false negatives above it, of at least `min_bands` bands.

    Each is the integral of a polynomial in the similarity of degree at most
    `num_perm`, which Gauss-Legendre nodes of that order integrate exactly (datasketch
    asks scipy's `quad`). One band of all rows is allowed here; datasketch wants that
    above a threshold of about 0.98 and then refuses it, so its index asks for two.
    """
    import numpy as np

    shapes = np.array(
        [(b, r) for b in range(min_bands, num_perm + 1) for r in range(1, num_perm // b + 1)]
    )
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(low: float, high: float, missed: bool) -> np.ndarray:
        s = (high - low) / 2 * nodes + (high + low) / 2
        found = 1 - (1 - s[np.newaxis, :] ** shapes[:, 1:]) ** shapes[:, :1]
        chance = 1 - found if missed else found
        total: np.ndarray = (chance * weights).sum(axis=1) * (high - low) / 2
        return total

    error = integral(0.0, threshold, missed=False) + integral(threshold, 1.0, missed=True)
    bands, rows = shapes[int(np.argmin(error))]
    return int(bands), int(rows)


class NearDuplicates:
    """An LSH index of signatures: which known pages is a new one a copy of?

    Pages whose signatures agree on every row of some band share that band's bucket;
    the buckets of a new page's bands hold the candidates, which similarity then judges.
    A bucket holds its one key itself, and a list only when pages share it: nearly every
    bucket has one page. A set in each of an article's 25 buckets (at the default
    threshold) had made the index 8.5 KB an article, its signature included: 809 MiB
    for a store of 100,000 articles, now 259 (`benchmarks/near_index.py`).
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._sigs: MutableMapping[Any, bytes] = {}

    @cached_property
    def _ranges(self) -> list[tuple[int, int]]:
        """Each band's rows, worked out on first use: a crawl meeting only unchanged pages
        never imports numpy."""
        bands, rows = lsh_shape(self.threshold)
        return [(i * rows, (i + 1) * rows) for i in range(bands)]

    @cached_property
    def _buckets(self) -> list[Bucket]:
        return [{} for _ in self._ranges]

    def __len__(self) -> int:
        return len(self._sigs)

    def add(self, key: Hashable, sig: bytes) -> None:
        """Index `sig` under `key`, in place of what `key` had (a revised article)."""
        old = self._sigs.get(key)
        if old is not None:
            for bucket, band in zip(self._buckets, self._band_values(old), strict=True):
                _take(bucket, band, key)
        for bucket, band in zip(self._buckets, self._band_values(sig), strict=True):
            _put(bucket, band, key)
        self._sigs[key] = sig

    def add_all(self, items: Iterable[tuple[Hashable, bytes]]) -> None:
        for key, sig in items:
            self.add(key, sig)

    def bands(self, sig: bytes) -> list[str]:
        """Names of the index's bands of `sig`: any page the index can match it with has
        one of them too (LSH buckets by equal bands), so locks on them meet."""
        return [
            f"{i}:{hashlib.blake2b(band, digest_size=12).hexdigest()}"
            for i, band in enumerate(self._band_values(sig))
        ]

    def _band_values(self, sig: bytes) -> list[bytes]:
        """`sig`'s bands as datasketch keys its buckets: each band's values, big-endian."""
        values = _values(sig)
        return [bytes(values[start:end].byteswap().data) for start, end in self._ranges]

    def matches(self, sig: bytes) -> list[Hashable]:
        """Keys of indexed pages similar to `sig`, most similar first."""
        candidates: list[Hashable] = []
        for bucket, band in zip(self._buckets, self._band_values(sig), strict=True):
            held = bucket.get(band, _EMPTY)
            if isinstance(held, list):
                candidates += held
            elif held is not _EMPTY:
                candidates.append(held)
        return self._most_similar(sig, [(k, self._sigs.get(k)) for k in dict.fromkeys(candidates)])

    def _most_similar(
        self, sig: bytes, known: Iterable[tuple[Hashable, bytes | None]]
    ) -> list[Hashable]:
        scored = [(similarity(sig, other), k) for k, other in known if other is not None]
        return [k for s, k in sorted(scored, key=lambda p: -p[0]) if s >= self.threshold]


_EMPTY = object()  # a band no indexed page has


def _put(bucket: Bucket, band: bytes, key: Hashable) -> None:
    """`key` (in no bucket yet: `add` takes a revised page out first) into the bucket of
    `band`: alone there, or beside the keys already in it."""
    held = bucket.setdefault(band, key)
    if isinstance(held, list):
        held.append(key)
    elif held != key:
        bucket[band] = [held, key]


def _take(bucket: Bucket, band: bytes, key: Hashable) -> None:
    """`key` out of the bucket of `band`; an emptied bucket goes, one key left stands alone."""
    held = bucket.get(band)
    if isinstance(held, list):
        held.remove(key)
        if len(held) == 1:
            bucket[band] = held[0]
    elif held == key:
        del bucket[band]


class _RedisSignatures(MutableMapping[int, bytes]):
    """Article id -> signature, in a Redis hash beside the shared LSH index."""

    def __init__(self, client: Any, key: str) -> None:
        self.client, self.key = client, key

    def __getitem__(self, article_id: int) -> bytes:
        value = self.client.hget(self.key, str(article_id))
        if value is None:
            raise KeyError(article_id)
        return bytes(value)

    def __setitem__(self, article_id: int, sig: bytes) -> None:
        self.client.hset(self.key, str(article_id), sig)

    def __delitem__(self, article_id: int) -> None:
        self.client.hdel(self.key, str(article_id))

    def __iter__(self) -> Any:
        return (int(k) for k in self.client.hkeys(self.key))

    def __len__(self) -> int:
        return int(self.client.hlen(self.key))


class SharedNearDuplicates(NearDuplicates):
    """The LSH index in Redis (datasketch's Redis storage), shared by every crawl worker.

    datasketch asks Redis once per band, one after another; a worker asks for every band
    in one pipeline (datasketch's own per-storage commands, so the layout stays its own):
    a page's lookup is two round trips and its insertion two, not some twenty, each of
    which stops the worker's engine while it waits.
    """

    def __init__(self, threshold: float, redis_url: str, basename: bytes, signatures: str) -> None:
        import redis
        from datasketch import MinHashLSH

        self.threshold = threshold
        options = redis.connection.parse_url(redis_url)
        self._lsh = MinHashLSH(
            threshold=threshold,
            num_perm=NUM_PERM,
            params=lsh_shape(threshold, min_bands=2),  # datasketch refuses one band
            storage_config={"type": "redis", "basename": basename, "redis": options},
        )
        self._ranges = self._lsh.hashranges
        self._client = redis.Redis(**options)
        self._signatures = signatures
        self._sigs = _RedisSignatures(self._client, signatures)

    def add(self, key: Hashable, sig: bytes) -> None:
        if key in self._lsh:  # a revision: datasketch takes the old bands out
            self._lsh.remove(key)
        stored = pickle.dumps(key)  # datasketch pickles keys in Redis storage
        bands = self._band_values(sig)
        pipe = self._client.pipeline(transaction=False)
        pipe.hset(self._signatures, str(key), sig)
        self._lsh.keys._insert(pipe, stored, *bands)
        for band, table in zip(bands, self._lsh.hashtables, strict=True):
            table._insert(pipe, band, stored)
        pipe.execute()

    def matches(self, sig: bytes) -> list[Hashable]:
        pipe = self._client.pipeline(transaction=False)
        for band, table in zip(self._band_values(sig), self._lsh.hashtables, strict=True):
            table._get_items(pipe, table.redis_key(band))
        candidates = sorted({pickle.loads(k) for found in pipe.execute() for k in found})
        if not candidates:
            return []
        found = cast(list[bytes | None], self._client.hmget(self._signatures, map(str, candidates)))
        return self._most_similar(sig, zip(candidates, found, strict=True))
