"""Errors meant for the user: shown as one line, never as a traceback."""


class UserError(Exception):
    """Something the user can fix (a bad option, a missing workspace); str() is the message."""
