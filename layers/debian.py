"""A Debian root per architecture holding the runtime's CPython, run in place without chroot or binfmt.

``debootstrap --foreign`` downloads a minimal root and extracts only its essential packages; the other .debs it
downloaded (python3 and its libraries) are extracted with ``dpkg-deb -x``. A foreign CPU's Python then runs as
``QEMU_LD_PREFIX=<root> qemu-<cpu>-static <root>/usr/bin/pythonX.Y``; the host's own as
``<root>'s ld.so --library-path <root's libs> <root>/usr/bin/pythonX.Y`` (the root's glibc is newer than the
host's, so its own loader must load it). Both roots are cached under ``state_dir()``, out of the repository.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core import arch_of_machine, state_dir
from layers.errors import LayerError, progress

DEFAULT_MIRROR = "http://deb.debian.org/debian"
# The Debian suite whose python3 is the runtime's minor version (no Debian release ships 3.12).
SUITE_OF_PYTHON = {"3.11": "bookworm", "3.13": "trixie"}
DEBIAN_ARCH = {"arm64": "arm64", "x86_64": "amd64"}
GNU_TRIPLET = {"arm64": "aarch64-linux-gnu", "x86_64": "x86_64-linux-gnu"}
LOADER = {"arm64": "ld-linux-aarch64.so.1", "x86_64": "ld-linux-x86-64.so.2"}
QEMU = {"arm64": "qemu-aarch64-static", "x86_64": "qemu-x86_64-static"}
# Lambda's arm64 is Graviton2, a Neoverse N1. qemu's default CPU ("max") adds SVE and pointer authentication:
# measured here ~10x slower to emulate, and OpenBLAS's SVE GEMM kernels returned wrong sums under qemu 7.2.
QEMU_CPU = {"arm64": "neoverse-n1"}
DEBOOTSTRAP_TIMEOUT_S = 900
EXTRACT_TIMEOUT_S = 120
_READY = ".archbench-ready"  # written last: a root without it is incomplete and is made again
INSTALL_HINT = "run scripts/ci-system-deps.sh as root (Debian packages qemu-user-static, debootstrap)"


def host_arch() -> str:
    machine = platform.machine()
    arch = arch_of_machine(machine)
    if arch is None:
        raise LayerError(f"unsupported host machine {machine!r}: expected x86_64 or aarch64")
    return arch


def suite_for(python_version: str) -> str:
    try:
        return SUITE_OF_PYTHON[python_version]
    except KeyError:
        raise LayerError(f"no Debian release ships Python {python_version} as python3: verification supports "
                         f"{', '.join(f'python{v}' for v in SUITE_OF_PYTHON)}") from None


@dataclass(frozen=True)
class DebianPython:
    """The runtime's CPython in a Debian root of ``arch``, and how to start it on this host."""

    arch: str
    root: Path
    python_version: str

    @property
    def executable(self) -> Path:
        return self.root / "usr" / "bin" / f"python{self.python_version}"

    @property
    def stdlib(self) -> Path:
        return self.root / "usr" / "lib" / f"python{self.python_version}"

    @property
    def emulated(self) -> bool:
        return self.arch != host_arch()

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The argv prefix that runs this Python, and the environment it needs."""
        if self.emulated:
            qemu = shutil.which(QEMU[self.arch])
            if qemu is None:
                raise LayerError(f"{QEMU[self.arch]} is not installed: {INSTALL_HINT}")
            env = {"QEMU_LD_PREFIX": str(self.root)}
            if self.arch in QEMU_CPU:
                env["QEMU_CPU"] = QEMU_CPU[self.arch]
            return [qemu, str(self.executable)], env
        libs = self.root / "usr" / "lib" / GNU_TRIPLET[self.arch]
        return [str(libs / LOADER[self.arch]), "--library-path", str(libs), str(self.executable)], {}


def root_dir(arch: str, suite: str) -> Path:
    return state_dir() / f"{arch}-root" / suite


def ensure_root(arch: str, python_version: str, mirror: str = DEFAULT_MIRROR) -> DebianPython:
    """The cached root for ``arch`` with the runtime's Python, made first if absent (~25 s, ~250 MB each)."""
    suite = suite_for(python_version)
    root = root_dir(arch, suite)
    python = DebianPython(arch, root, python_version)
    if (root / _READY).exists():
        return python
    for tool in ("debootstrap", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise LayerError(f"{tool} is not installed: {INSTALL_HINT}")
    if os.geteuid() != 0:
        raise LayerError(f"making the Debian {DEBIAN_ARCH[arch]} root needs root (debootstrap): run as root once; "
                         f"the root is then cached in {root}")
    partial = root.with_name(f".{suite}-partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    progress(f"{arch}: debootstrap --foreign {suite} ({DEBIAN_ARCH[arch]}, minbase + python3) into {root}")
    _run(["debootstrap", "--foreign", f"--arch={DEBIAN_ARCH[arch]}", "--variant=minbase", "--include=python3",
          suite, str(partial), mirror], DEBOOTSTRAP_TIMEOUT_S, f"debootstrap of Debian {suite} {arch}")
    archives = sorted((partial / "var" / "cache" / "apt" / "archives").glob("*.deb"))
    progress(f"{arch}: extracting {len(archives)} packages with dpkg-deb -x")
    for deb in archives:
        _run(["dpkg-deb", "-x", str(deb), str(partial)], EXTRACT_TIMEOUT_S, f"dpkg-deb -x {deb.name}")
        deb.unlink()
    if not DebianPython(arch, partial, python_version).executable.exists():
        raise LayerError(f"Debian {suite} {arch} root has no python{python_version} after extraction")
    (partial / _READY).write_text(f"{suite} {DEBIAN_ARCH[arch]} python{python_version}\n")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return python


def _run(command: list[str], timeout: int, what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LayerError(f"{what} did not finish in {timeout} s") from None
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith(("E:", "dpkg-deb: error"))] or lines[-1:]
        raise LayerError(f"{what} failed (exit {result.returncode}): {(errors or ['no output'])[0]}")
