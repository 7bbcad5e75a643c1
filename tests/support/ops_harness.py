"""Build the operations components under the Pulumi mocks of ``tests/pulumi_harness.py``; list what they register.

The components take plain inputs (a ``StackSpec``, a region, an account, an API id), so they are built directly,
without the rest of the program. The mocks answer with ARNs shaped like AWS's, so policies and the dashboard that
embed ARNs can be checked for the right ones.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.pulumi_harness import ACCOUNT, REGION, run_mocked
from tests.support.pulumi_harness import Recorded as Registered

API_ID = "a1b2c3d4e5"

__all__ = ["ACCOUNT", "API_ID", "REGION", "Registered", "build", "of_type", "one"]


def build(body: Callable[[], object]) -> list[Registered]:
    """Run ``body`` as a Pulumi program under fresh mocks; return every resource it registered, in order."""
    return list(run_mocked(body).resources)


def of_type(registered: list[Registered], type_: str) -> list[Registered]:
    return [r for r in registered if r.type == type_]


def one(registered: list[Registered], type_: str, name_suffix: str = "") -> Registered:
    found = [r for r in of_type(registered, type_) if r.name.endswith(name_suffix)]
    assert len(found) == 1, f"expected one {type_} named *{name_suffix}, found {[r.name for r in found]}"
    return found[0]
