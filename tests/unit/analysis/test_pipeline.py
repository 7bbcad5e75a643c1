"""``compare_run`` and the command over it, on a synthetic run served by stubbed CloudWatch Logs and SQS clients."""

import json
import re
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from analysis import TimeWindow, build_run_data, compare_run, summarize, unknown
from analysis.compare import main
from analysis.logevents import EMF_FILTER, EVENT_CAP, REPORT_FILTER
from analysis.render import to_json
from analysis.summary import Context
from analysis.synthetic import ARM64, X86_64, SyntheticRun, SyntheticSpec, synthetic_run
from core import EXIT_UNACCOUNTED, RunManifest, TargetCounts, write_manifest
from stack import StackOutputs

RUN = "20261125T080000Z-3fa2"
ARM, X86 = ARM64.id, X86_64.id
ITEMS = 200  # per architecture, 10 per invocation, every 5th invocation cold
# A local run (MiniStack's REPORT lines, every CPU one host's): no architecture is named, whatever the ratio.
LOCAL_PREFIX = ("Local emulation — both functions ran on the host's aarch64 and x86_64 CPU, so this is functional, "
                "not architectural, evidence: warm latency — no architectural verdict: local emulation: noop (ratio ")


@pytest.fixture(scope="module")
def run() -> SyntheticRun:
    return synthetic_run(SyntheticSpec(RUN, ITEMS, workloads=("sort", "noop"), report_style="ministack",
                                       cold_every=5))


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("ARCHBENCH_REPORTS_DIR", str(tmp_path / "reports"))


def local_stack(run: SyntheticRun) -> StackOutputs:
    return run.outputs("http://127.0.0.1:4566")


@pytest.fixture
def clients(monkeypatch):
    """Stubbed logs and sqs clients, handed out by every ``StackOutputs.client`` call."""
    made = {service: boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
            for service in ("logs", "sqs")}
    stubs = {service: Stubber(client) for service, client in made.items()}
    monkeypatch.setattr(StackOutputs, "client", lambda self, service, **config: made[service])
    for stub in stubs.values():
        stub.activate()
    yield stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def serve_logs(stub: Stubber, run: SyntheticRun, stack: StackOutputs, window: TimeWindow | None = None) -> None:
    """FilterLogEvents as MiniStack answers it: per log group, the EMF documents, then the REPORT lines."""
    for group in stack.log_groups:
        for pattern in (EMF_FILTER, REPORT_FILTER):
            events = [{"timestamp": e.timestamp_ms, "message": e.message} for e in run.events
                      if e.log_group == group and pattern.strip('"') in e.message]
            stub.add_response("filter_log_events", {"events": events}, {
                "logGroupName": group, "startTime": window.start_ms if window else ANY,
                "endTime": window.end_ms if window else ANY, "filterPattern": pattern, "limit": EVENT_CAP})


def serve_empty_queues(stub: Stubber, stack: StackOutputs) -> None:
    """Each main queue's redelivery bound (12 s × 2 receives, as the e2e settings give), then empty queues."""
    policy = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": 2})
    for fn in stack.variants.values():
        stub.add_response("get_queue_attributes", {"Attributes": {"VisibilityTimeout": "12", "RedrivePolicy": policy}},
                          {"QueueUrl": fn.queue_url, "AttributeNames": ["VisibilityTimeout", "RedrivePolicy"]})
    attributes = {"Attributes": {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}}
    for fn in stack.variants.values():
        for url in (fn.queue_url, fn.dlq_url):
            stub.add_response("get_queue_attributes", attributes, {"QueueUrl": url, "AttributeNames": ANY})


def record_manifest(run: SyntheticRun, stack: StackOutputs, sent: int) -> None:
    stamps = [event.timestamp_ms for event in run.events]
    write_manifest(RunManifest(run_id=RUN, started_at=min(stamps) / 1000, ended_at=max(stamps) / 1000,
                               interrupted=False, config={"target": "sqs"}, outputs=stack.to_dict(),
                               targets={vid: TargetCounts(scheduled=sent, sent=sent) for vid in stack.functions}))


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def test_compare_run_gives_the_known_summary_of_a_run_made_elsewhere(run, clients, tmp_path):
    stack = local_stack(run)
    window = TimeWindow(run.events[0].timestamp_ms - 60_000, run.events[-1].timestamp_ms + 60_000)
    serve_logs(clients["logs"], run, stack, window)
    notices: list[str] = []
    comparison = compare_run(RUN, window=window, outputs=stack, out_dir=tmp_path / "report", plots=False,
                             notice=notices.append)

    lines = [e for e in run.events if RUN in e.message or e.message.startswith("REPORT")]
    expected = summarize(build_run_data(lines, RUN), Context(
        source="log-events", outputs=stack, manifest=None,
        reconciliation=unknown("no run manifest on this machine: the run was made elsewhere"),
        window={"start": iso(window.start_ms), "end": iso(window.end_ms), "from_manifest": False}))
    assert to_json(comparison.result.summary) == to_json(expected.summary)
    verdict = comparison.result.summary["verdict"]
    assert verdict.startswith(LOCAL_PREFIX) and "environments), sort (ratio " in verdict
    assert "as fast as" not in verdict and "cost 32 % less" not in verdict  # no winner named
    assert comparison.result.summary["variants"][ARM]["lambda_invocations"] == ITEMS // 10
    assert (comparison.source, comparison.lines, comparison.problem) == ("log-events", len(lines), None)
    assert comparison.directory == tmp_path / "report"
    assert json.loads((comparison.directory / "summary.json").read_text()) == json.loads(to_json(expected.summary))
    assert len(notices) == 1 and re.fullmatch(
        rf"read {len(lines)} log lines from log-events in \d+\.\d s: {2 * ITEMS} work items, "
        rf"{2 * ITEMS // 10} Lambda invocations", notices[0])


def test_compare_run_reconciles_against_the_manifest_and_names_what_is_missing(run, clients):
    stack = local_stack(run)
    record_manifest(run, stack, sent=ITEMS + 5)
    serve_logs(clients["logs"], run, stack)
    serve_empty_queues(clients["sqs"], stack)
    comparison = compare_run(wait_s=0, plots=False)  # the newest manifest, its own stack outputs
    summary = comparison.result.summary
    assert summary["window"]["from_manifest"] and summary["interrupted"] is False
    ended_ms = max(event.timestamp_ms for event in run.events)
    assert summary["window"]["end"] == iso(ended_ms + (12 * 2 + 60) * 1000)  # redelivery bound + slack
    assert summary["reconciliation"]["by_variant"][ARM] == {
        "sent": ITEMS + 5, "processed": ITEMS, "failed": 0, "in_dlq": 0, "in_flight": 0, "lost": 5}
    assert comparison.problem == (f"{ARM}: 5 of 205 messages sent are unaccounted for; "
                                  f"{X86}: 5 of 205 messages sent are unaccounted for")
    assert "do not add up (lost = 10)" in summary["verdict"]


def test_the_command_prints_the_summary_and_exits_3_when_messages_are_missing(run, clients, capsys, tmp_path):
    stack = local_stack(run)
    record_manifest(run, stack, sent=ITEMS + 5)
    serve_logs(clients["logs"], run, stack)
    serve_empty_queues(clients["sqs"], stack)
    code = main(["--format", "json", "--wait", "0s", "--no-plots"])
    out, err = capsys.readouterr()
    assert code == EXIT_UNACCOUNTED
    report = tmp_path / "reports" / RUN
    assert json.loads(out) == json.loads((report / "summary.json").read_text())
    assert json.loads(out)["reconciliation"]["lost"] == 10
    assert err.splitlines()[1:] == [f"report: {report}", f"messages lost or unaccounted for: {ARM}: 5 of 205 "
                                    f"messages sent are unaccounted for; {X86}: 5 of 205 messages sent are "
                                    "unaccounted for"]
