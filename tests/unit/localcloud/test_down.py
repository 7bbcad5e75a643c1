"""``localcloud down`` says what it really did: a recorded MiniStack that had already died was not "stopped"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.commands import run_module


def test_down_of_a_dead_ministack_says_it_was_not_running_and_removes_its_files(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: the pid no longer runs (and a recycled pid would have another create time)
    local = tmp_path / "local"
    tmpdir, log = local / "ministack-4566", local / "ministack.log"
    tmpdir.mkdir(parents=True)
    log.write_text("last words\n")
    (local / "outputs.json").write_text("{}")
    (local / "cloud.json").write_text(json.dumps({
        "endpoint_url": "http://127.0.0.1:4566", "pid": dead.pid, "port": 4566, "tmpdir": str(tmpdir),
        "log_path": str(log), "created": 1.0}))
    result = run_module("localcloud", "down", state_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"MiniStack (pid {dead.pid}) on http://127.0.0.1:4566 was not running; "
                                     "removed its files")
    assert "stopped" not in result.stdout
    assert not tmpdir.exists() and not log.exists() and not (local / "cloud.json").exists()
    assert not (local / "outputs.json").exists()
