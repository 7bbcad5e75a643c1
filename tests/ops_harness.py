"""Build the operations components under Pulumi mocks and record what they register.

The components take plain inputs (a ``StackSpec``, a region, an account, an API id), so they are built directly,
without the rest of the program. Every resource answers with an ``arn`` shaped like AWS's, so policies and the
dashboard that embed ARNs can be checked for the right ones.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

PROJECT = "archbench"
REGION = "eu-west-1"
ACCOUNT = "210987654321"
API_ID = "a1b2c3d4e5"


@dataclass(frozen=True)
class Registered:
    """One registered resource and its inputs as the provider receives them (camelCase keys)."""

    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]

    def json(self, key: str) -> Any:
        """An input that is a JSON document (policies, dashboard body), parsed."""
        return json.loads(self.inputs[key])


def _arn(type_: str, inputs: dict[str, Any], name: str) -> str:
    if type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        host = inputs["url"].removeprefix("https://")
        return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    if type_ == "aws:iam/role:Role":
        return f"arn:aws:iam::{ACCOUNT}:role/{inputs['name']}"
    if type_ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{inputs['name']}"
    if type_ == "aws:sns/topic:Topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{inputs['name']}"
    return f"arn:aws:mock:{REGION}:{ACCOUNT}:{name}"


class _Mocks(pulumi.runtime.Mocks):
    """Records registrations; the components make no invokes, so any invoke fails the run."""

    def __init__(self) -> None:
        self.registered: list[Registered] = []
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        with self._lock:
            self.registered.append(Registered(args.typ, args.name, bool(args.custom), dict(args.inputs)))
        return f"{args.name}-id", {**args.inputs, "arn": _arn(args.typ, args.inputs, args.name)}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        raise NotImplementedError(f"unexpected invoke {args.token}")


def build(body: Callable[[], object]) -> list[Registered]:
    """Run ``body`` as a Pulumi program under fresh mocks; return every resource it registered, in order."""
    mocks = _Mocks()
    pulumi.runtime.reset_options(project=PROJECT, stack="test")
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="test", preview=False)
    pulumi.runtime.test(body)()
    return mocks.registered


def of_type(registered: list[Registered], type_: str) -> list[Registered]:
    return [r for r in registered if r.type == type_]


def one(registered: list[Registered], type_: str, name_suffix: str = "") -> Registered:
    found = [r for r in of_type(registered, type_) if r.name.endswith(name_suffix)]
    assert len(found) == 1, f"expected one {type_} named *{name_suffix}, found {[r.name for r in found]}"
    return found[0]
