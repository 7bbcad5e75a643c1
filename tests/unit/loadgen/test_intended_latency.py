"""HTTP latency from the intended send time (as wrk2 and k6 report it): a stall that delays sending shows there,
not only in the send lag."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import run_dir
from loadgen import LoadRequest, Profile, RunStats, WorkloadShare, plan_load, run_load
from stack import StackOutputs
from tests.unit.loadgen.fake_api import outputs_dict

RUN_ID = "20261125T080000Z-3fa2"
STALL_S = 0.6
ARM = "py313-1024-arm64"


class Stalling(BaseHTTPRequestHandler):
    """Holds seq 0's answer for ``STALL_S``; answers the rest at once."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if b'"seq":0,' in body:
            time.sleep(STALL_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def stalling_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_stalled_sender_shows_the_stall_in_latency_from_the_intended_send_time(stalling_api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(stalling_api))
    request = LoadRequest(rate_text="10/s", profile=Profile("sustained", 10.0, 1.0),
                          mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=4, run_id=RUN_ID, target="api",
                          senders=1, variants=(ARM,), processes=1)
    load = plan_load(request, outputs)
    stats = RunStats(load.variants)
    run_load(load, outputs, stop=threading.Event(), stats=stats)

    with (run_dir(RUN_ID) / "requests.csv").open() as handle:
        rows = {int(r["seq"]): r for r in csv.DictReader(handle)}
    assert sorted(rows) == list(range(10))
    # Seqs 1–5 were due while the one sender waited on seq 0: each answered at once once sent …
    for seq in range(1, 6):
        row = rows[seq]
        assert float(row["latency_ms"]) < 200
        # … but from the moment it was meant to go, it waited for the stall: lag + response time.
        assert float(row["intended_latency_ms"]) == pytest.approx(float(row["lag_ms"]) + float(row["latency_ms"]),
                                                                  abs=5.0)
    assert float(rows[1]["intended_latency_ms"]) > (STALL_S - 0.1 - 0.05) * 1000
    from_send, from_intent = stats.latency_summary_ms(ARM), stats.latency_summary_ms(ARM, intended=True)
    assert from_send["p50"] < 100 < from_intent["p50"]  # the median request was delayed by the stall
    assert from_intent["max"] >= from_send["max"] >= STALL_S * 1000 * 0.9
