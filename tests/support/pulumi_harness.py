"""Run the real Pulumi program (``__main__.py``) under Pulumi mocks and record every resource it registers.

No CLI, no engine, no network: ``pulumi.runtime.set_mocks`` stands in for the engine and ``RecordingMocks``
answers with the computed attributes AWS would return (arn, url, invoke_arn, api_endpoint, ...). Each run resets
Pulumi's module-level state (root stack, config, monitor), so runs are independent of each other and of order.
"""

from __future__ import annotations

import json
import runpy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import Stack

from core import PROJECT_ROOT

PROGRAM = PROJECT_ROOT / "__main__.py"
PROJECT = "archbench"
REGION = "eu-west-1"  # not the default region: a hard-coded us-east-1 in a component shows
ACCOUNT = "123456789012"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Recorded:
    """One registered resource: inputs as the provider receives them (camelCase), mocked outputs, graph edges."""

    type: str
    name: str
    id: str
    urn: str
    parent: str
    dependencies: frozenset[str]
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]

    def json(self, key: str) -> Any:
        """An input that is a JSON document (policies, dashboard body), parsed."""
        return json.loads(self.inputs[key])


@dataclass(frozen=True)
class ProgramRun:
    resources: tuple[Recorded, ...]
    exports: dict[str, Any]

    @property
    def custom(self) -> list[Recorded]:
        """The cloud resources (not components, not the stack)."""
        return [r for r in self.resources if r.custom]

    def of_type(self, type_: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, where: Callable[..., bool] = lambda r: True) -> Recorded:
        """The one resource of ``type_`` for which ``where(resource)`` holds (``where`` may bind loop values as
        default arguments)."""
        found = [r for r in self.of_type(type_) if where(r)]
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def children(self, parent: Recorded) -> list[Recorded]:
        return [r for r in self.resources if r.parent == parent.urn]


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def _computed(type_: str, name: str, resource_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The attributes AWS computes, shaped like the real ones (only what the program reads)."""
    physical = inputs.get("name", name)
    if type_ == "aws:sqs/queue:Queue":
        return {"arn": _arn("sqs", physical), "url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"}
    if type_ == "aws:lambda/function:Function":
        arn = _arn("lambda", f"function:{physical}")
        return {"arn": arn, "qualifiedArn": f"{arn}:$LATEST",
                "invokeArn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"}
    if type_ == "aws:lambda/layerVersion:LayerVersion":
        layer_arn = _arn("lambda", f"layer:{inputs['layerName']}")
        return {"layerArn": layer_arn, "arn": f"{layer_arn}:1", "version": "1"}
    if type_ == "aws:cloudwatch/logGroup:LogGroup":
        return {"arn": _arn("logs", f"log-group:{physical}")}
    if type_ == "aws:iam/role:Role":
        return {"arn": f"arn:aws:iam::{ACCOUNT}:role/{physical}"}
    if type_ == "aws:iam/policy:Policy":
        return {"arn": f"arn:aws:iam::{ACCOUNT}:policy/{physical}"}
    if type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        return {"arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{inputs['url'].removeprefix('https://')}"}
    if type_ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return {"arn": _arn("cloudwatch", f"alarm:{physical}")}
    if type_ == "aws:sns/topic:Topic":
        return {"arn": _arn("sns", physical)}
    if type_ == "aws:s3/bucket:Bucket":
        return {"arn": f"arn:aws:s3:::{inputs['bucket']}", "bucket": inputs["bucket"]}
    if type_ == "aws:apigatewayv2/api:Api":
        return {"arn": f"arn:aws:apigateway:{REGION}::/apis/{resource_id}",
                "executionArn": _arn("execute-api", resource_id),
                "apiEndpoint": f"https://{resource_id}.execute-api.{REGION}.amazonaws.com"}
    return {}


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and the invokes the program makes; any other invoke fails the run."""

    def __init__(self) -> None:
        self.states: dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id = f"{args.name}-id"
        outputs = {**args.inputs, **_computed(args.typ, args.name, resource_id, args.inputs)}
        with self._lock:
            assert (args.typ, args.name) not in self.states, f"registered twice: {args.typ} {args.name}"
            self.states[(args.typ, args.name)] = (resource_id, dict(args.inputs), outputs)
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getRegion:getRegion":
            return {"id": REGION, "name": REGION, "region": REGION, "endpoint": f"ec2.{REGION}.amazonaws.com",
                    "description": "Europe (Ireland)"}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"id": ACCOUNT, "accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/tester",
                    "userId": "AIDATESTER"}, []
        raise NotImplementedError(f"the mocks do not answer invoke {args.token}")


class _RecordingMonitor(MockMonitor):
    """Keeps what the mocks do not see: each resource's URN, parent and dependencies."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.edges: dict[str, tuple[str, frozenset[str], bool]] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.edges[response.urn] = (request.parent, frozenset(request.dependencies), bool(request.custom))
        return response


def _config_value(value: Any) -> str:
    """What the Pulumi CLI hands the program: strings as they are, anything else (YAML-typed) as JSON text."""
    return value if isinstance(value, str) else json.dumps(value)


def run_program(config: Mapping[str, Any] | None = None, stack: str = "test") -> ProgramRun:
    """Run ``__main__.py`` with ``archbench:<key>`` config values; return its resources and resolved exports."""
    return run_mocked(lambda: runpy.run_path(str(PROGRAM), run_name="__main__"), config, stack)


def run_mocked(body: Callable[[], object], config: Mapping[str, Any] | None = None,
               stack: str = "test") -> ProgramRun:
    """Run ``body`` (the program, or components built directly) as a Pulumi program under fresh mocks."""
    mocks = RecordingMocks()
    monitor = _RecordingMonitor(mocks)
    pulumi.runtime.reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({f"{PROJECT}:{key}": _config_value(v) for key, v in (config or {}).items()})
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        body()
        root = pulumi.runtime.get_root_resource()
        assert isinstance(root, Stack), "the Pulumi mocks give every program a root stack"
        return pulumi.Output.from_input(root.outputs).apply(exports.update)

    program()
    return ProgramRun(resources=_records(mocks, monitor), exports=exports)


def _records(mocks: RecordingMocks, monitor: _RecordingMonitor) -> tuple[Recorded, ...]:
    records = []
    for urn, (parent, dependencies, custom) in monitor.edges.items():
        qualified_type, name = urn.split("::")[2:4]
        type_ = qualified_type.split("$")[-1]
        if type_ == STACK_TYPE:
            continue
        resource_id, inputs, outputs = mocks.states[(type_, name)]
        records.append(Recorded(type=type_, name=name, id=resource_id, urn=urn, parent=parent,
                                dependencies=dependencies, custom=custom, inputs=inputs, outputs=outputs))
    return tuple(records)
