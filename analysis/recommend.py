"""The recommendation across the matrix: AWS Lambda Power Tuning's three strategies, with ties where the
intervals do not separate.

Power Tuning (``lambda/analyzer.js``) ranks its configurations by average cost (``cost``), average duration
(``speed``) and ``balanced``: the lowest ``w · cost / max cost + (1 − w) · duration / max duration`` with
``balancedWeight`` w = 0.5 by default. Here the duration is the median warm WorkloadMs and the cost the cost per
million work items (``VariantSummary.headline``), over the subjects only: a control twin is never recommended.
A subject ties with the best when its interval reaches the best's (for balanced, the interval of its score from
the bounds of its two intervals); ``variant`` is named only when nothing ties.
"""

from __future__ import annotations

from collections.abc import Mapping

from core import Choice, Interval, Recommendation, VariantSummary

BALANCED_WEIGHT = 0.5  # Power Tuning's default balancedWeight: cost and speed count the same
BASIS = ("subjects only; speed = median warm WorkloadMs, cost = cost per million work items, each with its 95 % "
         f"interval; balanced = {BALANCED_WEIGHT:g} · cost / max cost + {1 - BALANCED_WEIGHT:g} · median / max "
         "median (Power Tuning's balanced strategy)")


def recommend(variants: Mapping[str, VariantSummary]) -> Recommendation:
    subjects = {vid: block["headline"] for vid, block in variants.items() if block["role"] == "subject"
                and block["headline"]["median_ms"]["value"] is not None
                and block["headline"]["cost_per_million_usd"]["value"] is not None}
    cost = {vid: headline["cost_per_million_usd"] for vid, headline in subjects.items()}
    speed = {vid: headline["median_ms"] for vid, headline in subjects.items()}
    return {"basis": BASIS, "cheapest": choose(cost, tie_break=speed), "fastest": choose(speed, tie_break=cost),
            "balanced": choose(balanced_scores(cost, speed), tie_break=cost)}


def balanced_scores(cost: Mapping[str, Interval], speed: Mapping[str, Interval]) -> dict[str, Interval]:
    if not cost:
        return {}
    max_cost = max(_value(block) for block in cost.values()) or 1.0
    max_speed = max(_value(block) for block in speed.values()) or 1.0

    def score(c: float, s: float) -> float:
        return BALANCED_WEIGHT * c / max_cost + (1 - BALANCED_WEIGHT) * s / max_speed

    scores: dict[str, Interval] = {}
    for vid in cost:
        c_ci, s_ci = cost[vid]["ci95"], speed[vid]["ci95"]
        ci = [score(c_ci[0], s_ci[0]), score(c_ci[1], s_ci[1])] if c_ci and s_ci else None
        scores[vid] = {"value": score(_value(cost[vid]), _value(speed[vid])), "ci95": ci}
    return scores


def choose(figures: Mapping[str, Interval], tie_break: Mapping[str, Interval]) -> Choice:
    """The lowest figure, and every other whose interval does not lie wholly above the best's."""
    if not figures:
        return {"variant": None, "tie": [], "value": {"value": None, "ci95": None}}
    def order(vid: str) -> tuple[float, float]:
        return (_value(figures[vid]), _value(tie_break[vid]))

    ranked = sorted(figures, key=order)
    best = figures[ranked[0]]
    tie = [vid for vid in ranked if vid == ranked[0] or not _separates(figures[vid], best)]
    return {"variant": ranked[0] if len(tie) == 1 else None, "tie": tie, "value": best}


def _separates(other: Interval, best: Interval) -> bool:
    return other["ci95"] is not None and best["ci95"] is not None and other["ci95"][0] > best["ci95"][1]


def _value(block: Interval) -> float:
    value = block["value"]
    return float("inf") if value is None else value
