"""Folder channel: each digest as digest-<id>.md, .html and .json, plus feed.xml (Atom)."""

from __future__ import annotations

from pathlib import Path

from digest.channels.outgoing import Outgoing


def file_stem(digest_id: int) -> str:
    return f"digest-{digest_id:05d}"


def send(folder: str, out: Outgoing) -> None:
    """Write the digest's files and refresh the feed; rewriting the same digest is harmless."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    stem = file_stem(out.digest_id)
    for suffix, text in (
        (".md", out.rendered.markdown),
        (".html", out.rendered.html),
        (".json", out.rendered.json),
    ):
        _write(path / f"{stem}{suffix}", text.encode("utf-8"))
    _write(path / "feed.xml", out.feed)


def _write(target: Path, data: bytes) -> None:
    """Write beside the target, then rename, so a reader never sees half a file."""
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)
