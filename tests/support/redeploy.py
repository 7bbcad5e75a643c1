"""A module's own variant of the session's local cloud, for the tests that need more than the default stack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import localcloud
from stack import Settings, StackOutputs


@contextmanager
def redeployed(settings: Settings, changed: Settings) -> Iterator[StackOutputs]:
    """The session's cloud deployed with ``changed`` (a module's load workers, a user's function), and with the
    session's ``settings`` again afterwards, so no other test sees what the module added."""
    try:
        yield localcloud.up(changed)
    finally:
        localcloud.up(settings)
