"""``loadgen --events``: each work request carries one of the file's events, chosen by weight, the same for every
variant at each seq; a bad file or an event too large for SQS is one clear line before anything is sent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core import UsageError
from loadgen.cli import main
from loadgen.events import SQS_MESSAGE_MAX_BYTES, load_events
from tests.unit.loadgen.fake_api import VARIANTS, outputs_file, received_by_variant


def write(path: Path, *lines: object) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_every_variant_gets_the_same_event_at_each_seq_by_weight(tmp_path: Path, api: str, capsys) -> None:
    events = write(tmp_path / "events.jsonl", {"event": {"image": "a"}, "weight": 3}, {"event": "plain text"})
    code = main(["--rate", "40/s", "--duration", "1s", "--target", "api", "--events", str(events),
                 "--run-id", "events-run", "--outputs", outputs_file(tmp_path, api, user_function="app.handler")])
    assert code == 0, capsys.readouterr()
    by_variant = received_by_variant()
    assert set(by_variant) == set(VARIANTS)
    for seq in range(40):
        bodies = [received[seq][1] for received in by_variant.values()]
        assert {json.dumps(body["event"]) for body in bodies} == {json.dumps(bodies[0]["event"])}
        assert bodies[0]["workload"] == "function" and "size" in bodies[0]
    counts = Counter(json.dumps(received[seq][1]["event"]) for received in [by_variant[VARIANTS[0]]]
                     for seq in range(40))
    assert counts == {json.dumps({"image": "a"}): 30, json.dumps("plain text"): 10}


def test_a_json_file_is_one_event(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"Records": []}))
    [share] = load_events(path)
    assert (share.name, share.weight, share.event) == ("function", 1.0, {"Records": []})


@pytest.mark.parametrize(("lines", "message"), [
    (["{not json"], "line 1: not valid JSON"),
    ([{"payload": 1}], 'line 1: expected {"event": …, "weight": …} (weight optional)'),
    ([{"event": 1}, {"event": 2, "weight": 0}], "line 2: weight must be a number above 0, got 0"),
    ([{"event": 1, "weight": True}], "line 1: weight must be a number above 0, got True"),
    ([], "no events in it"),
    ([{"event": "x" * SQS_MESSAGE_MAX_BYTES}], "event 1 makes a work request of"),
])
def test_a_bad_events_file_is_one_clear_line(tmp_path: Path, lines: list[object], message: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    with pytest.raises(UsageError) as caught:
        load_events(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_an_event_just_under_the_limit_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "e.jsonl", {"event": "x" * (SQS_MESSAGE_MAX_BYTES - 400)})
    assert len(load_events(tmp_path / "e.jsonl")) == 1


@pytest.mark.parametrize("extra", [["--workload", "sort"], ["--size", "10"], ["--workers", "lambda:2"]])
def test_events_take_the_place_of_workloads(tmp_path: Path, extra: list[str], capsys) -> None:
    events = write(tmp_path / "e.jsonl", {"event": 1})
    assert main(["--rate", "1/s", "--duration", "1s", "--events", str(events), "--dry-run", *extra]) == 2
    assert "--events and " + extra[0] + " cannot be combined" in capsys.readouterr().err


@pytest.mark.parametrize(("user_function", "options", "message"), [
    (None, ["--events", "EVENTS"], "--events is for a stack with archbench:function; this one runs the built-in"),
    ("app.handler", ["--workload", "sort"], "this stack runs your function (archbench:function): send its sample "
                                            "events with --events FILE, not --workload sort"),
], ids=["events to built-in workloads", "a workload to a user's function"])
def test_a_load_the_stack_cannot_run_is_refused_before_sending(tmp_path: Path, api: str, capsys,
                                                               user_function: str | None, options: list[str],
                                                               message: str) -> None:
    events = write(tmp_path / "events.jsonl", {"event": {"image": "a"}})
    options = [str(events) if option == "EVENTS" else option for option in options]
    code = main(["--rate", "10/s", "--duration", "1s", "--target", "api", *options, "--run-id", "kind-run",
                 "--outputs", outputs_file(tmp_path, api, user_function=user_function)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert received_by_variant() == {vid: {} for vid in VARIANTS}  # nothing was sent
