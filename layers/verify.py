"""Same answers on both CPUs: run every workload with each architecture's layer and compare the digests.

The layer under test runs under its own architecture's CPython (qemu-user when foreign to this host), the
reference layer (the other architecture) natively, both from Debian roots of the same suite, so Python and every
library version are the same and only the CPU differs. Equal digests for every workload is success.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from core import LINUX_MACHINE, OTHER_ARCH, PROJECT_ROOT, state_dir
from layers.build import Layer, build_layer
from layers.debian import DEFAULT_MIRROR, DebianPython, ensure_root, suite_for
from layers.errors import LayerError, progress
from layers.probe import EVENTS_ENV
from stack import CODE_DIR, FunctionSettings

PROBE = Path(__file__).with_name("probe.py")
PROBE_TIMEOUT_S = 600


@dataclass(frozen=True)
class ProbeRun:
    arch: str
    emulated: bool
    seconds: float
    results: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Verification:
    arch: str
    reference: ProbeRun
    tested: ProbeRun
    seconds: float

    def rows(self) -> list[tuple[str, int, str, str, bool]]:
        """(workload, size, tested digest, reference digest, equal) for every workload either side ran."""
        rows = []
        for name in {**self.reference.results, **self.tested.results}:
            tested = self.tested.results.get(name, {})
            reference = self.reference.results.get(name, {})
            digest = tested.get("digest")
            rows.append((name, tested.get("size", reference.get("size", 0)), digest or "-",
                         reference.get("digest") or "-", digest is not None and digest == reference.get("digest")))
        return rows

    def problem(self) -> str | None:
        """One line naming what failed or differs, or ``None`` when every digest is equal."""
        for run in (self.tested, self.reference):
            failed = [name for name, result in run.results.items() if result.get("error")]
            if failed:
                return f"{run.arch}: workloads failed: {', '.join(failed)}"
        differ = [name for name, _size, _tested, _reference, equal in self.rows() if not equal]
        if differ:
            return f"{self.arch} and {self.reference.arch} digests differ for: {', '.join(differ)}"
        return None


class UserRun(NamedTuple):
    """archbench:function and its sample events: the probe runs the user's handler on them, not the workloads."""

    function: FunctionSettings
    events: tuple[Any, ...]


def verify(arch: str, python_version: str, mirror: str = DEFAULT_MIRROR, timeout: int = PROBE_TIMEOUT_S,
           user: UserRun | None = None) -> Verification:
    """Build both layers and roots (cached), run the probe under both; ``problem()`` tells the verdict."""
    started = time.monotonic()
    suite_for(python_version)  # fail before any download if no Debian release has this Python
    other = OTHER_ARCH[arch]
    requirements = user.function.requirements_path if user else None
    layers = {a: build_layer(a, python_version, user_requirements=requirements) for a in (arch, other)}
    with ThreadPoolExecutor(max_workers=2) as pool:  # two downloads and extractions: ~half the time together
        futures = {a: pool.submit(ensure_root, a, python_version, mirror) for a in (arch, other)}
        pythons = {a: future.result() for a, future in futures.items()}
    native = next(python for python in pythons.values() if not python.emulated)
    for a, python in pythons.items():
        if python.emulated:
            sources = [python.stdlib, layers[a].tree, PROJECT_ROOT / CODE_DIR,
                       *([user.function.code_path] if user else [])]
            precompile(native, sources, pycache_dir(a), timeout)
    runs = {a: run_probe(pythons[a], layers[a], timeout, user) for a in (other, arch)}
    return Verification(arch, reference=runs[other], tested=runs[arch], seconds=time.monotonic() - started)


def pycache_dir(arch: str) -> Path:
    """Byte-code of ``arch``'s runs, outside the layer and the checkout (``PYTHONPYCACHEPREFIX``)."""
    return state_dir() / "pycache" / arch


def precompile(native: DebianPython, sources: list[Path], prefix: Path, timeout: int) -> None:
    """Compile the sources to byte-code with the native Python, for an emulated run of the same version.

    Byte-code is the same on every CPU; compiling the standard library, numpy and pandas under qemu took ~40 s of
    the ~50 s emulated run (``debootstrap --foreign`` never runs the packages' own byte-compiling). Files already
    compiled are skipped, so this is quick once done.
    """
    progress(f"{native.arch}: compiling byte-code for the emulated run into {prefix}")
    argv, extra_env = native.command()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPYCACHEPREFIX": str(prefix), **extra_env}
    # One process: compileall's workers would start the root's python without its loader.
    command = [*argv, "-m", "compileall", "-q", *map(str, sources)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LayerError(f"compiling the layer's byte-code did not finish in {timeout} s") from None
    if completed.returncode != 0:  # only slower: the emulated run compiles what is missing itself
        tail = [line for line in (completed.stdout + completed.stderr).splitlines() if line.strip()][-1:]
        progress(f"some byte-code was not precompiled: {(tail or ['no output'])[0]}")


def run_probe(python: DebianPython, layer: Layer, timeout: int, user: UserRun | None = None) -> ProbeRun:
    """Every workload (or the user's handler on every sample event) once through the handler under ``python``
    with ``layer`` on the path."""
    argv, extra_env = python.command()
    how = "under qemu" if python.emulated else "natively"
    what = "every sample event" if user else "every workload"
    progress(f"{python.arch}: running {what} {how} with python{python.python_version} and its layer")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{layer.tree}{os.pathsep}{PROJECT_ROOT}",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPYCACHEPREFIX": str(pycache_dir(python.arch)),
        "ARCHBENCH_ARCHITECTURE": python.arch,
        **extra_env,
    }
    if user:
        events = state_dir() / "verify-events.json"
        events.parent.mkdir(parents=True, exist_ok=True)
        events.write_text(json.dumps(list(user.events)))
        env.update(user.function.function_environment())
        env.update({"PYTHONPATH": f"{env['PYTHONPATH']}{os.pathsep}{user.function.code_path}", EVENTS_ENV: str(events)})
    started = time.monotonic()
    try:
        completed = subprocess.run([*argv, str(PROBE)], capture_output=True, text=True, env=env, timeout=timeout,
                                   cwd=PROJECT_ROOT, check=False)
    except subprocess.TimeoutExpired:
        raise LayerError(f"{python.arch}: the workloads did not finish in {timeout} s ({how})") from None
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        tail = [line for line in completed.stderr.splitlines() if line.strip()][-1:] or ["no output"]
        raise LayerError(f"{python.arch}: the probe failed (exit {completed.returncode}) {how}: {tail[0]}")
    lines = completed.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise LayerError(f"{python.arch}: the probe printed no result {how}") from None
    _check_provenance(python, layer, report)
    progress(f"{python.arch}: {len(report['results'])} workloads in {seconds:.1f} s on {report['machine']} "
             f"python {report['python']}")
    return ProbeRun(python.arch, python.emulated, round(seconds, 1), report["results"])


def _check_provenance(python: DebianPython, layer: Layer, report: dict[str, Any]) -> None:
    """The code really ran on ``arch``'s CPU, with the runtime's Python, importing the layer's packages."""
    if report["machine"] != LINUX_MACHINE[python.arch]:
        raise LayerError(f"{python.arch}: the probe ran on {report['machine']}, not {LINUX_MACHINE[python.arch]}")
    if not report["python"].startswith(f"{python.python_version}."):
        raise LayerError(f"{python.arch}: the probe ran Python {report['python']}, not {python.python_version}")
    outside = [name for name, file in report["modules"].items()
               if file is not None and not Path(file).is_relative_to(layer.tree)]
    if outside:
        raise LayerError(f"{python.arch}: {', '.join(outside)} imported from outside the layer")
