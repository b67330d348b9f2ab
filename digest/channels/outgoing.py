"""The shapes every channel shares: what is sent (`Outgoing`) and where (`Channel`).

Apart from the package's `__init__` so each channel module can name them
without importing the package that imports the channels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from digest.render import Rendered


@dataclass(frozen=True)
class Outgoing:
    """What every channel may send: the digest rendered, its id and when it was made."""

    digest_id: int
    created: datetime
    rendered: Rendered
    feed: bytes  # the Atom feed of every digest so far, for the folder


@dataclass(frozen=True)
class Channel:
    """A configured destination: `send` delivers one digest there or raises."""

    name: str
    target: str
    send: Callable[[Outgoing], None]
