"""Cost arithmetic, checked by hand against the published prices."""

import math

import pandas as pd
import pytest

from analysis.cost import billed_ms, invocation_cost, item_cost, per_million
from core import prices_for

NAN = math.nan


def invocations() -> pd.DataFrame:
    return pd.DataFrame([
        # warm arm64 on AWS: 100 ms billed at 1024 MB
        {"request_id": "a", "variant": "py313-1024-arm64", "architecture": "arm64",
         "memory_mb": 1024.0, "duration_ms": 99.2,
         "billed_duration_ms": 100.0, "init_duration_ms": NAN, "init_ms": NAN, "cold": False},
        # cold x86_64 on AWS: Billed Duration already includes INIT (since 2025-08-01)
        {"request_id": "b", "variant": "py313-2048-x86_64", "architecture": "x86_64",
         "memory_mb": 2048.0, "duration_ms": 12.3,
         "billed_duration_ms": 263.0, "init_duration_ms": 250.1, "init_ms": 240.0, "cold": True},
        # cold on MiniStack: whole ms, no Init Duration; the handler measured InitMs
        {"request_id": "c", "variant": "py313-512-x86_64", "architecture": "x86_64",
         "memory_mb": NAN, "duration_ms": 12.0,
         "billed_duration_ms": 12.0, "init_duration_ms": NAN, "init_ms": 300.2, "cold": True},
    ])


def test_us_east_1_prices():
    prices = prices_for("us-east-1")
    assert prices.gb_second == {"x86_64": 0.0000166667, "arm64": 0.0000133334}
    assert prices.per_million_requests == 0.20 and not prices.is_fallback


def test_unknown_region_falls_back_and_says_so():
    prices = prices_for("mars-north-1")
    assert prices.is_fallback and prices.region == "us-east-1" and prices.asked_region == "mars-north-1"


def test_billed_duration_reported_or_estimated():
    frame = invocations()
    assert list(billed_ms(frame, estimate=False)) == [100.0, 263.0, 12.0]
    # estimate: ceil(Duration + Init Duration, else the handler's InitMs on a cold start) — AWS's own rounding,
    # so on the AWS row the estimate equals the reported Billed Duration
    assert list(billed_ms(frame, estimate=True)) == [100.0, 263.0, 313.0]


def test_invocation_cost_by_hand():
    frame = invocations()
    cost = invocation_cost(frame, billed_ms(frame, estimate=False), prices_for("us-east-1"),
                           configured_memory_mb={"py313-1024-arm64": 1024, "py313-2048-x86_64": 2048,
                                                 "py313-512-x86_64": 512})
    request = 0.20 / 1e6
    assert cost[0] == pytest.approx(0.100 * 1.0 * 0.0000133334 + request, rel=1e-12)
    assert cost[1] == pytest.approx(0.263 * 2.0 * 0.0000166667 + request, rel=1e-12)
    # no memory in the REPORT nor the document: the variant's configured 512 MB
    assert cost[2] == pytest.approx(0.012 * 0.5 * 0.0000166667 + request, rel=1e-12)


def test_item_cost_shares_an_invocation_by_handler_time():
    items = pd.DataFrame({"request_id": ["a", "a", "b", "b", "orphan"],
                          "handler_ms": [10.0, 30.0, 5.0, NAN, 1.0]})
    frame = pd.DataFrame({"request_id": ["a", "b"]})
    shares = item_cost(items, frame, pd.Series([4.0, 1.0]))
    assert list(shares[:4]) == [1.0, 3.0, 0.5, 0.5]  # b has an item without handler time: evenly
    assert math.isnan(shares[4])  # no REPORT line: no cost


def test_per_million():
    assert per_million(3.0, 1_500_000) == pytest.approx(2.0)
    assert per_million(1.0, 0) is None
