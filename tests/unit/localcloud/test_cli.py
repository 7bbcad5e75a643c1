"""The ``python -m localcloud`` command line: help, settings from a Pulumi file, clean errors, up/down by pid."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from localcloud.deploy import code_zip
from stack import Settings, SettingsError
from tests.support.commands import run_module


@pytest.mark.parametrize("command", [[], ["up"], ["down"], ["status"]])
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = run_module("localcloud", *command, "--help", state_dir=tmp_path)
    assert result.returncode == 0 and "usage: python -m localcloud" in result.stdout


def test_status_and_down_without_a_cloud(tmp_path: Path) -> None:
    status = run_module("localcloud", "status", state_dir=tmp_path)
    assert status.returncode == 1 and "localcloud up" in status.stdout
    down = run_module("localcloud", "down", state_dir=tmp_path)
    assert down.returncode == 0 and down.stdout.strip() == "no local cloud is running"


def test_a_corrupt_state_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "cloud.json").write_text("{not json")
    result = run_module("localcloud", "status", state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("localcloud: error: unreadable local cloud state")
    assert "Traceback" not in result.stderr


def test_settings_come_from_the_archbench_keys_of_a_pulumi_file(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  aws:region: eu-west-1\n  archbench:memorySizes: [512, 1024]\n"
                      "  archbench:runtimes: [python3.12]\n  archbench:batchSize: 4\n")
    settings = Settings.from_pulumi_yaml(config)
    assert settings == Settings(memory_sizes=(512, 1024), runtimes=("python3.12",), batch_size=4)
    assert [v.id for v in settings.variants] == [
        "py312-512-arm64", "py312-512-x86_64", "py312-512-x86_64-twin",
        "py312-1024-arm64", "py312-1024-x86_64", "py312-1024-x86_64-twin"]
    assert Settings.from_pulumi_yaml(None) == Settings()
    config.write_text("config:\n  archbench:memorySizes: lots\n")
    with pytest.raises(SettingsError, match="memorySizes"):
        Settings.from_pulumi_yaml(config)


def test_a_bad_config_value_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  archbench:batchSize: 0\n")
    result = run_module("localcloud", "up", "--config", str(config), state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "localcloud: error: archbench:batchSize must be between 1 and 10000, got 0"]


def test_a_renamed_config_key_is_one_line_naming_its_replacement(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  archbench:memoryMb: 512\n")
    result = run_module("localcloud", "up", "--config", str(config), state_dir=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("localcloud: error: archbench:memoryMb was replaced by archbench:memorySizes")


def test_an_endpoint_that_is_not_a_url_is_one_line_and_a_usage_error(tmp_path: Path) -> None:
    result = run_module("localcloud", "up", "--endpoint", "localhost:4566", state_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "localcloud: error: --endpoint must be an http(s) URL such as http://127.0.0.1:4566, got 'localhost:4566'"]


def test_unparsable_yaml_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config: [1\n")
    result = run_module("localcloud", "up", "--config", str(config), state_dir=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"localcloud: error: cannot read {config}: ")


def test_the_code_zip_has_handlers_at_its_root_and_is_reproducible() -> None:
    archive = zipfile.ZipFile(BytesIO(code_zip()))
    names = archive.namelist()
    assert "handlers/contract.py" in names and "handlers/__init__.py" in names
    assert all(name.startswith("handlers/") and "__pycache__" not in name for name in names)
    assert code_zip() == code_zip()
