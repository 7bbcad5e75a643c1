"""What the user sees: the live table, the plain progress line, and who signs API requests."""

from __future__ import annotations

from rich.console import Console

from loadgen.clients import api_signer
from loadgen.parsing import WorkloadShare
from loadgen.plan import build_plan
from loadgen.progress import plain_line, render
from loadgen.schedule import Profile
from loadgen.stats import RequestRecord, RunStats
from stack import StackOutputs
from tests.unit.loadgen.fake_api import outputs_dict, variant

RUN_ID = "20261125T080000Z-3fa2"
ARM, X86, TWIN = "py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_table_shows_sent_rates_lag_and_errors_per_variant() -> None:
    plan = build_plan(RUN_ID, Profile("sustained", 10.0, 10.0), (WorkloadShare("noop", 1.0, 0),), 1, 0)
    clock = Clock()
    stats = RunStats((ARM, X86, TWIN), clock=clock)
    stats.mark_start(clock.now)
    clock.now += 5.0
    stats.mark_dispatched(50)
    stats.begin(ARM, [clock.now - 0.5] * 50)  # half a second late: all 50 "started late"
    stats.finish(ARM, sent=48, failed=2)
    stats.begin(X86, [clock.now] * 40)
    for seq in range(40):
        stats.answer(RequestRecord(X86, seq, 200 if seq else 503, 12.0, 0.0, 12.0))
    stats.begin(TWIN, [clock.now] * 50)
    stats.finish(TWIN, sent=50)
    stats.note_error(f"{ARM}: SendMessageBatch: boom")

    console = Console(record=True, width=120)
    console.print(render(stats.snapshot(), plan, "sqs"))
    text = console.export_text()
    assert RUN_ID in text and "due 50/100" in text and "lag p50 0.0 ms" in text
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith("py313")}
    assert rows == {ARM: ["48", "10.0", "9.6", "0", "50", "0", "2"],
                    X86: ["40", "10.0", "8.0", "10", "0", "0", "1"],  # the 503 is an error
                    TWIN: ["50", "10.0", "10.0", "0", "0", "0", "0"]}
    assert f"last error: {ARM}: SendMessageBatch: boom" in text
    line = plain_line(stats.snapshot(), plan)
    assert line == (f"run {RUN_ID}: 5/10 s, due 50/100; sent 40–50 per variant (3 variants), errors 3 "
                    f"({ARM} 2, {X86} 1), late 50; lag p99 500.0 ms")


def test_the_plain_line_stays_one_short_line_for_the_largest_matrix() -> None:
    plan = build_plan(RUN_ID, Profile("sustained", 10.0, 10.0), (WorkloadShare("noop", 1.0, 0),), 1, 0)
    ids = tuple(f"py313-{128 * (i + 1)}-arm64" for i in range(32))
    stats = RunStats(ids)
    for variant_id in ids:
        stats.finish(variant_id, sent=7)
    line = plain_line(stats.snapshot(), plan)
    assert "sent 7 per variant (32 variants), errors 0, late 0" in line and len(line) < 160


def outputs(local: bool) -> StackOutputs:
    data = outputs_dict("http://127.0.0.1:1", local, (variant("arm64"),))
    return StackOutputs.from_dict({**data, "region": "eu-west-1"})


def test_local_cloud_without_credentials_is_signed_with_dummy_ones(no_credentials: None) -> None:
    signer = api_signer(outputs(local=True))
    assert signer is not None
    headers = signer.headers("POST", "http://127.0.0.1:1/_aws/execute-api/x/$default/arm64/process", b"{}")
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=test/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]


def test_aws_without_credentials_sends_unsigned(no_credentials: None) -> None:
    assert api_signer(outputs(local=False)) is None
