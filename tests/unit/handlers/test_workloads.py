"""The workload registry: bounds, correctness of each computation, and digests that do not depend on the CPU."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

from core import PROJECT_ROOT
from handlers.validation import OUT_OF_BOUNDS, RequestError, parse_work_request
from handlers.workloads import WORKLOADS

ROOT = PROJECT_ROOT
RUN_ID = "20261125T080000Z-3fa2"
DOCUMENTED = ("noop", "sort", "primes", "sha256", "json", "regex", "zlib", "numpy_matmul", "numpy_fft",
              "pandas_groupby", "memory")
# A small size per workload so the whole file stays fast; the defaults are timed by benchmarks/handler_overhead.py.
SMALL = {"noop": 0, "sort": 2_000, "primes": 500, "sha256": 64, "json": 50, "regex": 200, "zlib": 16,
         "numpy_matmul": 40, "numpy_fft": 1_000, "pandas_groupby": 5_000, "memory": 2}


def test_registry_has_the_documented_workloads_in_order() -> None:
    assert tuple(WORKLOADS) == DOCUMENTED


@pytest.mark.parametrize("name", DOCUMENTED)
def test_bounds_are_consistent_and_enforced(name: str) -> None:
    workload = WORKLOADS[name]
    assert workload.name == name and workload.description and workload.size_unit
    assert 0 <= workload.min_size <= workload.default_size <= workload.max_size
    assert workload.max_iterations >= 1
    ok = {"run_id": RUN_ID, "seq": 0, "workload": name}
    assert parse_work_request(ok).size == workload.default_size
    for field, value in (("size", workload.max_size + 1), ("size", workload.min_size - 1),
                         ("iterations", workload.max_iterations + 1), ("iterations", 0)):
        with pytest.raises(RequestError) as err:
            parse_work_request({**ok, field: value})
        assert err.value.code == OUT_OF_BOUNDS


@pytest.mark.parametrize("name", DOCUMENTED)
def test_digest_is_stable_across_runs_and_depends_on_the_seed(name: str) -> None:
    workload = WORKLOADS[name]
    first = workload.run(SMALL[name], 7)
    assert first == workload.run(SMALL[name], 7)
    assert len(first) == 64 and int(first, 16) >= 0
    if name not in ("noop", "memory"):  # these two compute the same thing whatever the seed
        assert workload.run(SMALL[name], 8) != first


def test_every_size_within_bounds_fits_the_default_function_memory_except_memory_itself() -> None:
    from stack import Settings

    for workload in WORKLOADS.values():
        if workload.name != "memory":
            parse_work_request({"run_id": RUN_ID, "seq": 0, "workload": workload.name, "size": workload.max_size},
                               memory_mb=min(Settings().memory_sizes))


@pytest.mark.parametrize(("name", "size"), [("sort", 300_000), ("json", 20_000), ("numpy_matmul", 900),
                                            ("pandas_groupby", 1_000_000), ("memory", 64)])
def test_peak_memory_estimate_covers_the_measured_growth(name: str, size: int) -> None:
    """In a fresh interpreter: VmHWM growth of one run at ``size`` stays under the workload's estimate."""
    script = ("import sys; from handlers.environment import peak_rss_mb; from handlers.workloads import WORKLOADS\n"
              "w = WORKLOADS[sys.argv[1]]; w.run(w.min_size, 1); before = peak_rss_mb()\n"
              "w.run(int(sys.argv[2]), 1); print(peak_rss_mb() - before)")
    done = subprocess.run([sys.executable, "-c", script, name, str(size)], capture_output=True, text=True,
                          check=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    grown = float(done.stdout)
    assert grown <= WORKLOADS[name].peak_mb(size)
    assert grown >= WORKLOADS[name].peak_mb(size) / 4  # an estimate, not a blanket figure


def test_noop_only_accepts_size_zero() -> None:
    assert (WORKLOADS["noop"].min_size, WORKLOADS["noop"].max_size) == (0, 0)


def test_sort_input_is_unordered_and_result_sorted() -> None:
    workload = WORKLOADS["sort"]
    data = workload.prepare(1_000, 3)
    assert data != sorted(data) and data != sorted(data, reverse=True)
    assert workload.compute(data) == sorted(data)


def test_primes_match_a_sieve() -> None:
    workload = WORKLOADS["primes"]
    candidates = workload.prepare(2_000, 5)
    sieve = bytearray([1]) * candidates.stop
    sieve[0:2] = b"\x00\x00"
    for i in range(2, int(candidates.stop**0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytes(len(range(i * i, candidates.stop, i)))
    assert workload.compute(candidates) == [n for n in candidates if sieve[n]]


def test_sha256_hashes_the_seeded_bytes() -> None:
    workload = WORKLOADS["sha256"]
    data = workload.prepare(4, 1)
    assert len(data) == 4 * 1024
    assert workload.compute(data) == hashlib.sha256(data).hexdigest()


def test_json_round_trips_the_records() -> None:
    workload = WORKLOADS["json"]
    records = workload.prepare(20, 2)
    assert json.loads(workload.compute(records)) == records


def test_regex_parses_every_well_formed_line() -> None:
    workload = WORKLOADS["regex"]
    text = workload.prepare(300, 4)
    lines = text.splitlines()
    malformed = sum(line.startswith("malformed") for line in lines)
    result = workload.compute(text)
    assert result["parsed"] == len(lines) - malformed == 300
    assert sum(result["statuses"].values()) == 300
    assert set(result["statuses"]) <= {"200", "201", "204", "301", "404", "500"}


def test_zlib_restores_the_text_and_really_compresses() -> None:
    workload = WORKLOADS["zlib"]
    data = workload.prepare(8, 6)
    assert len(data) == 8 * 1024
    assert workload.compute(data) == data
    assert len(zlib.compress(data, 6)) < len(data) // 2


def test_matmul_is_exact_integer_arithmetic() -> None:
    workload = WORKLOADS["numpy_matmul"]
    a, b = workload.prepare(12, 9)
    exact = [[sum(int(a[i, k]) * int(b[k, j]) for k in range(12)) for j in range(12)] for i in range(12)]
    assert workload.compute((a, b)).tolist() == exact


def test_fft_spectrum_is_the_seeded_integers() -> None:
    workload = WORKLOADS["numpy_fft"]
    signal = workload.prepare(16, 3)
    naive = [sum(x * np.exp(-2j * np.pi * k * n / 16) for n, x in enumerate(signal)) for k in range(9)]
    spectrum = workload.compute(signal)
    assert np.array_equal(np.rint(spectrum), np.rint(naive))
    assert np.all(np.abs(spectrum - np.rint(spectrum)) < 1e-9)
    assert np.abs(np.rint(spectrum)).max() > 1  # not a trivial all-zero spectrum


def test_groupby_matches_a_plain_python_aggregation() -> None:
    workload = WORKLOADS["pandas_groupby"]
    frame = workload.prepare(3_000, 11)
    result = workload.compute(frame)
    sums: dict[int, int] = {}
    for key, value in zip(frame["key"].tolist(), frame["value"].tolist(), strict=True):
        sums[key] = sums.get(key, 0) + value
    assert result["value_sum"].to_dict() == sums
    assert int(result["rows"].sum()) == 3_000


def test_memory_touches_every_4k_page() -> None:
    workload = WORKLOADS["memory"]
    assert workload.compute(workload.prepare(3, 0)) == (3, 3 * 256)


@pytest.mark.parametrize("name", ["numpy_matmul", "numpy_fft"])
def test_float_digests_ignore_last_bit_differences(name: str) -> None:
    """Another CPU's kernels round differently: a relative error of 1e-12 must not change the digest."""
    workload = WORKLOADS[name]
    result = workload.compute(workload.prepare(SMALL[name], 13))
    noise = 1.0 + np.random.default_rng(0).uniform(-1e-12, 1e-12, size=result.shape)
    assert workload.digest(result * noise) == workload.digest(result)


def test_matmul_and_fft_digests_equal_across_blas_kernels_and_threads() -> None:
    """OpenBLAS's x86 kernels (Prescott/SSE3 vs Haswell/AVX2) and thread counts sum in different orders."""
    script = ("from handlers.workloads import WORKLOADS\n"
              "print(WORKLOADS['numpy_matmul'].run(257, 5), WORKLOADS['numpy_fft'].run(30_000, 5))")
    outputs = set()
    for coretype, threads in (("Prescott", "1"), ("Haswell", "2"), ("", "1")):
        env = {**os.environ, "OPENBLAS_CORETYPE": coretype, "OPENBLAS_NUM_THREADS": threads,
               "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                              check=True, timeout=120)
        outputs.add(done.stdout.strip())
    assert len(outputs) == 1
