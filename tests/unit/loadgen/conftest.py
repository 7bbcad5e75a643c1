"""Every loadgen test writes its runs and state under its own temp dir, with fake credentials and no terminal."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.aws_env import isolate_aws_credentials
from tests.unit.loadgen.fake_api import serving


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path / "state"))
    isolate_aws_credentials(monkeypatch, tmp_path, access_key="AKIDEXAMPLE")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


@pytest.fixture
def api() -> Iterator[str]:
    """The base URL of a local HTTP server standing in for the API (``fake_api.Recorder``)."""
    with serving() as base:
        yield base


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws_credentials(monkeypatch, tmp_path)
