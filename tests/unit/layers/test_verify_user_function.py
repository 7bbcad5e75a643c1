"""``layers verify --config … --events …``: the probe runs archbench:function's handler through the wrapper on each
sample event (here natively, with this venv's Pillow), the same digest every time; the command's options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import PROJECT_ROOT, read_events
from layers.__main__ import main
from layers.probe import EVENTS_ENV
from layers.verify import PROBE

pytest.importorskip("PIL")
EXAMPLE = PROJECT_ROOT / "examples" / "thumbnail"


def probe(events: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ARCHBENCH_"))}
    env.update(PYTHONPATH=f"{PROJECT_ROOT}{os.pathsep}{EXAMPLE}", ARCHBENCH_ARCHITECTURE="x86_64",
               ARCHBENCH_FUNCTION_HANDLER="thumbnail.handler", ARCHBENCH_FUNCTION_EVENT="sqs",
               **{EVENTS_ENV: str(events)})
    done = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    return json.loads(done.stdout.splitlines()[-1])["results"]


def test_the_probe_runs_the_users_handler_on_every_sample_event(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([event for event, _ in read_events(EXAMPLE / "events.jsonl")]))
    first, again = probe(events), probe(events)
    assert list(first) == ["event 1", "event 2"]
    assert all(result["error"] is None and len(result["digest"]) == 64 for result in first.values())
    assert first["event 1"]["digest"] != first["event 2"]["digest"]
    assert {name: r["digest"] for name, r in again.items()} == {name: r["digest"] for name, r in first.items()}


@pytest.mark.parametrize("args", [["--events", "examples/thumbnail/events.jsonl"],
                                  ["--config", "examples/thumbnail/Pulumi.thumbnail.yaml"]])
def test_verify_takes_config_and_events_together(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", *args]) == 2
    assert "verify --events needs --config with archbench:function" in capsys.readouterr().err
