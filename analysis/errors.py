"""The one exception a user sees: its message is printed as a single line and the command exits non-zero."""


from core import UserError


class AnalysisError(UserError):
    """Something the user can fix (no run, no logs, no stack, a bad option); the message says what."""
