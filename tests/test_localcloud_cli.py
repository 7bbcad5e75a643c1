"""The ``python -m localcloud`` command line: help, settings from a Pulumi file, clean errors, up/down by pid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import psutil
import pytest

from components.outputs import PROJECT_ROOT, StackOutputs
from components.settings import Settings, SettingsError
from handlers.contract import new_run_id
from localcloud.__main__ import load_settings
from localcloud.deploy import code_zip
from localcloud.http import post_json


def _cli(*args: str, state_dir: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARCHBENCH_STATE_DIR": str(state_dir)}
    return subprocess.run([sys.executable, "-m", "localcloud", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout_s, check=False)


@pytest.mark.parametrize("command", [[], ["up"], ["down"], ["status"]])
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = _cli(*command, "--help", state_dir=tmp_path)
    assert result.returncode == 0 and "usage: python -m localcloud" in result.stdout


def test_status_and_down_without_a_cloud(tmp_path: Path) -> None:
    status = _cli("status", state_dir=tmp_path)
    assert status.returncode == 1 and "localcloud up" in status.stdout
    down = _cli("down", state_dir=tmp_path)
    assert down.returncode == 0 and down.stdout.strip() == "no local cloud is running"


def test_a_corrupt_state_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "cloud.json").write_text("{not json")
    result = _cli("status", state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("localcloud: error: unreadable local cloud state")
    assert "Traceback" not in result.stderr


def test_settings_come_from_the_archbench_keys_of_a_pulumi_file(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  aws:region: eu-west-1\n  archbench:memoryMb: '512'\n  archbench:batchSize: 4\n")
    assert load_settings(config) == Settings(memory_mb=512, batch_size=4)
    assert load_settings(None) == Settings()
    config.write_text("config:\n  archbench:memoryMb: lots\n")
    with pytest.raises(SettingsError, match="memoryMb"):
        load_settings(config)


def test_a_bad_config_value_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  archbench:batchSize: 0\n")
    result = _cli("up", "--config", str(config), state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "localcloud: error: archbench:batchSize must be between 1 and 10000, got 0"]


def test_an_endpoint_that_is_not_a_url_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = _cli("up", "--endpoint", "localhost:4566", state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "localcloud: error: --endpoint must be an http(s) URL such as http://127.0.0.1:4566, got 'localhost:4566'"]


def test_unparsable_yaml_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config: [1\n")
    result = _cli("up", "--config", str(config), state_dir=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"localcloud: error: cannot read {config}: ")


def test_the_code_zip_has_handlers_at_its_root_and_is_reproducible() -> None:
    archive = zipfile.ZipFile(BytesIO(code_zip()))
    names = archive.namelist()
    assert "handlers/contract.py" in names and "handlers/__init__.py" in names
    assert all(name.startswith("handlers/") and "__pycache__" not in name for name in names)
    assert code_zip() == code_zip()


def test_up_on_a_port_in_use_is_one_line_and_exit_1(local_cloud: StackOutputs, tmp_path: Path) -> None:
    assert local_cloud.endpoint_url
    port = local_cloud.endpoint_url.rsplit(":", 1)[1]
    result = _cli("up", "--detach", "--port", port, state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"localcloud: error: port {port} on 127.0.0.1 is already in use: choose another with --port, or omit it")


@pytest.mark.ministack
def test_up_detach_then_down_leaves_no_process_and_no_files(tmp_path: Path) -> None:
    up = _cli("up", "--detach", state_dir=tmp_path)
    assert up.returncode == 0, up.stderr
    state = json.loads((tmp_path / "local" / "cloud.json").read_text())
    outputs = StackOutputs.from_dict(json.loads((tmp_path / "local" / "outputs.json").read_text()))
    assert outputs.endpoint_url == f"http://127.0.0.1:{state['port']}"
    ministack = psutil.Process(state["pid"])
    tree = [ministack, *ministack.children(recursive=True)]
    assert len(tree) >= 1 + len(outputs.functions)  # MiniStack and a warm worker per function

    assert _cli("status", state_dir=tmp_path).returncode == 0
    down = _cli("down", state_dir=tmp_path)
    assert down.returncode == 0 and f"pid {state['pid']}" in down.stdout
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert sorted(p.name for p in (tmp_path / "local").iterdir()) == []
    assert _cli("status", state_dir=tmp_path).returncode == 1


def test_up_on_an_external_endpoint_deploys_there_and_down_leaves_it_running(
        local_cloud: StackOutputs, local_cloud_settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.local.yaml"
    config.write_text(f"config:\n  archbench:timeoutSeconds: {local_cloud_settings.timeout_s}\n"
                      f"  archbench:dlqMaxReceives: {local_cloud_settings.dlq_max_receives}\n")
    assert load_settings(config) == local_cloud_settings  # so this deploy changes nothing in the session's cloud
    assert local_cloud.endpoint_url
    up = _cli("up", "--detach", "--endpoint", local_cloud.endpoint_url, "--config", str(config), state_dir=tmp_path)
    assert up.returncode == 0, up.stderr
    written = json.loads((tmp_path / "local" / "outputs.json").read_text())
    assert written == local_cloud.to_dict()
    down = _cli("down", state_dir=tmp_path)
    assert down.returncode == 0 and "not started by us" in down.stdout
    assert not (tmp_path / "local" / "outputs.json").exists()
    assert _cli("status", state_dir=tmp_path).returncode == 1
    status, _ = post_json(local_cloud.api_url + local_cloud.functions["arm64"].route,
                          json.dumps({"run_id": new_run_id(), "seq": 0, "workload": "noop", "size": 0}))
    assert status == 200
