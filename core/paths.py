"""Where the checkout is and where every tool keeps its files, each overridable by one environment variable.

One resolver for all of them, so a test session (or a user) can move state, runs and reports out of the checkout
with the same kind of setting.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def env_path(variable: str, default: Path) -> Path:
    """``$variable`` when it is set and not empty, else ``default``."""
    return Path(os.environ.get(variable) or default)


def state_dir() -> Path:
    """Local state: the local cloud, layer builds, Debian roots (``$ARCHBENCH_STATE_DIR`` or ``.archbench/``)."""
    return env_path("ARCHBENCH_STATE_DIR", PROJECT_ROOT / ".archbench")


def local_outputs_path() -> Path:
    """Written by ``localcloud up``, removed by ``localcloud down``: its presence means a local cloud runs."""
    return state_dir() / "local" / "outputs.json"


def runs_dir() -> Path:
    """Run manifests, one folder per run (``$ARCHBENCH_RUNS_DIR`` or ``runs/``)."""
    return env_path("ARCHBENCH_RUNS_DIR", PROJECT_ROOT / "runs")


def reports_dir() -> Path:
    """Comparison reports, one folder per run (``$ARCHBENCH_REPORTS_DIR`` or ``reports/``)."""
    return env_path("ARCHBENCH_REPORTS_DIR", PROJECT_ROOT / "reports")


def ministack_venv_dir() -> Path:
    """MiniStack's own virtualenv (``$ARCHBENCH_MINISTACK_VENV`` or ``.archbench/ministack-venv``).

    Not under ``state_dir()`` on purpose: test sessions with their own state dir reuse it instead of installing
    again.
    """
    return env_path("ARCHBENCH_MINISTACK_VENV", PROJECT_ROOT / ".archbench" / "ministack-venv")
