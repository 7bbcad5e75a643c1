"""Running the project's commands as a user does: ``python -m <module>`` in a fresh interpreter from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core import PROJECT_ROOT


def run_module(module: str, *args: str, state_dir: Path | None = None,
               timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m module args…``; with ``state_dir``, local state (the local cloud's files) goes there."""
    env = dict(os.environ)
    if state_dir is not None:
        env["ARCHBENCH_STATE_DIR"] = str(state_dir)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout_s, check=False)
