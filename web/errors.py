"""The web app's errors."""


class AccessError(Exception):
    """The app would be reachable without the protection it needs (e.g. no token off loopback)."""
