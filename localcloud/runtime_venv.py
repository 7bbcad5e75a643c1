"""MiniStack's own virtualenv: the emulator plus the handlers' requirements (and the user's function's, with
``archbench:function``), apart from the project's ``.venv``.

MiniStack pins its own botocore and runs every function with its own interpreter, so this venv plays the role of
the Lambda runtime and its layer; it lives at ``core.paths.ministack_venv_dir()``.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from core import PROJECT_ROOT, ministack_venv_dir
from localcloud.errors import LocalCloudError

MINISTACK_REQUIREMENT = "ministack>=1.5.33"
REQUIREMENTS_FILE = PROJECT_ROOT / "handlers" / "requirements.txt"
_STAMP = ".archbench-installed"


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _wanted_stamp() -> str:
    """What the venv must hold: MiniStack's requirement and the hash of the handlers' requirements."""
    digest = hashlib.sha256(REQUIREMENTS_FILE.read_bytes()).hexdigest() if REQUIREMENTS_FILE.exists() else "none"
    return f"{MINISTACK_REQUIREMENT}\nhandlers/requirements.txt sha256 {digest}\n"


def ensure_venv(progress: Callable[[str], None] = lambda _: None, user_requirements: Path | None = None) -> Path:
    """Create or refresh the venv when missing or when the handlers' requirements changed, then install the user's
    function's requirements (archbench:function) if these have not been yet; return its python."""
    venv = ministack_venv_dir()
    python = venv_python(venv)
    stamp = venv / _STAMP
    wanted = _wanted_stamp()
    if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
        if not python.exists():
            progress(f"creating MiniStack's virtualenv at {venv} (first use, ~20 s)")
            _run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
        progress("installing ministack and handlers/requirements.txt into it")
        _pip(python, [MINISTACK_REQUIREMENT])
        if REQUIREMENTS_FILE.exists():
            _pip(python, ["-r", str(REQUIREMENTS_FILE), "-c", str(_botocore_constraint(python))])
        stamp.write_text(wanted)
    if user_requirements is not None:
        _ensure_user_requirements(python, user_requirements, progress)
    return python


def _ensure_user_requirements(python: Path, requirements: Path, progress: Callable[[str], None]) -> None:
    """Install the user's requirements once per content: a stamp named by their hash, beside the venv's own (so a
    stack without archbench:function does not reinstall MiniStack, nor one with it the next time)."""
    stamp = ministack_venv_dir() / f"{_STAMP}-user-{hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]}"
    if stamp.exists():
        return
    progress(f"installing {requirements} into MiniStack's virtualenv")
    _pip(python, ["-r", str(requirements), "-c", str(_botocore_constraint(python))])
    stamp.write_text(f"{requirements}\n")


def _botocore_constraint(python: Path) -> Path:
    """botocore pinned to what MiniStack installed: neither the handlers' nor the user's requirements may move it."""
    constraint = ministack_venv_dir() / "botocore-constraint.txt"
    constraint.write_text(f"botocore=={_installed_version(python, 'botocore')}\n")
    return constraint


def venv_runtime() -> str | None:
    """``python3.11``: the interpreter MiniStack runs every function with, whatever its configured runtime."""
    try:
        config = (ministack_venv_dir() / "pyvenv.cfg").read_text()
    except OSError:
        return None
    match = re.search(r"^version\s*=\s*(\d+)\.(\d+)", config, re.MULTILINE)
    return f"python{match[1]}.{match[2]}" if match else None


def _installed_version(python: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalCloudError(f"cannot read {package}'s version in MiniStack's venv: {result.stderr.strip()}")
    return result.stdout.strip()


def _pip(python: Path, args: list[str]) -> None:
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
         f"pip install {' '.join(args)}")


def _run(command: list[str], label: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip() and "WARNING" not in line]
        reason = lines[-1] if lines else f"exit {result.returncode}"
        raise LocalCloudError(f"{label} failed: {reason}")
