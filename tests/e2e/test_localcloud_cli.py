"""The ``python -m localcloud`` command line: help, settings from a Pulumi file, clean errors, up/down by pid."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from core import PROJECT_ROOT
from handlers.contract import DIM_VARIANT, P_MEMORY_SIZE_MB, P_RUNTIME, P_SEQ, P_TRIGGER, new_run_id
from localcloud import post_json, venv_runtime
from stack import Settings, StackOutputs
from tests.support.commands import run_module
from tests.support.local_logs import emf_documents

DEMO_CONFIG = PROJECT_ROOT / "scripts" / "demo.yaml"  # `make demo`'s matrix: two memory sizes and the twins


def test_up_on_a_port_in_use_is_one_line_and_exit_1(local_cloud: StackOutputs, tmp_path: Path) -> None:
    assert local_cloud.endpoint_url
    port = local_cloud.endpoint_url.rsplit(":", 1)[1]
    result = run_module("localcloud", "up", "--detach", "--port", port, state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"localcloud: error: port {port} on 127.0.0.1 is already in use: choose another with --port, or omit it")


def test_up_detach_deploys_the_demo_matrix_every_variant_answers_and_down_leaves_nothing(tmp_path: Path) -> None:
    up = run_module("localcloud", "up", "--detach", "--config", str(DEMO_CONFIG), state_dir=tmp_path)
    assert up.returncode == 0, up.stderr
    assert "enforces no memory size" in up.stdout  # the emulator's limits are said, not hidden
    state = json.loads((tmp_path / "local" / "cloud.json").read_text())
    outputs = StackOutputs.from_dict(json.loads((tmp_path / "local" / "outputs.json").read_text()))
    assert outputs.endpoint_url == f"http://127.0.0.1:{state['port']}"
    assert list(outputs.variants) == [
        "py313-512-arm64", "py313-512-x86_64", "py313-512-x86_64-twin",
        "py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin"]
    ministack = psutil.Process(state["pid"])
    tree = [ministack, *ministack.children(recursive=True)]
    assert len(tree) >= 1 + len(outputs.functions)  # MiniStack and a warm worker per function

    run_id = new_run_id()
    sqs = outputs.client("sqs")
    for variant_id, fn in outputs.variants.items():
        status, body = post_json(outputs.api_url + fn.route, _noop(run_id, 0))
        assert status == 200, (variant_id, body)
        sqs.send_message(QueueUrl=fn.queue_url, MessageBody=_noop(run_id, 1))
    for variant_id, fn in outputs.variants.items():
        documents = _wait_for_documents(outputs, fn.log_group, run_id, 2)
        assert sorted((doc[P_SEQ], doc[P_TRIGGER]) for doc in documents) == [(0, "api"), (1, "sqs")]
        # MiniStack passes the configured memory on but runs every runtime with its own interpreter.
        assert {(doc[DIM_VARIANT], doc[P_MEMORY_SIZE_MB], doc[P_RUNTIME]) for doc in documents} == {
            (variant_id, fn.memory_mb, venv_runtime())}

    assert run_module("localcloud", "status", state_dir=tmp_path).returncode == 0
    down = run_module("localcloud", "down", state_dir=tmp_path)
    assert down.returncode == 0 and f"pid {state['pid']}" in down.stdout
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert sorted(p.name for p in (tmp_path / "local").iterdir()) == []
    assert run_module("localcloud", "status", state_dir=tmp_path).returncode == 1


def _noop(run_id: str, seq: int) -> str:
    return json.dumps({"run_id": run_id, "seq": seq, "workload": "noop", "size": 0})


def _wait_for_documents(outputs: StackOutputs, log_group: str, run_id: str, count: int,
                        timeout_s: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while len(documents := emf_documents(outputs, log_group, run_id)) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"{count} EMF documents of {run_id} did not arrive in {log_group} within {timeout_s:.0f} s "
                        f"(got {len(documents)})")
        time.sleep(0.5)
    return documents


def test_up_on_an_external_endpoint_deploys_there_and_down_leaves_it_running(
        local_cloud: StackOutputs, local_cloud_settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.local.yaml"
    config.write_text(f"config:\n  archbench:timeoutSeconds: {local_cloud_settings.timeout_s}\n"
                      f"  archbench:dlqMaxReceives: {local_cloud_settings.dlq_max_receives}\n")
    # The same settings as the session's cloud, so this deploy changes nothing there.
    assert Settings.from_pulumi_yaml(config) == local_cloud_settings
    assert local_cloud.endpoint_url
    up = run_module("localcloud", "up", "--detach", "--endpoint", local_cloud.endpoint_url, "--config", str(config),
                    state_dir=tmp_path)
    assert up.returncode == 0, up.stderr
    written = json.loads((tmp_path / "local" / "outputs.json").read_text())
    assert written == local_cloud.to_dict()
    down = run_module("localcloud", "down", state_dir=tmp_path)
    assert down.returncode == 0 and "not started by us" in down.stdout
    assert not (tmp_path / "local" / "outputs.json").exists()
    assert run_module("localcloud", "status", state_dir=tmp_path).returncode == 1
    status, _ = post_json(local_cloud.api_url + local_cloud.functions[min(local_cloud.functions)].route,
                          _noop(new_run_id(), 0))
    assert status == 200
