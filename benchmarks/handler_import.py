"""What importing the handler adds to a cold start: `import handlers.app` in fresh interpreters against a bare start.

    .venv/bin/python benchmarks/handler_import.py [--runs 20]

Each round starts, in turn, `python -c pass` (the bare start), `python -c "import handlers.app"` from a copy of
`handlers/` in a temp dir twice — without a bytecode cache (as on Lambda: `/var/task` is read-only and the zip holds
no `.pyc`, so every cold start compiles the handler's source) and with one — and, when the dev dependency is
installed, `python -c "import <what handlers/metrics.py imported before>"` (aws-embedded-metrics' serializer: the
former cost, for reference); also archbench:function's wrapper, `import handlers.userfunction` around the stdlib's
`json.dumps` (a user module that costs nothing to import).
Each is timed from outside as a whole process (start to exit), after one warm-up
round. Printed: min and median wall ms of each, the median of the round-by-round differences to the bare start
(a drifting machine slows both commands of a round alike) and of the ratios. Then the import alone as the
interpreter times it. Target: handlers.app adds <= 30 ms. Figures only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 30.0
BARE = "pass"
HANDLER = "import handlers.app"
WRAPPER = "import handlers.userfunction"  # archbench:function's entry point, around a user module already loaded
LIBRARY = "import aws_embedded_metrics.serializers.log_serializer"  # handlers/metrics.py's import until issue 16
INSIDE = "import time; t = time.perf_counter(); {}; print((time.perf_counter() - t) * 1000.0)"


def run_ms(code: str, env: dict[str, str]) -> float:
    """Wall ms of one fresh interpreter running ``code``, start to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000.0


def inside_ms(statement: str, env: dict[str, str]) -> float:
    """The import alone, as the fresh interpreter itself times it."""
    done = subprocess.run([sys.executable, "-c", INSIDE.format(statement)], env=env, check=True,
                          capture_output=True, text=True)
    return float(done.stdout)


def handler_copy(parent: Path, cached: bool) -> dict[str, str]:
    """The environment that imports a fresh copy of ``handlers/`` (no ``__pycache__``), with or without writing and
    then reading its bytecode."""
    shutil.copytree(ROOT / "handlers", parent / "handlers", ignore=shutil.ignore_patterns("__pycache__"))
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONDONTWRITEBYTECODE",
                                                                          "PYTHONPYCACHEPREFIX"}}
    return {**env, "PYTHONPATH": str(parent)} if cached else {**env, "PYTHONPATH": str(parent),
                                                              "PYTHONDONTWRITEBYTECODE": "1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="rounds after the warm-up (default 20)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="handler-import-") as temp:
        lambda_like = handler_copy(Path(temp, "compiled"), cached=False)
        commands = {"bare start (python -c pass)": (BARE, dict(os.environ)),
                    "import handlers.app, no bytecode cache (Lambda)": (HANDLER, lambda_like),
                    "import handlers.app, bytecode cached": (HANDLER, handler_copy(Path(temp, "cached"), cached=True)),
                    "import handlers.userfunction, no bytecode cache": (
                        WRAPPER, {**lambda_like, "ARCHBENCH_FUNCTION_HANDLER": "json.dumps"})}
        if find_spec("aws_embedded_metrics") is not None:
            commands["import aws-embedded-metrics' serializer (before)"] = (LIBRARY, dict(os.environ))
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for round_number in range(args.runs + 1):  # round 0 warms the file cache (and writes the bytecode): dropped
            for name, (code, env) in commands.items():
                elapsed = run_ms(code, env)
                if round_number:
                    samples[name].append(elapsed)
        inside = [inside_ms(HANDLER, lambda_like) for _ in range(args.runs)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} CPUs, load {load:.2f}, "
          f"{args.runs} rounds")
    bare = samples["bare start (python -c pass)"]
    print(f"   {'fresh interpreter, start to exit (wall ms)':50} {'min':>7} {'median':>7} {'added':>7} {'ratio':>6}")
    for name, values in samples.items():
        added = statistics.median(v - b for v, b in zip(values, bare, strict=True))
        ratio = statistics.median(v / b for v, b in zip(values, bare, strict=True))
        print(f"   {name:50} {min(values):7.1f} {statistics.median(values):7.1f} {added:7.1f} {ratio:6.2f}")
    print(f"   import handlers.app (no bytecode cache) timed inside the interpreter: min {min(inside):.1f}, "
          f"median {statistics.median(inside):.1f} ms")
    print(f"   target: handlers.app adds <= {TARGET_MS:.0f} ms (the 'added' column: median of round-by-round "
          "differences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
