"""How long `pressmon` takes to start: `pressmon --help` and `pressmon articles`.

Runs each command `--runs` times as a fresh process (after one warm-up run, so the
files are in the page cache), prints the median, minimum and maximum wall time, then
the imports that cost the most in one run (`python -X importtime`, cumulative); last,
the floors: bare processes importing only the libraries `articles` stands on.

    python benchmarks/startup.py [--runs 15] [--top 12]

`articles` lists a fresh, empty SQLite store made with `pressmon db upgrade`, with the
sample newsroom's config: what is measured is start-up, not the query.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "samplesite" / "sample-config.yaml"
# The libraries under `pressmon articles`: the CLI, the store's SQL (Core, then the ORM
# its models use), the config's validation and its YAML, the tables' console.
FLOORS = (
    "",
    "click",
    "click, sqlalchemy",
    "click, sqlalchemy, pydantic, yaml",
    "click, sqlalchemy, pydantic, yaml, sqlalchemy.orm",
    "click, sqlalchemy, pydantic, yaml, sqlalchemy.orm, rich.console",
)


def timed(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
    return walls


def top_imports(command: list[str], top: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the costliest top-level imports."""
    done = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True, cwd=ROOT
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        if cumulative.strip().isdigit() and name.startswith(" ") and not name[1:2].isspace():
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    from crawl import compile_bytecode

    print(compile_bytecode())
    pressmon = [sys.executable, "-m", "pressmon.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/startup.db"
        subprocess.run([*pressmon, "db", "upgrade", "--db", db], check=True, capture_output=True)
        commands = {
            "pressmon --help": [*pressmon, "--help"],
            "pressmon articles": [*pressmon, "articles", "--config", str(CONFIG), "--db", db],
        }
        for label, command in commands.items():
            walls = timed(command, args.runs)
            print(
                f"{label:20s} median {statistics.median(walls):.3f} s "
                f"(min {min(walls):.3f}, max {max(walls):.3f}, {args.runs} runs)"
            )
            for micros, module in top_imports(command, args.top):
                print(f"    {micros / 1e6:6.3f} s  import {module}")
    print("floors: a bare process importing only what `articles` stands on")
    for modules in FLOORS:
        code = f"import {modules}" if modules else "pass"
        walls = timed([sys.executable, "-c", code], args.runs)
        print(f"    {statistics.median(walls):.3f} s  {code if modules else 'python alone'}")


if __name__ == "__main__":
    main()
