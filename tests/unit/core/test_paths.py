"""Every place a tool keeps files has one environment override, and a default inside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import PROJECT_ROOT, local_outputs_path, ministack_venv_dir, reports_dir, runs_dir, state_dir

RESOLVERS = [(state_dir, "ARCHBENCH_STATE_DIR", ".archbench"), (runs_dir, "ARCHBENCH_RUNS_DIR", "runs"),
             (reports_dir, "ARCHBENCH_REPORTS_DIR", "reports"),
             (ministack_venv_dir, "ARCHBENCH_MINISTACK_VENV", ".archbench/ministack-venv")]


@pytest.mark.parametrize(("resolve", "variable", "default"), RESOLVERS)
def test_the_variable_wins_and_empty_means_the_default(resolve, variable: str, default: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, str(tmp_path))
    assert resolve() == tmp_path
    monkeypatch.setenv(variable, "")
    assert resolve() == PROJECT_ROOT / default
    monkeypatch.delenv(variable)
    assert resolve() == PROJECT_ROOT / default


def test_the_local_outputs_file_follows_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path))
    assert local_outputs_path() == tmp_path / "local" / "outputs.json"


def test_the_ministack_venv_does_not_move_with_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test sessions get their own state dir but share MiniStack's venv (installed once, ~30 s)."""
    monkeypatch.delenv("ARCHBENCH_MINISTACK_VENV", raising=False)
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path))
    assert not ministack_venv_dir().is_relative_to(tmp_path)
