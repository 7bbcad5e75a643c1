"""The one error type of the layer tooling, and its progress lines (stderr: stdout stays for results)."""

from __future__ import annotations

import sys

from core import UserError


class LayerError(UserError):
    """A layer cannot be built, is over budget or fails verification; the message is one line for the user."""


def progress(message: str) -> None:
    print(f"layers: {message}", file=sys.stderr, flush=True)
