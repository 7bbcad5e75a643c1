"""The stack outputs contract and its discovery order (--outputs, --stack, local cloud, current stack)."""

import json
import os
import stat

import pytest

from core import local_outputs_path
from stack.outputs import OutputsError, StackOutputs, find_outputs, load_outputs_file

ARM, X86, TWIN = "py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin"


def _contract(endpoint: str | None = None) -> dict:
    def fn(variant: str) -> dict:
        return {"name": f"archbench-dev_{variant}", "queue_url": f"https://sqs/{variant}-queue",
                "dlq_url": f"https://sqs/{variant}-dlq", "log_group": f"/aws/lambda/archbench-dev_{variant}",
                "route": f"/{variant}/process", "memory_mb": 1024, "architecture": variant.split("-")[2],
                "runtime": "python3.13", "role": "control" if variant.endswith("-twin") else "subject"}

    return {"region": "us-east-1", "endpoint_url": endpoint, "api_url": "https://abc.execute-api.aws",
            "functions": {v: fn(v) for v in (ARM, X86, TWIN)}}


def test_round_trip_keeps_every_field():
    data = _contract(endpoint="http://127.0.0.1:4566")
    outputs = StackOutputs.from_dict(data)
    assert outputs.to_dict() == data
    assert outputs.is_local
    assert outputs.functions[ARM].memory_mb == 1024
    assert outputs.functions[TWIN].variant.sibling == outputs.functions[X86].variant
    assert outputs.architectures == ("arm64", "x86_64")


def test_variants_come_in_matrix_order_whatever_the_file_order():
    data = _contract()
    data["functions"] = dict(reversed(list(data["functions"].items())))
    outputs = StackOutputs.from_dict(data)
    assert list(outputs.variants) == [ARM, X86, TWIN]
    assert outputs.log_groups == [f"/aws/lambda/archbench-dev_{v}" for v in (ARM, X86, TWIN)]


def test_aws_outputs_are_not_local():
    assert not StackOutputs.from_dict(_contract()).is_local


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("api_url"), "missing field 'api_url'"),
        (lambda d: d["functions"][ARM].pop("queue_url"), "missing field 'queue_url'"),
        (lambda d: d.update(functions={}), "'functions' must map"),
        (lambda d: d["functions"].update(arm64=d["functions"][ARM]), "the key must be its variant id"),
        (lambda d: d["functions"][ARM].update(architecture="sparc"), "unknown architecture 'sparc'"),
        (lambda d: d["functions"][ARM].update(role="baseline"), "has role 'baseline'"),
        (lambda d: d["functions"][ARM].update(runtime="java21"), "not a Python Lambda runtime: 'java21'"),
        (lambda d: d["functions"].update({ARM: ["not", "an", "object"]}), "must be an object"),
        (lambda d: d["functions"][ARM].update(memory_mb="lots"), "malformed stack outputs"),
    ],
)
def test_malformed_outputs_name_the_problem(mutate, message):
    data = _contract()
    mutate(data)
    with pytest.raises(OutputsError, match=message):
        StackOutputs.from_dict(data, source="test")


def test_outputs_file_errors_are_clear(tmp_path):
    with pytest.raises(OutputsError, match="not found"):
        load_outputs_file(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(OutputsError, match="cannot read"):
        load_outputs_file(broken)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A state dir of our own and a PATH without any pulumi CLI."""
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    (tmp_path / "bin").mkdir()
    return tmp_path


def test_explicit_file_wins_over_local_cloud(isolated):
    local = local_outputs_path()
    local.parent.mkdir(parents=True)
    local.write_text(json.dumps(_contract(endpoint="http://127.0.0.1:1")))
    explicit = isolated / "aws.json"
    explicit.write_text(json.dumps(_contract()))
    assert not find_outputs(outputs_file=explicit).is_local
    assert find_outputs().is_local


def test_nothing_found_says_what_to_run(isolated):
    with pytest.raises(OutputsError, match="python -m localcloud up"):
        find_outputs()


def _fake_pulumi(bin_dir, stdout: str, code: int = 0):
    """A stand-in pulumi CLI on PATH that records its arguments: the discovery's subprocess boundary."""
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{bin_dir}/args"\n'
        f"cat <<'EOF'\n{stdout}\nEOF\n"
        f"exit {code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_named_stack_reads_pulumi_stack_output(isolated):
    _fake_pulumi(isolated / "bin", json.dumps(_contract()))
    os.environ["PATH"] = f"{isolated / 'bin'}:/usr/bin:/bin"
    outputs = find_outputs(stack="staging")
    assert outputs.functions[X86].route == f"/{X86}/process"
    args = (isolated / "bin" / "args").read_text().split()
    assert args[:4] == ["stack", "output", "bench", "--json"]
    assert args[args.index("--stack") + 1] == "staging"


def test_failing_pulumi_is_one_clear_error(isolated):
    _fake_pulumi(isolated / "bin", "error: no stack named 'nope' found", code=255)
    os.environ["PATH"] = f"{isolated / 'bin'}:/usr/bin:/bin"
    with pytest.raises(OutputsError, match="pulumi stack nope"):
        find_outputs(stack="nope")
