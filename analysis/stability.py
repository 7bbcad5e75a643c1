"""Is one variant's run stable? Latency drift from start to end, peak-RSS growth per environment, and latency
against the number of active environments (burst and ramp profiles).

Items of one execution environment share its CPU, its caches and its heap, so they are not independent: every
interval here is over environments, and items stand in only when the run names no environments at all. A mix
of workloads is first put on one scale, each item's log ``workload_ms`` minus its workload's log median, so a
mix that shifts during the run (heavy items late) does not read as a drift.

The trend compares the last third of the run (by time) with the first. When at least ``MIN_PAIRED``
environments have items in both thirds, each gives one figure, the log ratio of its late and early medians, and
the interval is a one-sample t across those figures: an environment's own level cancels, so the interval is
as tight as the drift allows. With fewer (environments that churn, as in burst and ramp runs), each third's
environments are separate samples and the interval is Welch's on their log medians: valid without overlap,
wider because the spread between environments stays in. A run with fewer than two environments in a third (one
long-lived process, or logs without ``EnvironmentId``) falls back to its items, unit "items": that interval
ignores the dependence between items, so it is only indicative.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from analysis import clustered
from core import MemoryGrowth, Scaling, ScalingPoint, Stability, Trend

MIN_PAIRED = 5  # environments spanning both thirds for the paired interval (the decision rule's minimum)
MIN_PART_ITEMS = 3  # items of an environment within one third for its median there to count
PART = 1.0 / 3.0  # the share of the run's time span compared at each end
SETTLE_ITEMS = 5  # an environment's first items, whose imports and first allocations raise the peak once
MIN_LIFE_ITEMS = 20  # items after settling for an environment to count as long-lived
GROWTH_MB = 5.0  # growth beyond a few allocator arenas and GC timing: ≥ 5 MB …
GROWTH_SHARE = 0.05  # … and ≥ 5 % of the settled peak, so a large steady heap's jitter is not a leak
SCALING_PROFILES = ("burst", "ramp")


def stability(items: pd.DataFrame, margin: float, profile: str | None) -> Stability:
    """The trend and memory growth of every run, plus scaling for the profiles that vary concurrency (``profile``
    None: no manifest to say)."""
    result: Stability = {"trend": latency_trend(items, margin), "memory_growth": memory_growth(items)}
    if profile in SCALING_PROFILES:
        result["scaling"] = scaling(items)
    return result


def latency_trend(items: pd.DataFrame, margin: float) -> Trend:
    """Late / early warm latency (above 1 the end is slower), with ``warning`` when the whole interval lies
    above 1 + ``margin``."""
    warm = _normalised_warm(items)
    start, end = warm["timestamp_ms"].min(), warm["timestamp_ms"].max()
    if warm.empty or end <= start:
        return _trend(None, "environments", 0, margin)
    span = float(end - start)
    early = warm[warm["timestamp_ms"] <= start + PART * span]
    late = warm[warm["timestamp_ms"] >= end - PART * span]
    early_medians, late_medians = _part_medians(early), _part_medians(late)
    both = early_medians.index.intersection(late_medians.index)
    if both.size >= MIN_PAIRED:  # each environment against itself: the paired interval over environments
        paired = clustered.paired_ratio(dict(np.exp(late_medians[both])), dict(np.exp(early_medians[both])))
        return _trend(paired, "environments", int(both.size), margin)
    environments = min(early_medians.size, late_medians.size)
    if environments >= 2:
        return _trend(_welch(late_medians.to_numpy(), early_medians.to_numpy()), "environments", environments,
                      margin)
    early_logs, late_logs = early["log_level"].to_numpy(), late["log_level"].to_numpy()
    count = min(early_logs.size, late_logs.size)
    return _trend(_welch(late_logs, early_logs) if count >= 2 else None, "items", count, margin)


def memory_growth(items: pd.DataFrame, min_items: int = MIN_LIFE_ITEMS) -> MemoryGrowth:
    """Peak RSS (a high-water mark: it never falls) from each environment's settled point to its last item.

    The settled point is after its first ``SETTLE_ITEMS`` items and after the first run of every workload it ran:
    a first use loads modules and fills caches once. An environment counts with at least ``min_items`` items
    after that; it is ``growing`` when it rose by ≥ ``GROWTH_MB`` and ≥ ``GROWTH_SHARE`` of its settled peak, and
    ``warning`` says that more than half of the counted environments grow.
    """
    known = items[(items["environment"] != "") & np.isfinite(items["peak_rss_mb"].to_numpy(dtype=float))]
    settled_peaks, last_peaks = [], []
    for _, life in known.sort_values(["timestamp_ms", "seq"], kind="stable").groupby("environment", sort=False):
        peaks = life["peak_rss_mb"].to_numpy(dtype=float)[_settled_index(life["workload"].to_numpy()):]
        if peaks.size >= min_items:
            settled_peaks.append(peaks[0])
            last_peaks.append(peaks[-1])
    if not settled_peaks:
        return {"environments": 0, "growing": 0, "median_growth_mb": None, "max_growth_mb": None, "warning": False}
    growth = np.array(last_peaks) - np.array(settled_peaks)
    growing = int(np.count_nonzero((growth >= GROWTH_MB) & (growth >= GROWTH_SHARE * np.array(settled_peaks))))
    return {"environments": int(growth.size), "growing": growing, "median_growth_mb": float(np.median(growth)),
            "max_growth_mb": float(growth.max()), "warning": growing > growth.size / 2}


def scaling(items: pd.DataFrame, bin_s: float = 1.0) -> Scaling:
    """Per ``bin_s`` time bin, the distinct environments that ran any item and the warm items' latency; the points
    pool the items of the bins with the same count, and the Spearman correlation is over bins (bin median against
    count). ``p50_ms`` is in the run's typical item's milliseconds: normalised items times the overall median."""
    known = items[items["environment"] != ""]
    warm = _normalised_warm(known)
    if warm.empty:
        return {"points": [], "spearman": None, "p_value": None}
    origin = float(known["timestamp_ms"].min())
    width_ms = bin_s * 1000.0
    active = known.groupby(_bins(known, origin, width_ms))["environment"].nunique()
    warm_bins = _bins(warm, origin, width_ms)
    warm = warm.assign(active=warm_bins.map(active).to_numpy())
    typical_ms = float(np.median(warm["workload_ms"].to_numpy(dtype=float)))
    points: list[ScalingPoint] = [
        {"active_environments": int(count), "n": int(group.shape[0]),
         "p50_ms": typical_ms * math.exp(float(np.median(group["log_level"].to_numpy())))}
        for count, group in warm.groupby("active", sort=True)]
    per_bin = warm.groupby(warm_bins).agg(active=("active", "first"), level=("log_level", "median"))
    if per_bin.shape[0] < 3 or per_bin["active"].nunique() < 2 or per_bin["level"].nunique() < 2:
        return {"points": points, "spearman": None, "p_value": None}
    rho, p_value = sps.spearmanr(per_bin["active"].to_numpy(), per_bin["level"].to_numpy())
    return {"points": points, "spearman": float(rho), "p_value": float(p_value)}


def _normalised_warm(items: pd.DataFrame) -> pd.DataFrame:
    """Warm successful items with ``log_level``: log workload_ms minus its workload's log median."""
    times = items["workload_ms"].to_numpy(dtype=float)
    warm = items[~items["cold"].to_numpy(dtype=bool) & ~items["error"].to_numpy(dtype=bool)
                 & np.isfinite(times) & (times > 0)]
    logs = np.log(warm["workload_ms"].to_numpy(dtype=float))
    workload_medians = pd.Series(logs, index=warm.index).groupby(warm["workload"]).transform("median")
    return warm.assign(log_level=logs - workload_medians.to_numpy())


def _part_medians(part: pd.DataFrame) -> pd.Series:
    """Each known environment's median log level within one third, if it has ``MIN_PART_ITEMS`` items there."""
    grouped = part[part["environment"] != ""].groupby("environment")["log_level"]
    counts, medians = grouped.size(), grouped.median()
    return medians[counts >= MIN_PART_ITEMS]


def _settled_index(workloads: np.ndarray) -> int:
    """The first index after the first ``SETTLE_ITEMS`` items and after every workload's first run."""
    _, first_uses = np.unique(workloads, return_index=True)
    return max(SETTLE_ITEMS, int(first_uses.max()) + 1) if first_uses.size else SETTLE_ITEMS


def _bins(frame: pd.DataFrame, origin: float, width_ms: float) -> pd.Series:
    return ((frame["timestamp_ms"].astype(float) - origin) // width_ms).astype("int64")


def _welch(late_logs: np.ndarray, early_logs: np.ndarray) -> clustered.Estimate:
    """Late against early as two samples of log levels: the decision rule's Welch interval (``analysis.clustered``
    works on the figures themselves, so the logs go back to ratios first)."""
    return clustered.welch_ratio(clustered.Units(np.exp(late_logs)), clustered.Units(np.exp(early_logs)))


def _trend(estimate: clustered.Estimate | None, unit: str, n: int, margin: float) -> Trend:
    """Late / early and its interval; ``warning`` when the whole interval lies above 1 + ``margin``."""
    if estimate is None or estimate.ratio is None or estimate.ci95 is None:
        return {"ratio": None, "ci95": None, "unit": unit, "n": n, "warning": False}
    low, high = estimate.ci95
    return {"ratio": estimate.ratio, "ci95": [low, high], "unit": unit, "n": n, "warning": low > 1.0 + margin}
