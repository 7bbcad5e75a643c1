"""Sender processes against a local HTTP server: slices started at one instant, merged into one manifest."""

from __future__ import annotations

import csv
import os
import signal
import threading
import time

import psutil
import pytest

from core import read_manifest, run_dir
from loadgen import LoadRequest, Profile, RunStats, WorkloadShare, plan_load, run_load
from loadgen.cli import main
from stack import StackOutputs
from tests.unit.loadgen.fake_api import VARIANTS, outputs_dict, outputs_file, received_by_variant

RUN_ID = "20261125T080000Z-3fa2"


def load_for(outputs: StackOutputs, rate: float, duration: float, processes: int):
    request = LoadRequest(rate_text=f"{rate:g}/s", profile=Profile("sustained", rate, duration),
                          mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=4, run_id=RUN_ID, target="api",
                          processes=processes)
    return plan_load(request, outputs)


def test_two_processes_send_every_seq_once_to_every_variant_and_their_counts_add(api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api))
    load = load_for(outputs, 20.0, 1.0, processes=2)
    manifest = run_load(load, outputs, stop=threading.Event())

    assert all(sorted(received) == list(range(20)) for received in received_by_variant().values())
    assert manifest.to_dict() == read_manifest(RUN_ID).to_dict() and not manifest.interrupted
    for variant_id in VARIANTS:
        counts = manifest.targets[variant_id]
        assert (counts.scheduled, counts.sent, counts.failed, counts.http_status) == (20, 20, 0, {"200": 19, "400": 1})
    assert manifest.config["processes"] == 2
    sent_by = manifest.config["sent_by"]
    assert sent_by["kind"] == "processes" and sent_by["count"] == 2
    assert [(s["index"], s["scheduled"], s["status"]) for s in sent_by["senders"]] == [(0, 10, "reported"),
                                                                                      (1, 10, "reported")]
    assert all(abs(s["clock_offset_ms"]) < 50 for s in sent_by["senders"])  # one machine, one clock
    assert manifest.achieved_rate_per_s == pytest.approx(20.0, rel=0.05)
    assert 0 < manifest.lag_ms["p50"] <= manifest.lag_ms["p99"] <= manifest.lag_ms["max"] < 500
    with (run_dir(RUN_ID) / "requests.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 60 and sorted({int(r["seq"]) for r in rows}) == list(range(20))


def test_a_sender_process_that_dies_is_named_and_its_slice_counted_as_not_sent(api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api))
    load = load_for(outputs, 10.0, 2.0, processes=2)
    stats = RunStats(load.variants)

    def kill_one() -> None:  # our own child, by its pid, once the schedule runs
        children = sorted(psutil.Process().children(), key=lambda p: p.create_time())
        senders = [c for c in children if "spawn" in " ".join(c.cmdline())]
        os.kill(senders[-1].pid, signal.SIGKILL)

    class Live:
        def __enter__(self) -> None:
            threading.Timer(0.3, kill_one).start()

        def __exit__(self, *exc: object) -> None:
            return None

    manifest = run_load(load, outputs, stop=threading.Event(), stats=stats, live=Live())
    senders = manifest.config["sent_by"]["senders"]
    failed = [s for s in senders if s["status"] == "failed"]
    assert len(failed) == 1 and "exited with code -9" in failed[0]["error"]
    reported = next(s for s in senders if s["status"] == "reported")
    for counts in manifest.targets.values():
        # The survivor's slice was sent; the dead one's whole slice is failed, never missing.
        assert counts.scheduled == counts.sent + counts.failed == 20
        assert counts.sent == reported["scheduled"] and counts.failed == failed[0]["scheduled"] == 10


def test_ctrl_c_stops_every_process_and_writes_the_merged_manifest_interrupted(tmp_path, api: str) -> None:
    threading.Timer(2.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    code = main(["--rate", "20/s", "--duration", "1m", "--target", "api", "--workload", "noop", "--processes", "2",
                 "--outputs", outputs_file(tmp_path, api)])
    assert code == 130 and time.monotonic() - started < 15
    manifest = read_manifest(None)
    assert manifest.interrupted and manifest.config["sent_by"]["count"] == 2
    assert [s["status"] for s in manifest.config["sent_by"]["senders"]] == ["reported", "reported"]
    for variant in VARIANTS:
        counts = manifest.targets[variant]
        assert 0 < counts.scheduled < 1200 and counts.scheduled == counts.sent + counts.failed
        assert len(received_by_variant()[variant]) == counts.sent


@pytest.mark.parametrize(("args", "message"), [
    (["--processes", "0"], "--processes must be at least 1"),
    (["--processes", "2", "--rounds", "2"], "--processes 2 is not for --rounds"),
    (["--processes", "20"], "--processes must be 1–10 (at most one per request), got 20"),
])
def test_process_mistakes_are_one_line(args: list[str], message: str, capsys) -> None:
    assert main(["--rate", "5/s", "--duration", "2s", "--workload", "noop", "--dry-run", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.usefixtures("no_credentials")
def test_the_unsigned_notice_of_every_process_is_said_once(api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api, local=False))
    notices: list[str] = []
    manifest = run_load(load_for(outputs, 10.0, 0.4, processes=2), outputs, stop=threading.Event(),
                        notice=notices.append)
    assert len(notices) == 1 and "no AWS credentials found, requests go unsigned" in notices[0]
    assert all(counts.sent == 4 for counts in manifest.targets.values())
