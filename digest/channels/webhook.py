"""Webhook channel: POST the digest's JSON; any answer but 2xx is a failure."""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping

from digest.channels.outgoing import Outgoing
from digest.errors import ChannelError
from digest.settings import WebhookDelivery


def send(settings: WebhookDelivery, out: Outgoing, env: Mapping[str, str]) -> None:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "pressmon-digest",
        "X-Pressmon-Digest": str(out.digest_id),
    }
    if settings.token_env is not None:
        token = env.get(settings.token_env)
        if not token:
            raise ChannelError(
                f"digest.webhook.token_env: environment variable {settings.token_env} is not set"
            )
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        settings.url, data=out.rendered.json.encode("utf-8"), headers=headers, method="POST"
    )
    # urlopen raises HTTPError (an OSError) for 4xx/5xx and URLError when unreachable.
    with urllib.request.urlopen(request, timeout=settings.timeout) as response:
        response.read()
