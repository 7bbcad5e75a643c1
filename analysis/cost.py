"""What the run's invocations cost, per variant and per work item, from the billed durations: each variant at its
own memory size and its own architecture's price.

Prices: the one table in ``core.pricing`` (its source and date are there). The SQS and API Gateway charges are out
of scope here: they are the same for every variant.

Billed duration: since 2025-08-01 AWS bills the INIT phase of on-demand zip functions, and a cold start's
``Billed Duration`` includes it. MiniStack's REPORT has whole-ms durations and no billed INIT, so locally (and
whenever a REPORT has no Billed Duration) it is estimated as ceil(Duration + init), where init is the
REPORT's Init Duration or, failing that, the handler's own ``InitMs`` on a cold start.

Every invocation of the run is billed, including those without a work item (a REPORT line with no EMF document of
any run: a timeout before the first item, an out-of-memory kill; ``analysis.dataset``): their cost is in the
variant's total and so in its cost per work item, though no work item carries a share of it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from core import PriceList


def billed_ms(invocations: pd.DataFrame, estimate: bool) -> pd.Series:
    """Billed milliseconds per invocation: the REPORT's, or the estimate described in the module docstring."""
    init = invocations["init_duration_ms"].fillna(
        invocations["init_ms"].where(invocations["cold"], 0.0)).fillna(0.0)
    estimated = np.ceil(invocations["duration_ms"].to_numpy(float) + init.to_numpy(float))
    estimated = pd.Series(estimated, index=invocations.index)
    if estimate:
        return estimated
    return invocations["billed_duration_ms"].fillna(estimated)


def invocation_cost(invocations: pd.DataFrame, billed: pd.Series, prices: PriceList,
                    configured_memory_mb: Mapping[str, int]) -> pd.Series:
    """USD per invocation: billed GB-seconds at its ``architecture``'s price, plus the request charge.

    Memory is the REPORT's (or the handler's) memory size, else the variant's configured one
    (``configured_memory_mb`` by variant id).
    """
    memory_mb = invocations["memory_mb"].fillna(invocations["variant"].map(configured_memory_mb))
    memory_gb = memory_mb.to_numpy(float) / 1024.0
    per_gb_s = invocations["architecture"].map(prices.gb_second).to_numpy(float)
    compute = billed.to_numpy(float) / 1000.0 * memory_gb * per_gb_s
    return pd.Series(compute + prices.per_million_requests / 1e6, index=invocations.index)


def item_cost(items: pd.DataFrame, invocations: pd.DataFrame, cost: pd.Series) -> pd.Series:
    """Each invocation's cost shared among its work items in proportion to their ``HandlerMs``.

    A batch may mix workloads; sharing by handler time charges each workload for the time it used. Items with
    no handler time share evenly. Items without a REPORT line get no cost (NaN).
    """
    by_request = pd.Series(cost.to_numpy(), index=invocations["request_id"].to_numpy())
    share_basis = items["handler_ms"].where(items["handler_ms"] > 0)
    totals = share_basis.groupby(items["request_id"]).transform("sum")
    counts = items.groupby("request_id")["request_id"].transform("size")
    weight = (share_basis / totals).where(totals > 0).fillna(1.0 / counts)
    if share_basis.isna().any():  # a batch with any item lacking handler time: share that batch evenly
        uneven = share_basis.isna().groupby(items["request_id"]).transform("any")
        weight = weight.where(~uneven, 1.0 / counts)
    return items["request_id"].map(by_request) * weight


def per_million(total_usd: float, count: int) -> float | None:
    return total_usd / count * 1e6 if count else None
