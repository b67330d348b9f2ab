"""Who may use the web app, and proof that a state change was meant.

Sits at the door of the web app, before any page or API route:

- Off loopback an access token is required (`require_token`); once given, every
  request must carry it as `Authorization: Bearer TOKEN` or as the cookie that
  `/login` (or any `?token=` link) sets. The cookie holds a digest of the
  token, never the token.
- Each browser gets a random session cookie; forms carry a CSRF token derived
  from it with this process's secret, and POSTs are refused without it.
- JSON POSTs need a bearer token or the `X-Pressmon-Client` header, which a
  browser cannot send cross-site (no CORS is offered).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

from web.errors import AccessError

AUTH_COOKIE = "pressmon_auth"
SESSION_COOKIE = "pressmon_session"
CLIENT_HEADER = "x-pressmon-client"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def require_token(host: str, token: str | None, token_env: str) -> str | None:
    """The token to enforce; refuses a non-loopback bind without one."""
    if not token and not is_loopback(host):
        raise AccessError(
            f"--host {host} is reachable from other machines: "
            f"set {token_env} to an access token to serve on it"
        )
    return token or None


@dataclass
class Access:
    """The token check and the CSRF tokens of one running app."""

    token: str | None = None
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def cookie_value(self) -> str:
        """What the auth cookie holds: a digest of the token, so the cookie never leaks it."""
        assert self.token is not None
        return hmac.new(self.token.encode(), b"pressmon-web-auth", hashlib.sha256).hexdigest()

    def token_matches(self, candidate: str | None) -> bool:
        if not self.token or not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    def bearer_ok(self, authorization: str | None) -> bool:
        """An `Authorization: Bearer TOKEN` header with the right token."""
        scheme, _, value = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(value.strip())

    def allowed(self, authorization: str | None, cookie: str | None) -> bool:
        """May this request be served at all?"""
        if self.token is None:
            return True
        if self.bearer_ok(authorization):
            return True
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.cookie_value.encode())  # type: ignore[union-attr]

    def csrf_token(self, session_id: str) -> str:
        """The form token of one browser session."""
        return hmac.new(self.secret, session_id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session_id: str | None, submitted: str | None) -> bool:
        if not session_id or not submitted:
            return False
        return hmac.compare_digest(self.csrf_token(session_id).encode(), submitted.encode())

    def api_write_ok(self, authorization: str | None, client_header: str | None) -> bool:
        """A JSON POST came from a program, not from a cross-site form or script."""
        return self.bearer_ok(authorization) or bool(client_header)


def new_session_id() -> str:
    return secrets.token_urlsafe(24)
