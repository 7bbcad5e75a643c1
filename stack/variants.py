"""The benchmark matrix: every (runtime, memory, architecture) cell and its A/A twin, each one *variant*.

A variant is one function with its own queue, DLQ, log group and route. Its id names it everywhere — stack
outputs, manifests, summaries, routes, resource names — so it is made here and nowhere else:
``py313-1024-arm64``, and the control twin of a cell's ``x86_64`` function ``py313-1024-x86_64-twin``. The
twin is identical to its sibling in every setting; comparing the two measures the benchmark's own noise floor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, get_args

Role = Literal["subject", "control"]
ROLES: tuple[Role, ...] = get_args(Role)
CONTROL_SUFFIX = "-twin"
# The longest id: ``py314-10240-x86_64-twin`` (23 characters); resource names are sized for it (``stack.spec``).
VARIANT_ID_MAX = 23
_RUNTIME_RE = re.compile(r"python(\d)\.(\d+)")


@dataclass(frozen=True)
class Variant:
    """One deployed configuration. Sorted by runtime, memory, architecture, then subject before its twin."""

    runtime: str  # a Lambda runtime id, e.g. python3.13
    memory_mb: int
    architecture: str  # arm64 | x86_64
    role: Role = "subject"

    @property
    def id(self) -> str:
        suffix = CONTROL_SUFFIX if self.role == "control" else ""
        return f"{runtime_tag(self.runtime)}-{self.memory_mb}-{self.architecture}{suffix}"

    @property
    def cell(self) -> tuple[str, int]:
        """(runtime, memory): the variants compared architecture against architecture."""
        return (self.runtime, self.memory_mb)

    @property
    def is_control(self) -> bool:
        return self.role == "control"

    @property
    def sibling(self) -> Variant:
        """The subject a control twins (a subject is its own sibling)."""
        return replace(self, role="subject")

    @property
    def python_version(self) -> str:
        """``3.13`` for ``python3.13``: the layers build their wheels for it."""
        return self.runtime.removeprefix("python")

    def sort_key(self) -> tuple[tuple[int, ...], int, str, int]:
        return (_runtime_order(self.runtime), self.memory_mb, self.architecture, ROLES.index(self.role))


def runtime_tag(runtime: str) -> str:
    """``py313`` for ``python3.13``: short enough that every resource name stays within AWS's limits."""
    match = _RUNTIME_RE.fullmatch(runtime)
    if match is None:
        raise ValueError(f"not a Python Lambda runtime: {runtime!r}")
    return f"py{match[1]}{match[2]}"


def matrix(runtimes: Iterable[str], memory_sizes: Iterable[int], architectures: Iterable[str],
           control: str | None) -> tuple[Variant, ...]:
    """Every cell's subject per architecture, plus the twin of the ``control`` architecture's; in sort order."""
    arch_list = list(architectures)
    variants = []
    for runtime in runtimes:
        for memory in memory_sizes:
            for arch in arch_list:
                variants.append(Variant(runtime, int(memory), arch))
                if arch == control:
                    variants.append(Variant(runtime, int(memory), arch, "control"))
    return tuple(sorted(variants, key=Variant.sort_key))


def _runtime_order(runtime: str) -> tuple[int, ...]:
    match = _RUNTIME_RE.fullmatch(runtime)
    return (int(match[1]), int(match[2])) if match else (0,)
