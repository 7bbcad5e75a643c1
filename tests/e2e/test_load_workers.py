"""Sender processes and Lambda load workers on the session's MiniStack: one schedule in slices, every seq sent
once to every variant, the merged manifest reconciled by analysis; a worker that crashes is named and its slice
counted as not sent."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from analysis import compare_run
from core import run_dir
from handlers.contract import P_SEQ, new_run_id
from loadgen import LambdaWorkers, LoadRequest, Profile, RunStats, WorkloadShare, plan_load, run_load
from stack import Settings, StackOutputs
from tests.e2e.test_loadgen import wait_for_all
from tests.support.redeploy import redeployed

RATE, DURATION = 20, 3
EXPECTED = RATE * DURATION


def request(**kw: Any) -> LoadRequest:
    return LoadRequest(rate_text=f"{RATE}/s", profile=Profile("sustained", RATE, DURATION),
                       mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=3, run_id=new_run_id(), **kw)


pytestmark = pytest.mark.usefixtures("own_runs")


@pytest.fixture(scope="module")
def local_cloud(local_cloud: StackOutputs, local_cloud_settings: Settings) -> Iterator[StackOutputs]:
    """The session's cloud with the load workers (``archbench:loadWorkers``) for this module."""
    with redeployed(local_cloud_settings, replace(local_cloud_settings, load_workers=True)) as outputs:
        yield outputs


def assert_reconciled(run_id: str, sent: int) -> None:
    comparison = compare_run(run_id, wait_s=120, plots=False)
    assert comparison.problem is None, comparison.problem
    for vid, counts in comparison.result.summary["reconciliation"]["by_variant"].items():
        assert (counts["sent"], counts["failed"], counts["lost"], counts["in_flight"]) == (sent, 0, 0, 0), vid


@pytest.mark.parametrize("senders", [{"processes": 2}, {"workers": 2}, {"workers": 2, "target": "api"}],
                         ids=["processes", "lambda-workers", "lambda-workers-api"])
def test_a_sliced_run_sends_every_seq_once_to_every_variant_and_reconciles(local_cloud: StackOutputs,
                                                                           senders: dict[str, Any]) -> None:
    load = plan_load(request(**senders), local_cloud)
    manifest = run_load(load, local_cloud, stop=threading.Event())

    sent_by = manifest.config["sent_by"]
    assert sent_by["kind"] == ("processes" if "processes" in senders else "lambda") and sent_by["count"] == 2
    assert [s["status"] for s in sent_by["senders"]] == ["reported", "reported"]
    assert all(s["clock_offset_ms"] is not None for s in sent_by["senders"])
    for counts in manifest.targets.values():
        assert (counts.scheduled, counts.sent, counts.failed) == (EXPECTED, EXPECTED, 0)
        if load.target == "api":
            assert counts.http_status == {"200": EXPECTED}
    if load.target == "api":  # every route request of every worker, with both latencies
        with (run_dir(load.plan.run_id) / "requests.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == EXPECTED * len(manifest.targets)
        assert all(float(r["intended_latency_ms"]) >= float(r["latency_ms"]) > 0 for r in rows)
    documents = wait_for_all(local_cloud, load.plan.run_id, expected=EXPECTED)
    for variant, docs in documents.items():
        assert sorted(int(d[P_SEQ]) for d in docs) == list(range(EXPECTED)), variant
    assert_reconciled(load.plan.run_id, EXPECTED)


def test_a_crashing_worker_is_named_and_its_slice_counted_as_not_sent(local_cloud: StackOutputs,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LambdaWorkers, "drain_s", 2.0)  # shorter waits; the path is the same
    monkeypatch.setattr(LambdaWorkers, "report_grace_s", 8.0)
    order = LambdaWorkers.order

    def broken_for_worker_1(self: LambdaWorkers, index: int, start_at: float) -> dict[str, Any]:
        built = order(self, index, start_at)
        if index == 1:
            del built["urls"]  # the worker raises a KeyError before it sends anything, and never reports
        return built

    monkeypatch.setattr(LambdaWorkers, "order", broken_for_worker_1)
    load = plan_load(request(workers=2), local_cloud)
    manifest = run_load(load, local_cloud, stop=threading.Event())

    worker_0, worker_1 = manifest.config["sent_by"]["senders"]
    assert worker_0["status"] == "reported" and worker_1["status"] == "failed"
    assert f"results/{load.plan.run_id}/1.json" in worker_1["error"]
    for counts in manifest.targets.values():
        assert counts.scheduled == EXPECTED and counts.sent == worker_0["scheduled"] == EXPECTED // 2
        assert counts.failed == worker_1["scheduled"] == EXPECTED // 2
    documents = wait_for_all(local_cloud, load.plan.run_id, expected=EXPECTED // 2)
    for variant, docs in documents.items():
        assert sorted(int(d[P_SEQ]) for d in docs) == list(range(0, EXPECTED, 2)), variant  # worker 0's slice only


def test_the_workers_progress_shows_live_and_stop_reaches_every_one_through_the_stop_marker(
        local_cloud: StackOutputs) -> None:
    """While they send, the live view adds up the workers' progress; the first Ctrl-C (``stop``) stops their
    schedules, they report, and the manifest is interrupted."""
    long = LoadRequest(rate_text="10/s", profile=Profile("sustained", 10, 30), mix=(WorkloadShare("noop", 1.0, 0),),
                       iterations=1, seed=3, run_id=new_run_id(), workers=2)
    load = plan_load(long, local_cloud)
    stats, stop = RunStats(load.variants), threading.Event()
    seen: list[int] = []

    def look_then_stop() -> None:
        seen.extend(view.sent for view in stats.snapshot().variants.values())
        stop.set()

    threading.Timer(LambdaWorkers.lead_s + 4.0, look_then_stop).start()
    started = time.monotonic()
    manifest = run_load(load, local_cloud, stop=stop, stats=stats)

    assert time.monotonic() - started < 20  # not the 30 s schedule
    assert len(seen) == 3 and all(sent > 0 for sent in seen)  # mid-run, from the progress objects
    assert manifest.interrupted
    assert [s["status"] for s in manifest.config["sent_by"]["senders"]] == ["reported", "reported"]
    for counts in manifest.targets.values():
        assert 10 <= counts.scheduled < 300 and counts.scheduled == counts.sent and counts.failed == 0
    sent = next(iter(manifest.targets.values())).sent
    documents = wait_for_all(local_cloud, load.plan.run_id, expected=sent)
    assert all(len(docs) == sent for docs in documents.values())
