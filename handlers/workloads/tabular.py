"""``pandas_groupby``: a group-by aggregation over a seeded frame; pandas is imported at first use only.

Values are int64, so sums, counts, minima and maxima are exact, and each mean is one correctly rounded division
of exact integers (every sum stays far below 2**53): the same float64 on every architecture, whatever order the
kernels sum in. The digest still takes the means in units of 1e-6, as an extra margin against a last-bit
difference.
"""

from __future__ import annotations

from typing import Any

from handlers.workloads.base import Workload, sha256_hex

GROUPS = 1_000


def _prepare(size: int, seed: int) -> Any:
    import numpy as np  # first use only: a noop cold start must not pay for numpy/pandas
    import pandas as pd

    rng = np.random.Generator(np.random.PCG64(seed))
    return pd.DataFrame({
        "key": rng.integers(0, GROUPS, size=size),
        "value": rng.integers(-1_000_000, 1_000_000, size=size),
        "weight": rng.integers(0, 1_000, size=size),
    })


def _compute(frame: Any) -> Any:
    return frame.groupby("key", sort=True).agg(
        value_sum=("value", "sum"), value_mean=("value", "mean"), value_min=("value", "min"),
        weight_max=("weight", "max"), rows=("value", "size"))


def _digest(result: Any) -> str:
    import numpy as np

    columns = [result.index.to_numpy().astype("<i8")]
    columns += [result[name].to_numpy().astype("<i8") for name in ("value_sum", "value_min", "weight_max", "rows")]
    columns.append(np.rint(result["value_mean"].to_numpy() * 1e6).astype("<i8"))
    return sha256_hex(b"".join(np.ascontiguousarray(col).tobytes() for col in columns))


GROUPBY = Workload(
    name="pandas_groupby", description=f"group N seeded rows into {GROUPS} keys: sum, mean, min, max, count",
    size_unit="rows", min_size=1, max_size=5_000_000, default_size=200_000, max_iterations=50,
    prepare=_prepare, compute=_compute, digest=_digest,
    peak_mb=lambda size: 50.0 + size * 60e-6,  # pandas itself ~50 MB; measured 46 B per row
)

WORKLOADS = (GROUPBY,)
