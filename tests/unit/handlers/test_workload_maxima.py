"""Every workload really runs at its documented maximum size: the maximum is a promise loadgen and the handler
accept, so a size that passes validation must not fail in the workload (``sha256@262144`` once overflowed)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from core import PROJECT_ROOT
from handlers.validation import RUNTIME_BASELINE_MB, parse_work_request
from handlers.workloads import WORKLOADS
from handlers.workloads.cpu import _random_bytes

LAMBDA_MAX_MEMORY_MB = 10_240


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_the_maximum_size_fits_the_largest_function(name: str) -> None:
    workload = WORKLOADS[name]
    assert RUNTIME_BASELINE_MB + workload.peak_mb(workload.max_size) <= LAMBDA_MAX_MEMORY_MB
    parse_work_request({"run_id": "max", "seq": 0, "workload": name, "size": workload.max_size},
                       memory_mb=LAMBDA_MAX_MEMORY_MB)


@pytest.mark.parametrize("size_kib", [1, 1024, 1025, 3000])
def test_sha256_input_drawn_in_chunks_is_the_single_draw_of_before(size_kib: int) -> None:
    """Chunks of whole 32-bit words continue the Mersenne Twister stream: digests of every size are unchanged."""
    assert _random_bytes(size_kib, 5) == random.Random(5).randbytes(size_kib * 1024)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_every_workload_runs_once_at_its_maximum_size(name: str) -> None:
    """In a fresh interpreter, so each peak is its own: the run succeeds and stays within the memory estimate."""
    script = ("import json, sys; from handlers.environment import peak_rss_mb; from handlers.workloads import "
              "WORKLOADS\nw = WORKLOADS[sys.argv[1]]; w.run(w.min_size, 1); before = peak_rss_mb()\n"
              "digest = w.run(w.max_size, 1); print(json.dumps([digest, peak_rss_mb() - before]))")
    done = subprocess.run([sys.executable, "-c", script, name], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    digest, grown = json.loads(done.stdout)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert grown <= WORKLOADS[name].peak_mb(WORKLOADS[name].max_size), f"grew {grown:.0f} MB"
