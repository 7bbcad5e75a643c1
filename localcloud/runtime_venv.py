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


def _wanted_stamp(user_requirements: Path | None) -> str:
    """What the venv must hold: MiniStack's requirement and the hashes of the handlers' and the user's
    requirements."""
    digest = hashlib.sha256(REQUIREMENTS_FILE.read_bytes()).hexdigest() if REQUIREMENTS_FILE.exists() else "none"
    stamp = f"{MINISTACK_REQUIREMENT}\nhandlers/requirements.txt sha256 {digest}\n"
    if user_requirements is not None:
        stamp += f"{user_requirements} sha256 {hashlib.sha256(user_requirements.read_bytes()).hexdigest()}\n"
    return stamp


def ensure_venv(progress: Callable[[str], None] = lambda _: None, user_requirements: Path | None = None) -> Path:
    """Create or refresh the venv when missing or when the handlers' or the user's requirements (archbench:function)
    changed; return its python."""
    venv = ministack_venv_dir()
    python = venv_python(venv)
    stamp = venv / _STAMP
    wanted = _wanted_stamp(user_requirements)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        progress(f"creating MiniStack's virtualenv at {venv} (first use, ~20 s)")
        _run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
    progress("installing ministack and handlers/requirements.txt into it")
    _pip(python, [MINISTACK_REQUIREMENT])
    if REQUIREMENTS_FILE.exists():
        # Constrain botocore to what MiniStack installed: the handlers' requirements must never upgrade it.
        constraint = venv / "botocore-constraint.txt"
        constraint.write_text(f"botocore=={_installed_version(python, 'botocore')}\n")
        _pip(python, ["-r", str(REQUIREMENTS_FILE), "-c", str(constraint)])
    if user_requirements is not None:
        progress(f"installing {user_requirements} into it")
        _pip(python, ["-r", str(user_requirements)])
    stamp.write_text(wanted)
    return python


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
