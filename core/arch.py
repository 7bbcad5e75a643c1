"""The two Lambda architectures, the CPU names a machine reports for them, and the one colour of each.

Every tool names architectures the Lambda way (``arm64``, ``x86_64``); ``platform.machine()`` and Debian say
``aarch64``/``amd64``. The colours are the dashboard's and the plots' alike, so a line is recognisable anywhere.
"""

from __future__ import annotations

from typing import Literal

Architecture = Literal["arm64", "x86_64"]
ARCHITECTURES: tuple[Architecture, Architecture] = ("arm64", "x86_64")
# Lambda architecture → what ``platform.machine()`` reports on Linux for it.
LINUX_MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
# Whatever a host or a handler reports (``platform.machine()`` on Linux or macOS, Debian's names) → architecture.
ARCH_OF_MACHINE = {"aarch64": "arm64", "arm64": "arm64", "x86_64": "x86_64", "amd64": "x86_64"}
OTHER_ARCH = {"arm64": "x86_64", "x86_64": "arm64"}
COLOURS = {"arm64": "#e67e22", "x86_64": "#2e86c1"}


def arch_of_machine(machine: str) -> str | None:
    """The architecture of a reported machine name (case-insensitive), ``None`` when it is neither."""
    return ARCH_OF_MACHINE.get(machine.lower())
