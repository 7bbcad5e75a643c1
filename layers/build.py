"""Build one architecture's dependency layer from ``handlers/requirements.txt``, or take it from the cache.

``pip install --target`` with the runtime's Python version and the architecture's manylinux platforms, binary
wheels only; then prune, check every ELF file's machine, and zip ``python/`` deterministically (fixed timestamps
and modes, sorted entries) so an unchanged layer is byte-identical and Pulumi sees no change. The cache entry is
``state_dir()/layers/<arch>-py<X.Y>-<key>/`` holding ``layer.zip``, the unzipped ``python/`` tree (the qemu
verification runs from it) and ``manifest.json`` (versions, sizes before and after pruning, build time).
The key hashes requirements + runtime + architecture + this recipe: lower bounds in the requirements are resolved
once, and a newer release on PyPI is picked up only by ``--rebuild``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import LINUX_MACHINE, PROJECT_ROOT, state_dir, write_deterministic_zip
from layers.budget import check_budgets, function_bytes, mib, package_sizes
from layers.elf import MACHINE_OF_ARCH, machine_name, wrong_machine_files
from layers.errors import LayerError, progress
from layers.prune import prune, tree_bytes
from stack import CODE_DIR

REQUIREMENTS = PROJECT_ROOT / CODE_DIR / "requirements.txt"
NO_MATCH = "Could not find a version that satisfies the requirement"  # pip's words for a package with no wheel here
RECIPE = "1"  # part of the cache key: bump when the pip flags or the prune rules change
PIP_TIMEOUT_S = 900


@dataclass(frozen=True)
class Layer:
    """A built layer in the cache."""

    arch: str
    python_version: str
    directory: Path
    manifest: dict[str, Any]

    @property
    def zip_path(self) -> Path:
        return self.directory / "layer.zip"

    @property
    def tree(self) -> Path:
        """The unzipped ``python/`` folder (what Lambda mounts at ``/opt/python``)."""
        return self.directory / "python"

    @property
    def label(self) -> str:
        return layer_label(self.arch, self.python_version)

    def check_budgets(self) -> None:
        """Against the current function package: the code may have grown since the layer was cached."""
        check_budgets(self.label, self.manifest["zipped_bytes"], self.manifest["unzipped_bytes"],
                      function_bytes(PROJECT_ROOT), self.manifest["package_bytes"])


def layer_label(arch: str, python_version: str) -> str:
    """``arm64/python3.13``: how progress lines and errors name a layer."""
    return f"{arch}/python{python_version}"


def layers_dir() -> Path:
    return state_dir() / "layers"


def platform_tags(arch: str) -> tuple[str, ...]:
    machine = LINUX_MACHINE[arch]
    return f"manylinux_2_28_{machine}", f"manylinux2014_{machine}"


def cache_key(requirements: bytes, python_version: str, arch: str) -> str:
    digest = hashlib.sha256()
    for part in (RECIPE, python_version, arch, *platform_tags(arch)):
        digest.update(part.encode() + b"\0")
    digest.update(requirements)
    return digest.hexdigest()[:16]


def build_layer(arch: str, python_version: str, requirements: Path = REQUIREMENTS, rebuild: bool = False,
                user_requirements: Path | None = None) -> Layer:
    """The cached layer for these inputs, built first if absent (or if ``rebuild``); ``user_requirements``
    (archbench:function's) are installed into it too, and are part of its key."""
    if arch not in LINUX_MACHINE:
        raise LayerError(f"unknown architecture {arch!r}: expected one of {', '.join(LINUX_MACHINE)}")
    files = (requirements,) if user_requirements is None else (requirements, user_requirements)
    try:
        requirements_bytes = b"\n".join(path.read_bytes() for path in files)
    except OSError as exc:
        raise LayerError(f"cannot read the layer's requirements {exc.filename}: {exc.strerror}") from None
    key = cache_key(requirements_bytes, python_version, arch)
    entry = layers_dir() / f"{arch}-py{python_version}-{key}"
    label = layer_label(arch, python_version)
    manifest_path = entry / "manifest.json"
    if manifest_path.exists() and not rebuild:
        manifest = json.loads(manifest_path.read_text())
        progress(f"{label}: cached ({mib(manifest['zipped_bytes'])} zipped, "
                 f"{mib(manifest['unzipped_bytes'])} unzipped) in {entry}")
        return Layer(arch, python_version, entry, manifest)

    layers_dir().mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".build-{arch}-", dir=layers_dir()))
    try:
        manifest = _build(work, arch, python_version, files, key, label)
        _replace(work, entry)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_stale(entry, arch, python_version)
    return Layer(arch, python_version, entry, manifest)


def _build(work: Path, arch: str, python_version: str, requirements: tuple[Path, ...], key: str,
           label: str) -> dict[str, Any]:
    started = time.monotonic()
    tree = work / "python"
    names = " -r ".join(str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
                        for path in requirements)
    progress(f"{label}: pip install -r {names} for cp{python_version.replace('.', '')} "
             f"{' / '.join(platform_tags(arch))}")
    _pip_install(tree, arch, python_version, requirements)
    before = tree_bytes(tree)
    removed = prune(tree)
    unzipped = tree_bytes(tree)
    progress(f"{label}: pruned {mib(before - unzipped)} of {mib(before)} ("
             + ", ".join(f"{name} {mib(size)}" for name, size in sorted(removed.items(), key=lambda i: -i[1]))
             + ")")
    elf_count = _check_machines(tree, arch, label)
    progress(f"{label}: {elf_count} ELF files, all {machine_name(MACHINE_OF_ARCH[arch])}; zipping")
    zipped = write_zip(tree, work / "layer.zip")
    manifest = {
        "key": key,
        "architecture": arch,
        "python_version": python_version,
        "platforms": list(platform_tags(arch)),
        "requirements": "\n".join(path.read_text() for path in requirements),
        "packages": _installed_versions(tree),
        "unzipped_bytes_before_prune": before,
        "pruned_bytes": removed,
        "unzipped_bytes": unzipped,
        "zipped_bytes": zipped,
        "package_bytes": package_sizes(tree),
        "elf_files": elf_count,
        "build_seconds": round(time.monotonic() - started, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    progress(f"{label}: built in {manifest['build_seconds']} s: {mib(zipped)} zipped, {mib(unzipped)} unzipped")
    return manifest


def _pip_install(tree: Path, arch: str, python_version: str, requirements: tuple[Path, ...]) -> None:
    """The project venv's pip, resolving for the target runtime and platform, never for this machine; one
    resolution for every requirements file, so they cannot pull in two versions of one package."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
               "--no-warn-conflicts", "--no-compile", "--only-binary=:all:", "--implementation", "cp",
               "--python-version", python_version, "--target", str(tree)]
    for path in requirements:
        command += ["-r", str(path)]
    for tag in platform_tags(arch):
        command += ["--platform", tag]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise LayerError(f"pip install for the {arch} layer did not finish in {PIP_TIMEOUT_S} s") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR:")] or lines[-1:] or ["no output"]
        hint = (f" (no wheel for cp{python_version.replace('.', '')} on {' / '.join(platform_tags(arch))}: every "
                "requirement needs a binary wheel for each architecture)" if NO_MATCH in errors[0] else "")
        raise LayerError(f"pip install for the {arch} layer failed: {errors[0]}{hint}")


def _check_machines(tree: Path, arch: str, label: str) -> int:
    count, wrong = wrong_machine_files(tree, arch)
    if wrong:
        shown = ", ".join(f"{path.relative_to(tree)} ({machine_name(machine)})" for path, machine in wrong[:3])
        raise LayerError(f"{label}: {len(wrong)} of {count} ELF files are not {machine_name(MACHINE_OF_ARCH[arch])}: "
                         f"{shown}")
    return count


def write_zip(tree: Path, destination: Path) -> int:
    """Zip ``tree`` as ``python/...`` (``core.files.write_deterministic_zip``); returns the zip's size."""
    files = ((path.relative_to(tree.parent).as_posix(), path) for path in tree.rglob("*") if path.is_file())
    write_deterministic_zip(destination, files)
    return destination.stat().st_size


def _installed_versions(tree: Path) -> dict[str, str]:
    return {dist.metadata["Name"]: dist.version
            for dist in sorted(importlib.metadata.distributions(path=[str(tree)]),
                               key=lambda d: d.metadata["Name"].lower())}


def _replace(work: Path, entry: Path) -> None:
    """Move the finished build into place; a concurrent build of the same key that won the race is kept."""
    if entry.exists():
        retired = entry.with_name(f".retired-{entry.name}-{time.time_ns()}")
        entry.rename(retired)
        shutil.rmtree(retired, ignore_errors=True)
    try:
        work.rename(entry)
    except OSError:
        if not (entry / "manifest.json").exists():
            raise


def _remove_stale(entry: Path, arch: str, python_version: str) -> None:
    """Older builds of the same architecture and runtime (other requirements or recipe) are never used again."""
    for other in entry.parent.glob(f"{arch}-py{python_version}-*"):
        if other != entry:
            shutil.rmtree(other, ignore_errors=True)
