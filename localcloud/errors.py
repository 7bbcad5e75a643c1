"""The one error type of the local cloud: its message is the single line the CLI prints."""


class LocalCloudError(RuntimeError):
    """Something the user can act on (port in use, MiniStack failed to start, deploy refused)."""
