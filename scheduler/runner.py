"""Running one job: a `pressmon` subprocess with a timeout, stopped cleanly, its outcome recorded.

Sits under the APScheduler adapter: a crawl job calls `run_crawl`, the digest
job `run_command`. Both are plain functions of their inputs (a stop event and a
clock are passed in), so they are testable without a scheduler. Each crawl is a
new process because Scrapy's reactor cannot restart within one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from store import Store
from store import queries as q
from store import writes as w
from store.clock import now as utc_now
from store.kinds import RunStatus
from store.lease import crawl_lease, run_holder

POLL = 0.2  # seconds between looks at a running subprocess
TAIL_LINES = 15
TAIL_CHARS = 2000
COUNTS = ("pages", "new", "revised", "unchanged", "skipped", "errors", "broken")

Ending = Literal["exited", "timeout", "stopped"]


@dataclass(frozen=True)
class Finished:
    """How a subprocess ended: on its own, at its timeout, or stopped by the scheduler."""

    ending: Ending
    exit_code: int | None
    stderr_tail: str
    stdout_tail: str = ""  # what it printed, when asked to keep it


@dataclass(frozen=True)
class CrawlOutcome:
    """What one scheduled crawl did, as recorded in its `crawl_run`."""

    source: str
    status: str  # a RunStatus, or "refused" when another crawl held the source (no run)
    exit_code: int | None
    run_id: int | None  # None: refused, nothing recorded
    started: datetime
    finished: datetime
    counts: dict[str, int] = field(default_factory=dict)
    error_text: str | None = None


def pressmon_command(*args: str, config_path: str, db_url: str) -> list[str]:
    """`python -m pressmon ARGS --config ... --db ...` with this interpreter."""
    return [sys.executable, "-m", "pressmon", *args, "--config", config_path, "--db", db_url]


def tail(text: str) -> str:
    """The end of a stderr: enough to say why a process failed, short enough for a record."""
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-TAIL_LINES:])[-TAIL_CHARS:]


def stop_process(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM (Scrapy then closes its spider and records the run), SIGKILL after `grace` s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_command(
    argv: Sequence[str],
    *,
    timeout: float,
    stop: threading.Event,
    stop_after: float,
    clock: Callable[[], float] = time.monotonic,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
    keep_stdout: bool = False,
) -> Finished:
    """Run `argv` until it exits, `timeout` seconds pass (by `clock`) or `stop` is set.

    The child gets its own session, so a Ctrl-C in the terminal reaches the
    scheduler only; the scheduler decides when and how its children stop.
    `keep_stdout` keeps the end of what it printed (the digest says what it sent).
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out if keep_stdout else subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        if on_start is not None:
            on_start(proc)
        deadline = clock() + timeout
        ending: Ending = "exited"
        while proc.poll() is None:
            if stop.is_set():
                ending = "stopped"
            elif clock() >= deadline:
                ending = "timeout"
            if ending != "exited":
                stop_process(proc, stop_after)
                break
            stop.wait(POLL)
        code = proc.wait()
        err.seek(0)
        out.seek(0)
        text = err.read().decode("utf-8", "replace")
        printed = out.read().decode("utf-8", "replace")
    return Finished(ending, code, tail(text), tail(printed))


STORE_FAULT = "store error: "  # how the error text of a run the store failed begins


def last_line(text: str) -> str:
    """The line that says why a process failed: the last of its stderr (a traceback's too)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1].removeprefix("Error: ") if lines else ""


def _why(finished: Finished, timeout: float, store_error: str | None = None) -> str:
    """One line for the record: how the process ended and why; never a traceback."""
    if store_error is not None:  # the store refused or was locked: not the site's fault
        return f"{STORE_FAULT}{store_error.splitlines()[0]}"
    if finished.ending == "timeout":
        return f"stopped after its timeout of {timeout:g} s"
    if finished.ending == "stopped":
        return "stopped by the scheduler's shutdown"
    said = last_line(finished.stderr_tail)  # the one-line error, or a traceback's last line
    reason = f"exited with status {finished.exit_code}"
    return f"{reason}: {said}" if said else reason


@dataclass(frozen=True)
class Started:
    """What a `pressmon crawl --run-ids FILE` wrote: the runs it started, why it refused,
    and the store error that ended it, if one did."""

    run_ids: tuple[int, ...] = ()
    refused: str | None = None
    store_error: str | None = None

    @classmethod
    def read(cls, path: Path) -> Started:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return cls()
        ids = tuple(int(line) for line in lines if line.strip().isdigit())
        held = [line.removeprefix("held: ") for line in lines if line.startswith("held: ")]
        store = [line.removeprefix("store: ") for line in lines if line.startswith("store: ")]
        return cls(ids, held[0] if held else None, store[-1] if store else None)


def record_outcome(
    store: Store,
    source: str,
    started_runs: Started,
    started: datetime,
    finished: Finished,
    timeout: float,
    now: datetime,
) -> CrawlOutcome:
    """Complete the crawl's record from what the subprocess wrote (or did not write).

    The run is the one the subprocess said it started, never merely the newest of its
    source: another scheduler's or a hand-started crawl may have recorded one meanwhile.
    """
    failed_status: RunStatus = "failed"
    if finished.ending == "timeout":
        failed_status = "timeout"
    elif finished.ending == "stopped":
        failed_status = "stopped"
    if not started_runs.run_ids and started_runs.refused is not None:
        return CrawlOutcome(
            source, "refused", finished.exit_code, None, started, now, {}, started_runs.refused
        )
    why = _why(finished, timeout, started_runs.store_error)
    with store.session() as session:
        runs = q.runs(session, started_runs.run_ids)
        run = runs[-1] if runs else None
        if run is None:
            run_id = w.record_run(session, source, started, now, failed_status, why)
            return CrawlOutcome(
                source, failed_status, finished.exit_code, run_id, started, now, {}, why
            )
        if run.status == "running":  # the subprocess died before finishing its record
            w.update_run(session, run.id, status=failed_status, finished=now, error_text=why)
        elif finished.ending != "exited":  # it recorded itself, but its counts are partial
            error_text = "; ".join(filter(None, [run.error_text, why]))
            w.update_run(session, run.id, status=failed_status, error_text=error_text)
        elif finished.exit_code != 0 and not run.error_text:
            w.update_run(session, run.id, error_text=why)
        # The subprocess is gone: its source is free now, not once its heartbeat goes stale.
        w.release_lease(session, crawl_lease(source), run_holder(run.id))
        return CrawlOutcome(
            source,
            run.status,
            finished.exit_code,
            run.id,
            run.started,
            run.finished or now,
            {name: getattr(run, name) or 0 for name in COUNTS},
            run.error_text,
        )


def run_crawl(
    source: str,
    *,
    store: Store,
    config_path: str,
    db_url: str,
    timeout: float,
    stop: threading.Event,
    stop_after: float,
    now: Callable[[], datetime] = utc_now,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> CrawlOutcome:
    """Crawl one source in a `pressmon crawl` subprocess and return its recorded outcome."""
    started = now()
    handle, name = tempfile.mkstemp(prefix="pressmon-run-ids-", suffix=".txt")
    os.close(handle)
    report = Path(name)
    try:
        argv = pressmon_command(
            "crawl", "--source", source, "--run-ids", str(report),
            config_path=config_path, db_url=db_url,
        )  # fmt: skip
        finished = run_command(
            argv, timeout=timeout, stop=stop, stop_after=stop_after, on_start=on_start
        )
        started_runs = Started.read(report)
    finally:
        report.unlink(missing_ok=True)
    return record_outcome(store, source, started_runs, started, finished, timeout, now())
