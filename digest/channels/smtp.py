"""E-mail channel: one multipart message (text/plain Markdown + text/html) over SMTP.

The user name and password come from the environment variables the config
names; the config file never holds them.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digest.channels.outgoing import Outgoing
from digest.errors import ChannelError
from digest.settings import EmailDelivery

TIMEOUT = 30


def message(settings: EmailDelivery, out: Outgoing) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = out.rendered.subject
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.to)
    msg["Date"] = format_datetime(out.created.astimezone())
    msg["Message-ID"] = make_msgid(idstring=f"pressmon-digest-{out.digest_id}")
    msg.set_content(out.rendered.markdown)
    msg.add_alternative(out.rendered.html, subtype="html")
    return msg


def credentials(settings: EmailDelivery, env: Mapping[str, str]) -> tuple[str, str] | None:
    """(user, password) from the named variables, or None when the config names none."""
    if settings.username_env is None and settings.password_env is None:
        return None
    values = []
    for key, name in (
        ("username_env", settings.username_env),
        ("password_env", settings.password_env),
    ):
        if not name or not env.get(name):
            raise ChannelError(
                f"digest.email.{key}: environment variable {name or '(none)'} is not set"
            )
        values.append(env[name])
    return values[0], values[1]


def send(settings: EmailDelivery, out: Outgoing, env: Mapping[str, str]) -> None:
    login = credentials(settings, env)
    with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT) as server:
        if settings.starttls:
            server.starttls()
        if login is not None:
            server.login(*login)
        server.send_message(message(settings, out))
