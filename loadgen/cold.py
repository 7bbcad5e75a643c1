"""Forced cold starts (``--profile cold --count N``): N rounds, each on a fresh execution environment per variant.

A round sets one environment variable, ``ARCHBENCH_COLD_ROUND=<run id>-<round>``, on every variant's function
(UpdateFunctionConfiguration with the rest of the environment exactly as GetFunctionConfiguration read it), waits
until every update has finished (``LastUpdateStatus`` Successful), then sends one request to each variant — the
same seq for all, handed out in a seeded shuffled order — and waits until the target has processed it, so the
next round's update cannot leave this round's warm environment to the next request.

Lambda serves the first invocation after a configuration change from a new execution environment: lambda-perf and
Power Tuning's ``onlyColdStarts`` force cold starts the same way. MiniStack replaces a function's warm worker on
an environment update, so the starts are real there too. The waiter is botocore's ``function_updated``, which
polls GetFunctionConfiguration (``function_updated_v2`` polls GetFunction: one more permission, and a code URL
with every poll). The user needs ``lambda:GetFunctionConfiguration`` and ``lambda:UpdateFunctionConfiguration``
on the stack's functions. The variable stays set after the run; it changes nothing the handler reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from core import UserError
from loadgen.plan import Plan
from loadgen.runner import Target, release_orders, send_guarded
from loadgen.stats import RunStats

COLD_ROUND_VAR = "ARCHBENCH_COLD_ROUND"
UPDATE_POLL_S = 1
UPDATE_MAX_POLLS = 300  # five minutes: an update takes seconds on AWS, half a second on MiniStack
SETTLE_TIMEOUT_S = 120.0  # a round's requests are processed by then, or the round is noted as unsettled
PERMISSIONS = "lambda:GetFunctionConfiguration and lambda:UpdateFunctionConfiguration"


class SettlingTarget(Target, Protocol):
    """A target that can tell when what it sent has been processed (``settle``)."""

    def settle(self, variants: tuple[str, ...], stop: threading.Event, timeout_s: float) -> list[str]: ...


class RecycleError(UserError):
    """A function is missing, not updatable, or its update failed; the message names the variant."""


class FunctionRecycler:
    """Gives every variant's function a fresh execution environment by changing one environment variable."""

    def __init__(self, client: Any, functions: Mapping[str, str]) -> None:
        self.client = client
        self.functions = dict(functions)  # variant id → function name

    def check(self) -> None:
        """Before anything is sent: every function exists and its configuration can be read."""
        for variant in self.functions:
            self._environment(variant)

    def recycle(self, marker: str) -> None:
        """Set ``COLD_ROUND_VAR`` to ``marker`` on every function, then wait until every update has finished."""
        for variant, name in self.functions.items():
            environment = {"Variables": {**self._environment(variant), COLD_ROUND_VAR: marker}}
            self._call(variant, "UpdateFunctionConfiguration", partial(
                self.client.update_function_configuration, FunctionName=name, Environment=environment))
        waiter = self.client.get_waiter("function_updated")
        for variant, name in self.functions.items():
            try:
                waiter.wait(FunctionName=name, WaiterConfig={"Delay": UPDATE_POLL_S, "MaxAttempts": UPDATE_MAX_POLLS})
            except WaiterError as exc:
                reason = (exc.last_response or {}).get("LastUpdateStatusReason") or exc.kwargs.get("reason")
                raise RecycleError(f"the update of {variant}'s function {name} did not finish: {reason}") from None

    def _environment(self, variant: str) -> dict[str, str]:
        name = self.functions[variant]
        config = self._call(variant, "GetFunctionConfiguration",
                            partial(self.client.get_function_configuration, FunctionName=name))
        return dict((config.get("Environment") or {}).get("Variables") or {})

    def _call(self, variant: str, action: str, call: Callable[[], Any]) -> Any:
        name = self.functions[variant]
        try:
            return call()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise RecycleError(f"{variant}'s function {name} does not exist: is the stack up? "
                                   "(`python -m localcloud status`, or `pulumi stack`)") from None
            if code in ("AccessDeniedException", "AccessDenied"):
                raise RecycleError(f"{action} on {name} was refused: --profile cold needs {PERMISSIONS}") from None
            raise RecycleError(f"{action} on {variant}'s function {name} failed: {exc}") from None
        except BotoCoreError as exc:
            raise RecycleError(f"{action} on {variant}'s function {name} failed: {exc}") from None


def run_cold(plan: Plan, target: SettlingTarget, variants: tuple[str, ...], stats: RunStats, recycler: FunctionRecycler,
             *, stop: threading.Event, settle_timeout_s: float = SETTLE_TIMEOUT_S,
             clock: Callable[[], float] = time.monotonic) -> None:
    """Seq ``r`` is round ``r``: recycle every function, send ``r`` to every variant at once, wait until it was
    processed. ``stop`` ends the run after the round in progress."""
    orders = release_orders(variants, plan.seed)
    stats.mark_start(clock())
    with ThreadPoolExecutor(max_workers=len(variants), thread_name_prefix="loadgen-cold") as pool:
        for seq in range(plan.total):
            if stop.is_set():
                stats.mark_stopped(clock())
                return
            recycler.recycle(f"{plan.run_id}-{seq}")
            due = clock()
            wait([pool.submit(send_guarded, target, stats, variant, [seq], [due]) for variant in next(orders)])
            stats.mark_dispatched(1)
            unsettled = target.settle(variants, stop, settle_timeout_s)
            if unsettled and not stop.is_set():
                stats.note_error(f"round {seq}: not processed within {settle_timeout_s:g} s by "
                                 f"{', '.join(unsettled)}; the next round may find it warm", kind="cold settle")
