"""Fresh execution environments on demand: change one environment variable on every variant's function.

Lambda serves the first invocation after a configuration change from a new execution environment: lambda-perf and
Power Tuning's ``onlyColdStarts`` force cold starts the same way. MiniStack replaces a function's warm worker on
an environment update, so the new environments are real there too. Each update keeps the rest of the environment
exactly as GetFunctionConfiguration read it and is waited for (``LastUpdateStatus`` Successful) with botocore's
``function_updated`` waiter, which polls GetFunctionConfiguration (``function_updated_v2`` polls GetFunction: one
more permission, and a code URL with every poll). The variable stays set after the run; the handler never reads
it. Both ``--profile cold`` (``loadgen.cold``) and ``--rounds`` (``loadgen.rounds``) recycle this way, so both
need ``PERMISSIONS`` on the stack's functions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from core import UserError
from loadgen.runner import Target
from loadgen.stats import RunStats

UPDATE_POLL_S = 1
UPDATE_MAX_POLLS = 300  # five minutes: an update takes seconds on AWS, half a second on MiniStack
SETTLE_TIMEOUT_S = 120.0  # a round's requests are processed by then, or the round is noted as unsettled
PERMISSIONS = "lambda:GetFunctionConfiguration and lambda:UpdateFunctionConfiguration"


class SettlingTarget(Target, Protocol):
    """A target that can tell when what it sent has been processed (``settle``)."""

    def settle(self, variants: tuple[str, ...], stop: threading.Event, timeout_s: float) -> list[str]: ...


def settle_round(target: SettlingTarget, variants: tuple[str, ...], stats: RunStats, stop: threading.Event,
                 timeout_s: float, label: str) -> bool:
    """Wait until every variant has processed what the round sent, so the next recycle cannot leave this round's
    environments to the next round's requests; whether it did (a timeout is an error shown live, a stop is not)."""
    unsettled = target.settle(variants, stop, timeout_s)
    if unsettled and not stop.is_set():
        stats.note_error(f"{label}: not processed within {timeout_s:g} s by {', '.join(unsettled)}; the next round "
                         "may find its environments warm", kind=f"{label.split()[0]} settle")
    return not unsettled


class RecycleError(UserError):
    """A function is missing, not updatable, or its update failed; the message names the variant."""


class FunctionRecycler:
    """Gives every variant's function a fresh execution environment by setting ``variable`` to a new marker.

    ``needed_by`` names the option that recycles (``--profile cold``, ``--rounds``) in the permission error."""

    def __init__(self, client: Any, functions: Mapping[str, str], *, variable: str, needed_by: str) -> None:
        self.client = client
        self.functions = dict(functions)  # variant id → function name
        self.variable = variable
        self.needed_by = needed_by

    def check(self) -> None:
        """Before anything is sent: every function exists and its configuration can be read."""
        for variant in self.functions:
            self._environment(variant)

    def recycle(self, marker: str, order: tuple[str, ...] | None = None) -> None:
        """Set the variable to ``marker`` on every function, in ``order`` (default: the functions' own), then
        wait until every update has finished."""
        for variant in order or tuple(self.functions):
            environment = {"Variables": {**self._environment(variant), self.variable: marker}}
            self._call(variant, "UpdateFunctionConfiguration", partial(
                self.client.update_function_configuration, FunctionName=self.functions[variant],
                Environment=environment))
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
                raise RecycleError(f"{action} on {name} was refused: {self.needed_by} needs {PERMISSIONS} "
                                   "on the stack's functions") from None
            raise RecycleError(f"{action} on {variant}'s function {name} failed: {exc}") from None
        except BotoCoreError as exc:
            raise RecycleError(f"{action} on {variant}'s function {name} failed: {exc}") from None
