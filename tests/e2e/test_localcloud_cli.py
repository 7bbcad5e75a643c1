"""The ``python -m localcloud`` command line: help, settings from a Pulumi file, clean errors, up/down by pid."""

from __future__ import annotations

import json
from pathlib import Path

import psutil

from handlers.contract import new_run_id
from localcloud import post_json
from stack import Settings, StackOutputs
from tests.support.commands import run_module


def test_up_on_a_port_in_use_is_one_line_and_exit_1(local_cloud: StackOutputs, tmp_path: Path) -> None:
    assert local_cloud.endpoint_url
    port = local_cloud.endpoint_url.rsplit(":", 1)[1]
    result = run_module("localcloud", "up", "--detach", "--port", port, state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"localcloud: error: port {port} on 127.0.0.1 is already in use: choose another with --port, or omit it")


def test_up_detach_then_down_leaves_no_process_and_no_files(tmp_path: Path) -> None:
    up = run_module("localcloud", "up", "--detach", state_dir=tmp_path)
    assert up.returncode == 0, up.stderr
    state = json.loads((tmp_path / "local" / "cloud.json").read_text())
    outputs = StackOutputs.from_dict(json.loads((tmp_path / "local" / "outputs.json").read_text()))
    assert outputs.endpoint_url == f"http://127.0.0.1:{state['port']}"
    ministack = psutil.Process(state["pid"])
    tree = [ministack, *ministack.children(recursive=True)]
    assert len(tree) >= 1 + len(outputs.functions)  # MiniStack and a warm worker per function

    assert run_module("localcloud", "status", state_dir=tmp_path).returncode == 0
    down = run_module("localcloud", "down", state_dir=tmp_path)
    assert down.returncode == 0 and f"pid {state['pid']}" in down.stdout
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert sorted(p.name for p in (tmp_path / "local").iterdir()) == []
    assert run_module("localcloud", "status", state_dir=tmp_path).returncode == 1


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
    status, _ = post_json(local_cloud.api_url + local_cloud.functions["arm64"].route,
                          json.dumps({"run_id": new_run_id(), "seq": 0, "workload": "noop", "size": 0}))
    assert status == 200
