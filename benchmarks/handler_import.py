"""What importing the handler adds to a cold start: `import handlers.app` in fresh interpreters against a bare start.

    .venv/bin/python benchmarks/handler_import.py [--runs 20]

Each round starts, in turn, `python -c pass` (the bare start), `python -c "import handlers.app"` and, when the dev
dependency is installed, `python -c "import <what handlers/metrics.py imported before>"` (aws-embedded-metrics'
serializer: the former cost, for reference), each timed from outside as a whole process (start to exit), after
one warm-up round. Printed: min and median wall ms of each, the median added to the bare start, and the median of
the per-round ratios (a drifting machine slows both commands of a round alike). Then the import alone, timed inside
the interpreter (`perf_counter` around the import). Target: handlers.app adds <= 30 ms. Figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 30.0
BARE = "pass"
HANDLER = "import handlers.app"
LIBRARY = "import aws_embedded_metrics.serializers.log_serializer"  # handlers/metrics.py's import until issue 16
INSIDE = "import time; t = time.perf_counter(); {}; print((time.perf_counter() - t) * 1000.0)"


def run_ms(code: str) -> float:
    """Wall ms of one fresh interpreter running ``code``, start to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000.0


def inside_ms(statement: str) -> float:
    """The import alone, as the fresh interpreter itself times it."""
    done = subprocess.run([sys.executable, "-c", INSIDE.format(statement)], cwd=ROOT, env=_env(), check=True,
                          capture_output=True, text=True)
    return float(done.stdout)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="rounds after the warm-up (default 20)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    commands = {"bare start (python -c pass)": BARE, "import handlers.app": HANDLER}
    if find_spec("aws_embedded_metrics") is not None:
        commands["import aws-embedded-metrics' serializer (before)"] = LIBRARY
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(args.runs + 1):  # round 0 warms the file cache and is dropped
        for name, code in commands.items():
            elapsed = run_ms(code)
            if round_number:
                samples[name].append(elapsed)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} CPUs, load {load:.2f}, "
          f"{args.runs} rounds")
    bare = samples["bare start (python -c pass)"]
    print(f"   {'fresh interpreter, start to exit (wall ms)':50} {'min':>7} {'median':>7} {'added':>7} {'ratio':>6}")
    for name, values in samples.items():
        added = statistics.median(v - b for v, b in zip(values, bare, strict=True))
        ratio = statistics.median(v / b for v, b in zip(values, bare, strict=True))
        print(f"   {name:50} {min(values):7.1f} {statistics.median(values):7.1f} {added:7.1f} {ratio:6.2f}")
    inside = [inside_ms(HANDLER) for _ in range(args.runs)]
    print(f"   import handlers.app timed inside the interpreter: min {min(inside):.1f}, "
          f"median {statistics.median(inside):.1f} ms")
    print(f"   target: handlers.app adds <= {TARGET_MS:.0f} ms (the 'added' column: median of round-by-round "
          "differences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
