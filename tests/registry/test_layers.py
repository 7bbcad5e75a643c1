"""Dependency layers: ELF reader, pruning, budgets, cache and zip (offline, from a local wheel), then the real
layers from PyPI for both architectures and the arm64 verification under qemu (marked ``registry``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core import PROJECT_ROOT, state_dir
from handlers.workloads import WORKLOADS
from layers import layer_zip
from layers.budget import UNZIPPED_LIMIT_BYTES, ZIP_LIMIT_BYTES
from layers.elf import EM_AARCH64, EM_X86_64
from stack import Settings

# Taken at collection, before any session fixture points ARCHBENCH_STATE_DIR elsewhere: the registry tests reuse
# the developer's cached layers and Debian roots (CI starts from a clean clone, so there they are built cold).
CACHED_STATE_DIR = state_dir()
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def cached_state(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(CACHED_STATE_DIR))
    return CACHED_STATE_DIR


EXPECTED_MACHINE = {"arm64": EM_AARCH64, "x86_64": EM_X86_64}


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_real_layer_fits_the_limits_has_only_its_machine_and_is_cached(arch: str, cached_state: Path) -> None:
    python_version = Settings().variants[0].python_version
    path = layer_zip(arch, python_version)  # raises if over budget

    assert path.stat().st_size <= ZIP_LIMIT_BYTES
    machines = {}
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        for info in infos:
            if ".so" in info.filename.rsplit("/", 1)[-1]:
                with archive.open(info) as member:
                    header = member.read(20)
                if header.startswith(b"\x7fELF"):
                    machines[info.filename] = int.from_bytes(header[18:20], "little")
    names = [info.filename for info in infos]
    assert all(name.startswith("python/") for name in names)
    assert any(name.startswith("python/numpy/") for name in names)
    assert any(name.startswith("python/pandas/") for name in names)
    assert not [n for n in names if "/tests/" in n or n.endswith((".pyi", ".pyc", ".h"))]
    assert len(machines) > 20 and set(machines.values()) == {EXPECTED_MACHINE[arch]}
    assert sum(info.file_size for info in infos) <= UNZIPPED_LIMIT_BYTES

    manifest = json.loads((path.parent / "manifest.json").read_text())
    assert manifest["python_version"] == python_version and manifest["architecture"] == arch
    mtime = path.stat().st_mtime_ns
    # The second build is a cache hit.
    assert layer_zip(arch, python_version) == path and path.stat().st_mtime_ns == mtime


VERIFY_TIMEOUT_S = 900  # cold in CI: two Debian roots, two layers, first emulated compile of numpy and pandas


@pytest.mark.slow
def test_arm64_layer_computes_the_same_digests_as_x86_64_under_qemu(cached_state: Path) -> None:
    missing = [tool for tool in ("qemu-aarch64-static", "debootstrap") if shutil.which(tool) is None]
    if missing and not IN_CI:
        pytest.skip(f"{' and '.join(missing)} not installed: run scripts/ci-system-deps.sh as root")
    command = [sys.executable, "-m", "layers", "verify", "--arch", "arm64", "--timeout", "600"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=VERIFY_TIMEOUT_S,
                            check=False, env={**os.environ, "ARCHBENCH_STATE_DIR": str(cached_state)})

    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split() for line in result.stdout.splitlines()[1:] if line and not line.startswith("OK:")]
    assert {row[0] for row in rows} == set(WORKLOADS)
    assert all(row[-1] == "yes" and row[2] == row[3] for row in rows)
    assert f"agree on all {len(WORKLOADS)} workloads" in result.stdout
    assert f"on aarch64 python {Settings().variants[0].python_version}." in result.stderr  # really ran on an arm64 CPU


@pytest.mark.slow
def test_the_example_functions_pillow_layers_agree_under_qemu_on_its_sample_events(cached_state: Path) -> None:
    """``archbench:function``'s own requirements (Pillow, a native wheel per architecture) built into both layers
    from PyPI, and the user's handler run on every sample event under qemu and natively: the same digests."""
    missing = [tool for tool in ("qemu-aarch64-static", "debootstrap") if shutil.which(tool) is None]
    if missing and not IN_CI:
        pytest.skip(f"{' and '.join(missing)} not installed: run scripts/ci-system-deps.sh as root")
    example = PROJECT_ROOT / "examples" / "thumbnail"
    command = [sys.executable, "-m", "layers", "verify", "--config", str(example / "Pulumi.thumbnail.yaml"),
               "--events", str(example / "events.jsonl"), "--timeout", "600"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=VERIFY_TIMEOUT_S,
                            check=False, env={**os.environ, "ARCHBENCH_STATE_DIR": str(cached_state)})

    assert result.returncode == 0, result.stderr[-2000:]
    assert "agree on all 2 sample events" in result.stdout + result.stderr
    built = [json.loads(path.read_text()) for path in (cached_state / "layers").glob("*/manifest.json")]
    with_pillow = {manifest["architecture"] for manifest in built if "pillow" in
                   {name.lower() for name in manifest["packages"]}}
    assert with_pillow == {"arm64", "x86_64"}
