"""Deliver: one small module per channel (folder, smtp, webhook), each a plain `send` function.

Third step of the digest stage. A channel gets an `Outgoing` (a rendered digest
and its id) and either returns or raises; `digest.record` notes the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping

from digest.channels import folder, smtp, webhook
from digest.channels.outgoing import Channel, Outgoing
from digest.settings import DigestSettings

__all__ = ["Channel", "Outgoing", "configured"]


def configured(settings: DigestSettings, env: Mapping[str, str]) -> list[Channel]:
    """The channels the `digest:` section names, in a fixed order: folder, email, webhook."""
    channels = []
    if settings.folder:
        target = settings.folder
        channels.append(Channel("folder", target, lambda out: folder.send(target, out)))
    if settings.email is not None:
        mail = settings.email
        channels.append(Channel("email", ", ".join(mail.to), lambda out: smtp.send(mail, out, env)))
    if settings.webhook is not None:
        hook = settings.webhook
        channels.append(Channel("webhook", hook.url, lambda out: webhook.send(hook, out, env)))
    return channels
