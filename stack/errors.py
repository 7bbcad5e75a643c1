"""The settings' error, apart from ``stack.settings`` so that ``stack.function`` can raise it too."""

from __future__ import annotations

from core import UserError


class SettingsError(UserError, ValueError):
    """A configuration value is invalid; the message names the key."""
