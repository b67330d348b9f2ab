"""Soak `pressmon run`: every sample source on a one-minute interval, a fresh store, N minutes.

The done-criterion of issue 12: the scheduler's first start on a fresh store, with
several crawls of sources that share figure series starting at once, runs for ten
minutes without a failed run. This script serves the sample newsroom on 127.0.0.1,
writes a config in a temporary folder that puts every source on `every: 1m` (and the
digest on `every: 5m`, into a folder there), runs `pressmon run` for `--minutes`,
stops it with SIGTERM and prints the crawl runs by source and status, read from the
store. It exits 1 if any run failed or timed out, if the scheduler did not exit 0, or
if its log holds a traceback.

    python benchmarks/soak.py [--minutes 10] [--db URL] [--keep]

`--db` soaks another store (a fresh, empty PostgreSQL database, say) instead of a new
SQLite file; `--keep` leaves the folder with the config, store and scheduler log.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from samplesite import SampleSite, sample_config  # noqa: E402
from store import Store  # noqa: E402
from store import queries as q  # noqa: E402

FAILED = ("failed", "timeout")
STOP_WAIT = 120  # seconds: scheduler.shutdown_grace (60) + stop_after (5) + a margin


def write_config(folder: Path, base_url: str, db_url: str) -> Path:
    """The sample config with every source every minute and the digest every five."""
    data = yaml.safe_load(sample_config(base_url))
    for source in data["sources"]:
        source["schedule"] = {"every": "1m", "timezone": "Asia/Hong_Kong"}
    data["store"] = {"url": db_url}
    data["digest"] = {
        "schedule": {"every": "5m", "timezone": "Asia/Hong_Kong"},
        "folder": str(folder / "digests"),
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def soak(folder: Path, minutes: float, db_url: str) -> tuple[int, str]:
    """Run `pressmon run` for `minutes` against a served sample newsroom; (exit code, log)."""
    log_path = folder / "run.log"
    with SampleSite(edition=1) as site:
        config = write_config(folder, site.base_url, db_url)
        argv = [sys.executable, "-m", "pressmon", "run", "--config", str(config), "--db", db_url]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(argv, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
            print(f"pressmon run (pid {proc.pid}) for {minutes:g} min; log {log_path}", flush=True)
            try:
                proc.wait(timeout=minutes * 60)
                print(f"pressmon run ended early, status {proc.returncode}")
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=STOP_WAIT)
    return proc.returncode, log_path.read_text(encoding="utf-8", errors="replace")


def report(db_url: str) -> tuple[Counter[tuple[str, str]], list[str]]:
    """Runs counted by (source, status), and one line per failed run."""
    store = Store(db_url)
    try:
        with store.session() as session:
            runs = q.last_runs(session, 1_000_000)
            counts = Counter((run.source, run.status) for run in runs)
            failures = [
                f"run {run.id} {run.source} {run.status}: {(run.error_text or '').splitlines()[0]}"
                for run in reversed(runs)
                if run.status in FAILED or (run.error_text or "").count("\n")
            ]
    finally:
        store.close()
    return counts, failures


def print_table(counts: Counter[tuple[str, str]]) -> None:
    statuses = sorted({status for _, status in counts})
    sources = sorted({source for source, _ in counts})
    width = max([len("source"), *map(len, sources)])
    print(f"{'source':<{width}}  " + "  ".join(f"{s:>8}" for s in statuses))
    for source in sources:
        cells = "  ".join(f"{counts[(source, s)]:>8}" for s in statuses)
        print(f"{source:<{width}}  {cells}")
    totals = "  ".join(f"{sum(n for (_, s), n in counts.items() if s == st):>8}" for st in statuses)
    print(f"{'all':<{width}}  {totals}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="How long to run (default 10).")
    parser.add_argument("--db", help="Store URL (default: a new SQLite file in the folder).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pressmon-soak-"))
    db_url = args.db or f"sqlite:///{folder / 'soak.db'}"
    started = time.monotonic()
    try:
        code, log = soak(folder, args.minutes, db_url)
        counts, failures = report(db_url)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    took = time.monotonic() - started
    print(f"\n{sum(counts.values())} crawl runs in {took:.0f} s, store {db_url}")
    print_table(counts)
    digests = [line for line in log.splitlines() if "digest: " in line]
    warnings = [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    print(f"scheduler exit status {code}; warnings and errors in its log: {len(warnings)}")
    for line in digests:
        print(f"  {line}")
    for line in warnings[:20]:
        print(f"  {line}")
    for line in failures[:20]:
        print(f"  {line}")
    bad = code != 0 or "Traceback" in log or any(s in FAILED for _, s in counts)
    if bad:
        print("FAIL: a run failed, the log has a traceback, or the scheduler did not exit 0")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
