"""Memory and speed of the crawl process's near-duplicate index (`NearDuplicates`).

A crawl that meets a new relevant page loads every stored article's signature into the
index, so its memory grows with the store. This fills one index with `--articles`
signatures (random ones: like real articles, nearly every bucket then holds one page),
and prints the bytes it holds per article (tracemalloc, the signature included), the
time to add one and the time to look one up.

    python benchmarks/near_index.py [--articles 100000] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.dedupe import NUM_PERM, NearDuplicates, lsh_shape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    sigs = [
        rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).tobytes() for _ in range(args.articles)
    ]
    index = NearDuplicates(args.threshold)
    index.matches(sigs[0])  # the shape and the empty buckets, before measuring
    tracemalloc.start()
    started = time.perf_counter()
    index.add_all(enumerate(sigs))
    added = time.perf_counter() - started
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lookups = sigs[:: max(1, len(sigs) // 2000)]
    started = time.perf_counter()
    for sig in lookups:
        index.matches(sig)
    looked = time.perf_counter() - started
    bands, rows = lsh_shape(args.threshold)
    print(
        f"{args.articles} articles, threshold {args.threshold} ({bands} bands of {rows} rows): "
        f"{held / args.articles:.0f} bytes an article ({held / 2**20:.0f} MiB), "
        f"add {1000 * added / args.articles:.3f} ms, match {1000 * looked / len(lookups):.3f} ms"
    )


if __name__ == "__main__":
    main()
