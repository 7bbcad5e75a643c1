"""What the user sees: the live table, the plain progress line, and who signs API requests."""

from __future__ import annotations

from rich.console import Console

from loadgen.clients import api_signer
from loadgen.parsing import WorkloadShare
from loadgen.plan import build_plan
from loadgen.progress import plain_line, render
from loadgen.schedule import Profile
from loadgen.stats import RequestRecord, RunStats
from stack import FunctionOutputs, StackOutputs

RUN_ID = "20261125T080000Z-3fa2"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_table_shows_sent_rates_lag_and_errors_per_architecture() -> None:
    plan = build_plan(RUN_ID, Profile("sustained", 10.0, 10.0), (WorkloadShare("noop", 1.0, 0),), 1, 0)
    clock = Clock()
    stats = RunStats(("arm64", "x86_64"), clock=clock)
    stats.mark_start(clock.now)
    clock.now += 5.0
    stats.mark_dispatched(50)
    stats.begin("arm64", [clock.now - 0.5] * 50)  # half a second late: all 50 "started late"
    stats.finish("arm64", sent=48, failed=2)
    stats.begin("x86_64", [clock.now] * 40)
    for seq in range(40):
        stats.answer(RequestRecord("x86_64", seq, 200 if seq else 503, 12.0, 0.0))
    stats.note_error("arm64: SendMessageBatch: boom")

    console = Console(record=True, width=120)
    console.print(render(stats.snapshot(), plan, "sqs"))
    text = console.export_text()
    assert RUN_ID in text and "due 50/100" in text and "lag p50 500.0 ms" in text
    arm = next(line for line in text.splitlines() if line.startswith("arm64"))
    x86 = next(line for line in text.splitlines() if line.startswith("x86_64"))
    assert arm.split() == ["arm64", "48", "10.0", "9.6", "0", "50", "0", "2"]
    assert x86.split() == ["x86_64", "40", "10.0", "8.0", "10", "0", "0", "1"]  # the 503 is an error
    assert "last error: arm64: SendMessageBatch: boom" in text
    line = plain_line(stats.snapshot(), plan)
    assert line.startswith(f"run {RUN_ID}: 5/10 s, due 50/100;") and "arm64 sent 48 errors 2 late 50" in line


def outputs(local: bool) -> StackOutputs:
    fn = FunctionOutputs("f", "q", "d", "/aws/lambda/f", "/arm64/process", 1024, "arm64")
    return StackOutputs("eu-west-1", "http://127.0.0.1:1" if local else None, "http://api", {"arm64": fn})


def test_local_cloud_without_credentials_is_signed_with_dummy_ones(no_credentials: None) -> None:
    signer = api_signer(outputs(local=True))
    assert signer is not None
    headers = signer.headers("POST", "http://127.0.0.1:1/_aws/execute-api/x/$default/arm64/process", b"{}")
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=test/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]


def test_aws_without_credentials_sends_unsigned(no_credentials: None) -> None:
    assert api_signer(outputs(local=False)) is None
