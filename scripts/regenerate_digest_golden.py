"""Regenerate the digest golden files (tests/digest_golden/digest.md and digest.html) on purpose.

Builds the fixed store of tests/digest_golden/fixture.py in a temporary folder,
renders its digest for the fixed period and overwrites the golden files. Run it
after a deliberate change to the digest's look, then read the diff before
committing:

    python scripts/regenerate_digest_golden.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from digest_golden.fixture import HERE, PERIOD, WATCHED, golden_store  # noqa: E402

from digest.collect import collect  # noqa: E402
from digest.render import html, markdown  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store, _config = golden_store(Path(folder))
        with store.session() as session:
            content = collect(session, PERIOD)
        store.close()
    for name, text in (
        ("digest.md", markdown(content, WATCHED)),
        ("digest.html", html(content, WATCHED)),
    ):
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
