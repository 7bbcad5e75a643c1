"""Fault injection on a real MiniStack (issue 15): hostile bodies through both doors mixed with valid runs, a second
run in the same queues, a request past its time budget, a crashed execution environment, the emulator killed
mid-run. Each scenario asserts what ``analysis.compare_run`` reconciles: every valid item processed once, every
invalid one in its DLQ (SQS) or answered 400 with a JSON error (HTTP) with its code, the rest set apart, nothing
lost, no false alarm.

The outcomes make one table (kind, door, outcome, lost), printed at the end of the module and written to
``$ARCHBENCH_FAULT_TABLE`` when set. The scenarios share the session's local cloud (the emulator-kill scenario has
its own); its queues are purged before and after the module, since the DLQ counts asserted here are exact.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import psutil
import pytest

import localcloud
from analysis import Comparison, compare_run
from core import Reconciled, RunManifest
from handlers.contract import ENV_VARIANT, P_ERROR_TYPE, P_MESSAGE_ID, P_SEQ, WorkRequest, new_run_id
from handlers.logs import MESSAGE_MAX_CHARS
from handlers.validation import (
    INVALID_JSON,
    INVALID_TYPE,
    INVALID_VALUE,
    MISSING_FIELD,
    OUT_OF_BOUNDS,
    UNKNOWN_FIELD,
    UNKNOWN_WORKLOAD,
)
from loadgen import LoadRequest, Profile, TargetName, WorkloadShare, plan_load, run_load
from localcloud import consumers_paused, post_json
from stack import Settings, StackOutputs
from tests.support.local_logs import emf_documents, emf_documents_since, nudge_workers
from tests.support.local_queues import dlq_bodies, purge_queues, send_bodies

RATE, DURATION = 5, 2  # each valid run: 10 items per variant
UNPLANNED = 1_000_000  # the bad bodies' seqs: far past any run's plan
DEADLINE_EXCEEDED = "deadline_exceeded"
Row = tuple[str, str, str, str]  # kind, door, outcome, lost

_DROP = object()


def request(run: str, number: int, **change: Any) -> str:
    """A valid noop request of run ``run`` and seq ``number`` with fields changed (``_DROP``: removed), as JSON."""
    body = {"run_id": run, "seq": number, "workload": "noop", "size": 0, **change}
    return json.dumps({key: value for key, value in body.items() if value is not _DROP})


@dataclass(frozen=True)
class Fault:
    kind: str
    body: Callable[[str, int], str | bytes]  # (run id, seq) → the body
    code: str  # the error code the handler must give it
    whose: Literal["run", "unreadable"]  # how a DLQ sorts it: the run's (an unplanned seq), or no valid run id
    doors: tuple[str, ...] = ("sqs", "http")


FAULTS = [
    Fault("not JSON", lambda r, s: "{not json", INVALID_JSON, "unreadable"),
    Fault("empty body", lambda r, s: "", INVALID_JSON, "unreadable", ("http",)),  # SQS refuses an empty body
    Fault("whitespace only", lambda r, s: " \n\t ", INVALID_JSON, "unreadable"),
    Fault("invalid UTF-8", lambda r, s: b"\xff\xfe{}", INVALID_JSON, "unreadable", ("http",)),  # SQS: text only
    Fault("arrays nested 50,000 deep", lambda r, s: "[" * 50_000 + "]" * 50_000, INVALID_JSON, "unreadable"),
    Fault("objects nested 30,000 deep", lambda r, s: '{"a": ' * 30_000 + "1" + "}" * 30_000, INVALID_JSON,
          "unreadable"),
    Fault("an integer of 5,000 digits", lambda r, s: request(r, s)[:-1] + ', "seed": 1' + "0" * 5_000 + "}",
          INVALID_JSON, "unreadable"),
    Fault("JSON array", lambda r, s: json.dumps([r, s]), INVALID_TYPE, "unreadable"),
    Fault("JSON number", lambda r, s: "42", INVALID_TYPE, "unreadable"),
    Fault("JSON null", lambda r, s: "null", INVALID_TYPE, "unreadable"),
    Fault("JSON string", lambda r, s: json.dumps(r), INVALID_TYPE, "unreadable"),
    Fault("no run_id", lambda r, s: request(r, s, run_id=_DROP), MISSING_FIELD, "unreadable"),
    Fault("run_id a number", lambda r, s: request(r, s, run_id=5), INVALID_TYPE, "unreadable"),
    Fault("run_id not a run id", lambda r, s: request(r, s, run_id="-" + r), INVALID_VALUE, "unreadable"),
    Fault("run_id with a newline", lambda r, s: request(r, s, run_id=r + "\n"), INVALID_VALUE, "unreadable"),
    Fault("run_id a lone surrogate", lambda r, s: request(r, s, run_id="\ud800"), INVALID_VALUE, "unreadable"),
    Fault("unknown field", lambda r, s: request(r, s, colour="red"), UNKNOWN_FIELD, "run"),
    Fault("200 KB unknown field", lambda r, s: request(r, s, pad="x" * 200_000), UNKNOWN_FIELD, "run"),
    Fault("no seq", lambda r, s: request(r, s, seq=_DROP), MISSING_FIELD, "run"),
    Fault("no workload", lambda r, s: request(r, s, workload=_DROP), MISSING_FIELD, "run"),
    Fault("seq a string", lambda r, s: request(r, s, seq=str(s)), INVALID_TYPE, "run"),
    Fault("seq a boolean", lambda r, s: request(r, s, seq=True), INVALID_TYPE, "run"),
    Fault("seq negative", lambda r, s: request(r, s, seq=-1), OUT_OF_BOUNDS, "run"),
    Fault("seq 2**63", lambda r, s: request(r, s, seq=2**63), OUT_OF_BOUNDS, "run"),
    Fault("unknown workload", lambda r, s: request(r, s, workload="bogosort"), UNKNOWN_WORKLOAD, "run"),
    Fault("workload a list", lambda r, s: request(r, s, workload=["noop"]), INVALID_TYPE, "run"),
    Fault("size a float", lambda r, s: request(r, s, workload="sort", size=10.0), INVALID_TYPE, "run"),
    Fault("size null", lambda r, s: request(r, s, workload="sort", size=None), INVALID_TYPE, "run"),
    Fault("size below the minimum", lambda r, s: request(r, s, workload="sort", size=0), OUT_OF_BOUNDS, "run"),
    Fault("size past the maximum", lambda r, s: request(r, s, workload="sort", size=5_000_001), OUT_OF_BOUNDS,
          "run"),
    Fault("memory past the function's", lambda r, s: request(r, s, workload="memory", size=2_000), OUT_OF_BOUNDS,
          "run"),
    Fault("iterations 0", lambda r, s: request(r, s, iterations=0), OUT_OF_BOUNDS, "run"),
    Fault("iterations past the maximum", lambda r, s: request(r, s, iterations=1_001), OUT_OF_BOUNDS, "run"),
    Fault("seed negative", lambda r, s: request(r, s, seed=-3), OUT_OF_BOUNDS, "run"),
    Fault("seed 2**63", lambda r, s: request(r, s, seed=2**63), OUT_OF_BOUNDS, "run"),
    Fault("sent_at a string", lambda r, s: request(r, s, sent_at="now"), INVALID_TYPE, "run"),
    Fault("sent_at NaN", lambda r, s: request(r, s, sent_at=float("nan")), OUT_OF_BOUNDS, "run"),
    Fault("sent_at Infinity", lambda r, s: request(r, s, sent_at=float("inf")), OUT_OF_BOUNDS, "run"),
    Fault("round negative", lambda r, s: request(r, s, round=-1), OUT_OF_BOUNDS, "run"),
    Fault("round a boolean", lambda r, s: request(r, s, round=False), INVALID_TYPE, "run"),
]
SQS_FAULTS = [(UNPLANNED + i, f) for i, f in enumerate(FAULTS) if "sqs" in f.doors]
HTTP_FAULTS = [(UNPLANNED + i, f) for i, f in enumerate(FAULTS) if "http" in f.doors]


def load(outputs: StackOutputs, run_id: str, target: TargetName, rate: int = RATE, duration: int = DURATION,
         variants: tuple[str, ...] | None = None) -> RunManifest:
    """A valid noop run through ``target``, as ``python -m loadgen`` makes it (manifest included)."""
    request = LoadRequest(rate_text=f"{rate}/s", profile=Profile("sustained", rate, duration),
                          mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=1, run_id=run_id, target=target,
                          variants=variants)
    return run_load(plan_load(request, outputs), outputs, stop=threading.Event())


def compare(outputs: StackOutputs, run_id: str) -> tuple[Comparison, Reconciled]:
    """``compare_run`` once the queues drained (bad bodies reach the DLQ after their receives); again after a
    nudge when a late document was still in a worker's pipe."""
    comparison = compare_run(run_id, outputs=outputs, wait_s=120, plots=False)
    if comparison.problem:
        nudge_workers(outputs)
        comparison = compare_run(run_id, outputs=outputs, wait_s=0, plots=False)
    reconciliation = comparison.result.summary["reconciliation"]
    assert reconciliation["status"] != "unknown", reconciliation["reason"]
    return comparison, reconciliation


def clean_row(sent: int) -> dict[str, int]:
    return {"sent": sent, "processed": sent, "failed": 0, "in_dlq": 0, "in_flight": 0, "lost": 0}


def successes(outputs: StackOutputs, variant_id: str, run_id: str) -> Counter[int]:
    """How often each seq of the run was processed without an error, from its EMF documents."""
    documents = emf_documents(outputs, outputs.functions[variant_id].log_group, run_id)
    return Counter(int(d[P_SEQ]) for d in documents if d.get(P_SEQ) is not None and not d[P_ERROR_TYPE])


@pytest.fixture(scope="module")
def table(request: pytest.FixtureRequest) -> Iterator[list[Row]]:
    """The outcome rows; printed (and written to $ARCHBENCH_FAULT_TABLE) when the module is done."""
    rows: list[Row] = []
    yield rows
    header: Row = ("kind", "door", "outcome", "lost")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
             for row in [header, tuple("-" * w for w in widths), *rows]]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("\nfault injection:\n" + "\n".join(lines))
    if os.environ.get("ARCHBENCH_FAULT_TABLE"):
        Path(os.environ["ARCHBENCH_FAULT_TABLE"]).write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def cloud(local_cloud: StackOutputs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackOutputs]:
    """The session's local cloud with empty queues, runs and reports in a module temp dir."""
    root = tmp_path_factory.mktemp("faults")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHBENCH_RUNS_DIR", str(root / "runs"))
        patch.setenv("ARCHBENCH_REPORTS_DIR", str(root / "reports"))
        purge_queues(local_cloud)
        try:
            yield local_cloud
        finally:
            purge_queues(local_cloud)


@dataclass(frozen=True)
class Mixed:
    """Two valid SQS runs (a, b) and one valid API run (h), with every bad body sent while they ran."""

    a: str
    b: str
    h: str
    start_ms: int
    sent: dict[str, dict[str, Fault]]  # variant → message id → its fault (SQS, tagged with run a)
    answers: dict[tuple[str, str], tuple[int, Any]]  # (fault kind, variant) → the route's status and answer
    reconciled: dict[str, Reconciled]  # run id → its reconciliation


@pytest.fixture(scope="module")
def mixed(cloud: StackOutputs) -> Mixed:
    a, b, h = (new_run_id() + suffix for suffix in ("-a", "-b", "-h"))
    start_ms = int(time.time() * 1000)
    targets: list[tuple[str, TargetName]] = [(a, "sqs"), (b, "sqs"), (h, "api")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = [pool.submit(load, cloud, run_id, target) for run_id, target in targets]
        time.sleep(0.5)  # the valid runs are under way
        sent = {vid: dict(zip(send_bodies(cloud, vid, [str(f.body(a, seq)) for seq, f in SQS_FAULTS]),
                              (f for _, f in SQS_FAULTS), strict=True)) for vid in cloud.variants}
        answers = {(f.kind, vid): post_json(cloud.api_url + fn.route, f.body(h, seq))
                   for vid, fn in cloud.variants.items() for seq, f in HTTP_FAULTS}
        for run in runs:
            run.result()
    return Mixed(a, b, h, start_ms, sent, answers, {run_id: compare(cloud, run_id)[1] for run_id in (a, b, h)})


def test_valid_runs_among_bad_bodies_are_processed_exactly_as_sent(cloud: StackOutputs, mixed: Mixed,
                                                                   table: list[Row]) -> None:
    sent = RATE * DURATION
    for run_id, door in ((mixed.a, "sqs"), (mixed.h, "http")):
        reconciled = mixed.reconciled[run_id]
        lost = sum(row["lost"] for row in reconciled["by_variant"].values())
        table.append((f"valid run among {len(FAULTS)} kinds of bad body", door,
                      f"processed {reconciled['processed']} of {reconciled['sent']}, status {reconciled['status']}",
                      str(lost)))
        assert reconciled["status"] == "ok"
        assert reconciled["by_variant"] == {vid: clean_row(sent) for vid in cloud.variants}
        for vid in cloud.variants:
            assert successes(cloud, vid, run_id) == Counter(range(sent)), f"{run_id} on {vid}"


def test_bad_bodies_through_the_queue_end_in_the_dlq_with_their_code(cloud: StackOutputs, mixed: Mixed,
                                                                     table: list[Row]) -> None:
    outcomes: dict[str, list[str]] = {f.kind: [] for _, f in SQS_FAULTS}
    for vid, fn in cloud.variants.items():
        in_dlq = Counter(dlq_bodies(cloud, vid))
        documents = emf_documents_since(cloud, fn.log_group, mixed.start_ms)
        codes = {message_id: {d[P_ERROR_TYPE] for d in documents if d[P_MESSAGE_ID] == message_id}
                 for message_id in mixed.sent[vid]}
        for (seq, fault), message_id in zip(SQS_FAULTS, mixed.sent[vid], strict=True):
            body = str(fault.body(mixed.a, seq))
            where = "DLQ" if in_dlq[body] == 1 else f"{in_dlq[body]} in DLQ"
            outcomes[fault.kind].append(f"{where}, {'/'.join(sorted(map(str, codes[message_id]))) or 'no document'}")
        assert sorted(in_dlq.elements()) == sorted(str(f.body(mixed.a, seq)) for seq, f in SQS_FAULTS)
    for _, fault in SQS_FAULTS:
        seen = set(outcomes[fault.kind])
        lost = sum(not outcome.startswith("DLQ") for outcome in outcomes[fault.kind])
        table.append((fault.kind, "sqs", " | ".join(sorted(seen)), str(lost)))
    for _, fault in SQS_FAULTS:
        assert set(outcomes[fault.kind]) == {f"DLQ, {fault.code}"}, fault.kind
    in_run = sum(f.whose == "run" for _, f in SQS_FAULTS)
    unreadable = len(SQS_FAULTS) - in_run
    for vid, apart in mixed.reconciled[mixed.a]["apart"].items():  # set apart from run a, never counted
        assert (apart["dlq_unplanned"], apart["dlq_unreadable"], apart["dlq_other_runs"]) == (in_run, unreadable, 0)
        assert apart["unplanned_items"] >= in_run and apart["queue_other"] == apart["dlq_unread"] == 0, vid
    assert mixed.reconciled[mixed.a]["unreadable_samples"][0] == repr("{not json")


def test_bad_bodies_through_the_route_are_answered_400_with_their_code(cloud: StackOutputs, mixed: Mixed,
                                                                       table: list[Row]) -> None:
    for _, fault in HTTP_FAULTS:
        answers = [mixed.answers[fault.kind, vid] for vid in cloud.variants]
        outcomes = {f"{status} {answer['error']['code']}" if isinstance(answer, dict) and "error" in answer
                    else f"{status} {str(answer)[:40]!r}" for status, answer in answers}
        table.append((fault.kind, "http", " | ".join(sorted(outcomes)),
                      str(sum(status >= 500 for status, _ in answers))))
    for _, fault in HTTP_FAULTS:
        for vid in cloud.variants:
            status, answer = mixed.answers[fault.kind, vid]
            assert (status, answer["error"]["code"]) == (400, fault.code), (fault.kind, vid, answer)
            assert isinstance(answer["error"]["message"], str)
            assert len(answer["error"]["message"]) <= MESSAGE_MAX_CHARS + 40  # bounded, whatever the body's size
    in_run = sum(f.whose == "run" for _, f in HTTP_FAULTS)
    for apart in mixed.reconciled[mixed.h]["apart"].values():  # each refused request of run h: one document
        assert apart["unplanned_items"] == in_run


def test_a_second_run_in_the_same_queues_counts_only_its_own(cloud: StackOutputs, mixed: Mixed,
                                                             table: list[Row]) -> None:
    """Runs a and b shared the queues (and a's bad bodies): b counts its own 10 per variant and nothing of a."""
    reconciled = mixed.reconciled[mixed.b]
    in_run = sum(f.whose == "run" for _, f in SQS_FAULTS)
    table.append(("second run in the same queues", "sqs",
                  f"processed {reconciled['processed']} of {reconciled['sent']}, status {reconciled['status']}, "
                  f"{in_run} of run a's DLQ messages set apart per variant",
                  str(sum(row["lost"] for row in reconciled["by_variant"].values()))))
    assert reconciled["status"] == "ok"
    assert reconciled["by_variant"] == {vid: clean_row(RATE * DURATION) for vid in cloud.variants}
    for apart in reconciled["apart"].values():
        assert (apart["dlq_other_runs"], apart["dlq_unplanned"], apart["unplanned_items"]) == (in_run, 0, 0)
    for vid in cloud.variants:
        assert successes(cloud, vid, mixed.b) == Counter(range(RATE * DURATION))


def test_a_request_past_its_budget_fails_alone_with_its_code(cloud: StackOutputs, table: list[Row]) -> None:
    """primes 1,000,000 × 100 cannot finish in a 2 s function: it fails with deadline_exceeded (SQS: into the DLQ
    after its receives; HTTP: 504), and its run is still fully accounted for. It sits in a full batch, after about
    five valid items and before about four: those before it are processed once; those after it are handed back
    unprocessed, and SQS delivers them again with it. The environment that ran it remembers it and runs it after
    them, so no valid item ends in the DLQ (before that fix, the four *innocent* items per variant did, unrun).

    MiniStack hands a batch to the first idle execution environment of the function, so the redelivered batch
    meets the one that ran the first batch; the route is asked first, so its slow request cannot hold that one
    busy while the first batch is handed out."""
    run_id = new_run_id() + "-t"
    slow = WorkRequest(run_id=run_id, seq=UNPLANNED, workload="primes", size=1_000_000, iterations=100).to_json()
    answers = {vid: post_json(cloud.api_url + fn.route, slow) for vid, fn in cloud.variants.items()}
    with consumers_paused(cloud), ThreadPoolExecutor(max_workers=1) as pool:
        run = pool.submit(load, cloud, run_id, "sqs", 10, 3)
        time.sleep(0.55)  # after about five of the run's items
        for vid in cloud.variants:
            send_bodies(cloud, vid, [slow])
        run.result()
    comparison, reconciled = compare(cloud, run_id)
    innocents = {vid: row["in_dlq"] for vid, row in reconciled["by_variant"].items()}
    lost = sum(row["lost"] for row in reconciled["by_variant"].values())
    table.append(("request past its budget (primes 1e6 × 100), mid-batch", "sqs",
                  f"DLQ, {DEADLINE_EXCEEDED}; innocent neighbours dead-lettered: "
                  + ", ".join(f"{vid} {n}" for vid, n in innocents.items()), str(lost)))
    table.append(("request past its budget (primes 1e6 × 100)", "http",
                  " | ".join(sorted({f"{status} {answer['error']['code']}" for status, answer in answers.values()})),
                  "0"))
    assert reconciled["status"] == "ok" and lost == 0 and comparison.problem is None
    for vid, fn in cloud.variants.items():
        assert answers[vid][0] == 504 and answers[vid][1]["error"]["code"] == DEADLINE_EXCEEDED
        assert reconciled["by_variant"][vid] == clean_row(30)  # every valid item processed, none in the DLQ
        assert reconciled["apart"][vid]["dlq_unplanned"] == 1  # the slow one, in the DLQ
        documents = emf_documents(cloud, fn.log_group, run_id)
        slow_errors = [d[P_ERROR_TYPE] for d in documents if d[P_SEQ] is None or d[P_SEQ] >= UNPLANNED]
        assert slow_errors == [DEADLINE_EXCEEDED] * 3  # the route's request, then each of the two receives
        assert successes(cloud, vid, run_id) == Counter(range(30))  # each valid item once
        assert [body for body in dlq_bodies(cloud, vid) if run_id in body] == [slow]


def worker_processes(variant_id: str) -> list[psutil.Process]:
    """MiniStack's warm worker processes of one variant's function (by the variant id in their environment)."""
    state = localcloud.read_state()
    assert state is not None and state.ministack is not None
    found = []
    for child in psutil.Process(state.ministack.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.environ().get(ENV_VARIANT) == variant_id:
                found.append(child)
    return found


def test_a_crashed_execution_environment_loses_nothing(cloud: StackOutputs, table: list[Row]) -> None:
    """The function's workers are frozen (SIGSTOP), a run is sent, and a worker is killed (SIGKILL, by pid) while
    it holds a batch: the invocation fails, SQS delivers the batch again after the visibility timeout, and every
    item is processed once."""
    vid = next(iter(cloud.variants))
    fn = cloud.functions[vid]
    workers = worker_processes(vid)
    assert workers, f"no warm worker of {vid} to crash"
    for worker in workers:
        worker.suspend()
    run_id = new_run_id() + "-c"
    try:
        load(cloud, run_id, "sqs", 10, 1, variants=(vid,))
        sqs, deadline = cloud.client("sqs"), time.monotonic() + 20
        while time.monotonic() < deadline:  # a batch is taken: it is a frozen worker's now
            attributes = sqs.get_queue_attributes(QueueUrl=fn.queue_url,
                                                  AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
            if int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"]):
                break
            time.sleep(0.05)
    finally:
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.send_signal(signal.SIGKILL)
    comparison, reconciled = compare(cloud, run_id)
    failed = comparison.result.summary["variants"][vid]["failed_invocations"]
    lag = comparison.result.summary["variants"][vid]["queue_lag_ms"]["max"] or 0.0
    table.append(("execution environment killed mid-batch", "sqs",
                  f"processed {reconciled['processed']} of {reconciled['sent']}, {len(workers)} worker(s) killed, "
                  f"{failed['total']} failed invocation(s) seen, longest queue lag {lag / 1000:.1f} s",
                  str(reconciled["lost"])))
    assert reconciled["status"] == "ok" and list(reconciled["by_variant"]) == [vid]
    assert reconciled["by_variant"][vid] == clean_row(10)
    assert successes(cloud, vid, run_id) == Counter(range(10))  # each once, none lost with the crash


def test_the_emulator_killed_mid_run_is_accounted_for_loudly(local_cloud_settings: Settings, cloud: StackOutputs,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             table: list[Row]) -> None:
    """A MiniStack of its own, killed (SIGKILL, by pid) while loadgen sends: loadgen counts every later send as
    failed, never as sent; MiniStack keeps its queues and logs in memory, so once a fresh one is up, analysis
    reports exactly the messages accepted before the kill as unaccounted for (exit 3), never a false ok."""
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path / "state"))
    settings = replace(local_cloud_settings, architectures=("arm64",), control="none")
    outputs = localcloud.up(settings)
    try:
        state = localcloud.read_state()
        assert state is not None and state.ministack is not None
        run_id = new_run_id() + "-k"
        with ThreadPoolExecutor(max_workers=1) as pool:
            run = pool.submit(load, outputs, run_id, "sqs", 20, 3)
            time.sleep(1.0)
            os.kill(state.ministack.pid, signal.SIGKILL)
            manifest = run.result()
        ((vid, counts),) = manifest.targets.items()
        assert "was not running" in localcloud.down()
        fresh = localcloud.up(settings, port=state.ministack.port)
        comparison = compare_run(run_id, outputs=fresh, wait_s=0, plots=False)
        reconciled = comparison.result.summary["reconciliation"]
        table.append(("emulator killed mid-run (then a fresh one)", "sqs",
                      f"loadgen: {counts.sent} sent, {counts.failed} failed of {counts.scheduled}; analysis: "
                      f"status {reconciled['status']}", f"{reconciled['lost']} (all it had accepted)"))
        assert counts.sent > 0 and counts.failed > 0 and counts.sent + counts.failed == counts.scheduled == 60
        assert reconciled["status"] == "lost" and reconciled["by_variant"][vid]["lost"] == counts.sent
        assert comparison.problem == f"{vid}: {counts.sent} of {counts.sent} messages sent are unaccounted for"
    finally:
        localcloud.down()
