"""The one error type of the local cloud: its message is the single line the CLI prints."""

from core import UserError


class LocalCloudError(UserError):
    """Something the user can act on (port in use, MiniStack failed to start, deploy refused)."""
