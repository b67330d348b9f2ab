"""The digest stage's errors."""


class ChannelError(Exception):
    """A delivery channel lacks what it needs to send (e.g. its secret's variable is unset).

    Counted as a failed delivery, like a refused connection, and retried on the next send.
    """
