"""One bad or slow item never takes its neighbours down: hostile bodies, resource faults, the time budget, bounded
messages and the logged validation error, through handlers.app.handler with AWS event shapes.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from typing import Any

import pytest

from handlers import app, deadline, processing
from handlers.batches import OverBudget, message_id_of
from handlers.contract import ENV_ALLOWED_WORKLOADS, ENV_ARCHITECTURE
from handlers.deadline import MIN_START_MS, RESERVE_MS, DeadlineExceeded, InvocationClock, call_within
from handlers.environment import LocalContext
from handlers.logs import (
    DEADLINE_RECORD_TYPE,
    DEFERRED_RECORD_TYPE,
    MESSAGE_MAX_CHARS,
    REQUEST_ERROR_RECORD_TYPE,
    bounded,
)
from handlers.workloads import WORKLOADS, Workload
from tests.unit.handlers.test_app import CONTEXT, HTTP_API_V2, REST_V1, RUN_ID, api_event, printed, request, sqs_event

DEEP = "[" * 100_000 + "]" * 100_000  # valid JSON that json.loads cannot decode: RecursionError
SLOW_LIMIT_S = 30.0  # the slow workload gives up by itself after this, so a broken budget cannot hang the suite


@pytest.fixture(autouse=True)
def _function_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ARCHITECTURE, "arm64")
    monkeypatch.delenv(ENV_ALLOWED_WORKLOADS, raising=False)


class ShortContext(LocalContext):
    """A context whose invocation ends ``remaining_ms`` after it was made, counting down like Lambda's."""

    def __init__(self, remaining_ms: float = 1_500.0) -> None:
        super().__init__()
        self.ends_at = time.monotonic() + remaining_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(0, int((self.ends_at - time.monotonic()) * 1000.0))


def _workload(name: str, compute: Any) -> Workload:
    return Workload(name=name, description=name, size_unit="-", min_size=0, max_size=0, default_size=0,
                    max_iterations=1, prepare=lambda size, seed: None, compute=compute, digest=str,
                    peak_mb=lambda size: 0.0)


def _spin(data: object) -> object:
    end = time.monotonic() + SLOW_LIMIT_S
    while time.monotonic() < end:
        pass
    return "gave up"


def _stubborn(data: object) -> object:
    """Swallows every Exception it sees, as careless workload code might: the deadline must still stop it."""
    end = time.monotonic() + SLOW_LIMIT_S
    while time.monotonic() < end:
        with contextlib.suppress(Exception):  # the point of the test
            time.sleep(0.005)
    return "gave up"


def _nap() -> str:
    time.sleep(0.05)
    return "ok"


def _out_of_memory(data: object) -> object:
    raise MemoryError


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(WORKLOADS, "slow", _workload("slow", _spin))
    monkeypatch.setitem(WORKLOADS, "stubborn", _workload("stubborn", _stubborn))
    monkeypatch.setitem(WORKLOADS, "hungry", _workload("hungry", _out_of_memory))


@pytest.fixture(autouse=True)
def _no_timer_left_behind() -> Any:
    before = signal.getsignal(signal.SIGALRM)
    yield
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def _logs_of(logs: list[dict], record_type: str) -> list[dict]:
    return [log for log in logs if log.get("type") == record_type]


# --- hostile bodies -------------------------------------------------------------------------------------------
def test_a_deeply_nested_body_fails_alone_in_its_sqs_batch(capsys: pytest.CaptureFixture[str]) -> None:
    event = sqs_event(json.dumps(request(1)), json.dumps(request(2, "sort", size=50)), DEEP, json.dumps(request(3)),
                      "{" * 50_000)
    assert app.handler(event, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": "msg-2"},
                                                                 {"itemIdentifier": "msg-4"}]}
    docs, logs = printed(capsys)
    assert [(d["MessageId"], d["Seq"], d["Errors"], d["ErrorType"]) for d in docs] == [
        ("msg-0", 1, 0, None), ("msg-1", 2, 0, None), ("msg-2", None, 1, "invalid_json"), ("msg-3", 3, 0, None),
        ("msg-4", None, 1, "invalid_json")]
    assert docs[2]["Workload"] == "invalid"
    errors = _logs_of(logs, REQUEST_ERROR_RECORD_TYPE)
    assert [(e["MessageId"], e["code"], e["Trigger"]) for e in errors] == [("msg-2", "invalid_json", "sqs"),
                                                                          ("msg-4", "invalid_json", "sqs")]
    assert errors[0]["message"] == "body is nested too deeply to decode"


@pytest.mark.parametrize("template", [HTTP_API_V2, REST_V1], ids=["http-api-2.0", "rest-v1"])
@pytest.mark.parametrize("base64_encoded", [False, True], ids=["text", "base64"])
def test_a_deeply_nested_body_is_a_400_over_http(template: dict, base64_encoded: bool,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    response = app.handler(api_event(template, DEEP, base64_encoded=base64_encoded), CONTEXT)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": {"code": "invalid_json",
                                                      "message": "body is nested too deeply to decode"}}
    docs, _ = printed(capsys)
    assert [(d["Errors"], d["ErrorType"], d["Trigger"]) for d in docs] == [(1, "invalid_json", "api")]


def test_a_deeply_nested_direct_event_is_an_error_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert app.handler(DEEP, CONTEXT)["error"]["code"] == "invalid_json"


def test_a_number_too_large_for_a_float_is_refused_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps(request(5)).replace("}", ', "sent_at": ' + "9" * 400 + "}")
    response = app.handler(api_event(HTTP_API_V2, body), CONTEXT)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] in {"out_of_bounds", "invalid_value", "invalid_type"}
    docs, _ = printed(capsys)
    assert (docs[0]["Errors"], docs[0]["RunId"], docs[0]["Seq"]) == (1, RUN_ID, 5)  # still counted in its run


def test_memory_exhausted_while_decoding_fails_only_that_item(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    real = processing.parse_work_request

    def parse(obj: Any, *args: Any) -> Any:
        if isinstance(obj, str) and "hog" in obj:
            raise MemoryError
        return real(obj, *args)

    monkeypatch.setattr(processing, "parse_work_request", parse)
    event = sqs_event(json.dumps(request(6)), '{"hog": 1}', json.dumps(request(7)))
    assert app.handler(event, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    docs, _ = printed(capsys)
    assert [(d["Seq"], d["ErrorType"]) for d in docs] == [(6, None), (None, "resource_exhausted"), (7, None)]
    response = app.handler(api_event(HTTP_API_V2, '{"hog": 1}'), CONTEXT)
    error = json.loads(response["body"])["error"]
    assert (response["statusCode"], error["code"], error["request_id"]) == (
        500, "resource_exhausted", CONTEXT.aws_request_id)


def test_a_workload_out_of_memory_is_500_resource_exhausted(slow: None, capsys: pytest.CaptureFixture[str]) -> None:
    response = app.handler(api_event(HTTP_API_V2, json.dumps(request(8, "hungry"))), CONTEXT)
    error = json.loads(response["body"])["error"]
    assert (response["statusCode"], error["code"]) == (500, "resource_exhausted")
    docs, _ = printed(capsys)
    assert (docs[0]["ErrorType"], docs[0]["Workload"]) == ("MemoryError", "hungry")


# --- bounded messages -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    json.dumps(request(9, "w" * 1_600_000)),
    json.dumps({**request(9), "x" * 800_000: 1, "y" * 800_000: 2}),
    json.dumps({**request(9), "run_id": "r" * 1_600_000}),
], ids=["workload-name", "unknown-fields", "run-id"])
def test_an_answer_and_its_log_line_never_echo_an_unbounded_input(body: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    response = app.handler(api_event(HTTP_API_V2, body), CONTEXT)
    assert response["statusCode"] == 400
    assert len(response["body"]) < MESSAGE_MAX_CHARS + 200
    message = json.loads(response["body"])["error"]["message"]
    assert message.endswith(" more characters)")
    [sqs_failure] = app.handler(sqs_event(body), CONTEXT)["batchItemFailures"]
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) < 2 * MESSAGE_MAX_CHARS + 1_000
    assert sqs_failure == {"itemIdentifier": "msg-0"}


def test_bounded_keeps_short_text_and_says_how_much_was_cut() -> None:
    assert bounded("short") == "short"
    assert bounded("a" * 10, limit=4) == "aaaa… (6 more characters)"


# --- the logged validation error --------------------------------------------------------------------------------
def test_the_logged_validation_error_has_code_field_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    app.handler(sqs_event(json.dumps(request(10, "sort", size=-1))), CONTEXT)
    _, logs = printed(capsys)
    [log] = _logs_of(logs, REQUEST_ERROR_RECORD_TYPE)
    assert log["level"] == "WARNING"
    assert (log["RequestId"], log["RunId"], log["Seq"], log["Trigger"], log["MessageId"], log["code"]) == (
        CONTEXT.aws_request_id, RUN_ID, 10, "sqs", "msg-0", "out_of_bounds")
    assert log["field"] == "size" and "'size'" in log["message"]


def test_each_logged_validation_error_names_its_field(capsys: pytest.CaptureFixture[str]) -> None:
    bodies = [json.dumps(request(11, seed=-1)), json.dumps({"run_id": RUN_ID, "seq": 12}),
              json.dumps(request(13, run_id="not a run id")), json.dumps({**request(14), "colour": "red"}), "{"]
    app.handler(sqs_event(*bodies), CONTEXT)
    _, logs = printed(capsys)
    assert [(log["code"], log["field"]) for log in _logs_of(logs, REQUEST_ERROR_RECORD_TYPE)] == [
        ("out_of_bounds", "seed"), ("missing_field", "workload"), ("invalid_value", "run_id"),
        ("unknown_field", None), ("invalid_json", None)]


# --- the time budget ----------------------------------------------------------------------------------------------
def test_a_slow_item_fails_alone_and_the_items_that_cannot_start_are_handed_back(
        slow: None, capsys: pytest.CaptureFixture[str]) -> None:
    context = ShortContext(remaining_ms=1_500)
    event = sqs_event(json.dumps(request(20)), json.dumps(request(21)), json.dumps(request(22, "slow")),
                      json.dumps(request(23)), json.dumps(request(24)))
    started = time.monotonic()
    answer = app.handler(event, context)
    elapsed_ms = (time.monotonic() - started) * 1000.0
    assert answer == {"batchItemFailures": [{"itemIdentifier": f"msg-{i}"} for i in (2, 3, 4)]}
    assert elapsed_ms < 1_500 - RESERVE_MS / 2  # stopped before the function would have timed out
    docs, logs = printed(capsys)
    # the noops before it ran once; the slow one failed with its error type; the rest were not started (no document)
    assert [(d["MessageId"], d["Seq"], d["Errors"], d["ErrorType"]) for d in docs] == [
        ("msg-0", 20, 0, None), ("msg-1", 21, 0, None), ("msg-2", 22, 1, "deadline_exceeded")]
    assert docs[2]["Workload"] == "slow" and "WorkloadMs" not in docs[2]
    assert docs[2]["HandlerMs"] >= 1_500 - RESERVE_MS - 100
    [stopped] = _logs_of(logs, DEADLINE_RECORD_TYPE)
    assert (stopped["Seq"], stopped["MessageId"], stopped["reserve_ms"]) == (22, "msg-2", RESERVE_MS)
    [deferred] = _logs_of(logs, DEFERRED_RECORD_TYPE)
    assert (deferred["count"], deferred["message_ids"]) == (2, ["msg-3", "msg-4"])
    assert deferred["remaining_ms"] < RESERVE_MS + MIN_START_MS


def _redelivered(event: dict[str, Any], *indices: int) -> dict[str, Any]:
    """The records ``indices`` of ``event`` as SQS delivers them again: in their order, received once more."""
    records = [dict(event["Records"][i]) for i in indices]
    for record in records:
        record["attributes"] = {**record["attributes"], "ApproximateReceiveCount": "2"}
    return {"Records": records}


def test_when_sqs_delivers_the_batch_again_the_neighbours_run_before_the_slow_item(
        slow: None, capsys: pytest.CaptureFixture[str]) -> None:
    first = sqs_event(json.dumps(request(40, "slow")), json.dumps(request(41)), json.dumps(request(42)))
    assert app.handler(first, ShortContext(remaining_ms=1_200)) == {
        "batchItemFailures": [{"itemIdentifier": f"msg-{i}"} for i in (0, 1, 2)]}
    capsys.readouterr()
    answer = app.handler(_redelivered(first, 0, 1, 2), ShortContext(remaining_ms=1_200))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}  # only the slow one, again
    docs, logs = printed(capsys)
    assert [(d["MessageId"], d["ErrorType"]) for d in docs] == [
        ("msg-1", None), ("msg-2", None), ("msg-0", "deadline_exceeded")]
    assert _logs_of(logs, DEFERRED_RECORD_TYPE) == []


def test_in_another_environment_a_retried_slow_item_leaves_its_neighbours_time(
        slow: None, capsys: pytest.CaptureFixture[str]) -> None:
    first = sqs_event(json.dumps(request(50, "slow")), json.dumps(request(51)), json.dumps(request(52)))
    again = _redelivered(first, 0, 1, 2)  # this environment never saw msg-0 run out of time
    again["Records"][1]["attributes"]["ApproximateReceiveCount"] = float("inf")  # a hand-made event: a first delivery
    again["Records"][2]["attributes"]["ApproximateReceiveCount"] = "not a number"  # read as a first delivery too
    answer = app.handler(again, ShortContext(remaining_ms=1_500))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    docs, logs = printed(capsys)
    assert [(d["MessageId"], d["ErrorType"]) for d in docs] == [
        ("msg-0", "deadline_exceeded"), ("msg-1", None), ("msg-2", None)]
    [stopped] = _logs_of(logs, DEADLINE_RECORD_TYPE)
    assert stopped["budget_ms"] <= 1_500 - RESERVE_MS - 2 * MIN_START_MS  # a start left for each neighbour


def test_the_memory_of_over_budget_messages_is_bounded_and_forgets_the_oldest() -> None:
    memory = OverBudget(limit=2)
    for message_id in ("a", "b", "a", "c"):  # remembering "a" again makes it the newest
        memory.remember(message_id)
    assert ("a" in memory, "b" in memory, "c" in memory) == (True, False, True)
    records = [{"messageId": m} for m in ("c", "x", "a", "y")]
    assert [message_id_of(r) for r in memory.run_order(records)] == ["x", "y", "c", "a"]


def test_a_batch_arriving_with_too_little_time_is_handed_back_whole(capsys: pytest.CaptureFixture[str]) -> None:
    context = ShortContext(remaining_ms=RESERVE_MS + MIN_START_MS - 50)
    answer = app.handler(sqs_event(json.dumps(request(30)), json.dumps(request(31))), context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}
    docs, logs = printed(capsys)
    assert docs == [] and [log["count"] for log in _logs_of(logs, DEFERRED_RECORD_TYPE)] == [2]


def test_a_workload_that_swallows_exceptions_is_still_stopped(slow: None,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    answer = app.handler(sqs_event(json.dumps(request(32, "stubborn")), json.dumps(request(33))),
                         ShortContext(remaining_ms=1_200))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}
    docs, _ = printed(capsys)
    assert [(d["Seq"], d["ErrorType"]) for d in docs] == [(32, "deadline_exceeded")]


@pytest.mark.parametrize("template", [HTTP_API_V2, REST_V1], ids=["http-api-2.0", "rest-v1"])
def test_over_http_a_deadline_is_504_with_a_json_error(template: dict, slow: None,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    response = app.handler(api_event(template, json.dumps(request(40, "slow"))), ShortContext(remaining_ms=1_000))
    assert response["statusCode"] == 504
    error = json.loads(response["body"])["error"]
    assert (error["code"], error["request_id"]) == ("deadline_exceeded", LocalContext.aws_request_id)
    assert "'slow'" in error["message"] and "budget" in error["message"]
    docs, _ = printed(capsys)
    assert [(d["Trigger"], d["ErrorType"]) for d in docs] == [("api", "deadline_exceeded")]


def test_a_direct_invoke_out_of_time_is_the_error_object(slow: None, capsys: pytest.CaptureFixture[str]) -> None:
    answer = app.handler(request(41, "slow"), ShortContext(remaining_ms=900))
    assert answer["error"]["code"] == "deadline_exceeded"


def test_valid_requests_answer_the_same_with_and_without_a_clock(capsys: pytest.CaptureFixture[str]) -> None:
    with_clock = app.handler(request(42, "sort", size=100, seed=3), CONTEXT)
    without = app.handler(request(42, "sort", size=100, seed=3), None)
    assert {**with_clock, "workload_ms": 0} == {**without, "workload_ms": 0}


# --- the clock and the timer themselves ----------------------------------------------------------------------------
def test_the_clock_reads_the_context_and_tolerates_its_absence() -> None:
    assert InvocationClock.from_context(None).remaining_ms() is None
    assert InvocationClock.from_context(None).can_start() and InvocationClock(None).item_budget_s() is None
    assert InvocationClock(lambda: "garbage").remaining_ms() is None
    assert InvocationClock(lambda: float("nan")).remaining_ms() is None
    assert InvocationClock.from_context(LocalContext()).item_budget_s() == (900_000 - RESERVE_MS) / 1000.0
    assert not InvocationClock(lambda: RESERVE_MS + MIN_START_MS - 1).can_start()
    assert InvocationClock(lambda: RESERVE_MS + MIN_START_MS).can_start()
    assert InvocationClock(lambda: 0).item_budget_s() == 0.001  # starts and is stopped at once, never unbounded
    assert InvocationClock(lambda: 2_000).item_budget_s(waiting=2) == (2_000 - RESERVE_MS - 2 * MIN_START_MS) / 1000
    assert InvocationClock(lambda: 0).item_budget_s(waiting=9) == MIN_START_MS / 1000  # a retry may always start


def test_call_within_returns_the_result_and_stops_a_slow_call() -> None:
    assert call_within(5.0, lambda: 42) == 42
    assert call_within(None, lambda: 43) == 43
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as caught:
        call_within(0.05, lambda: _spin(None))
    assert time.monotonic() - started < 5 and caught.value.budget_s == 0.05


def test_someone_elses_timer_is_left_alone() -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert call_within(0.01, _nap) == "ok"  # not interrupted
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 25  # still theirs, still running
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == []


def test_outside_the_main_thread_the_call_runs_unbounded() -> None:
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(call_within(0.01, _nap)))
    worker.start()
    worker.join(10)
    assert results == ["ok"]


def test_without_setitimer_only_the_not_started_rule_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadline, "_CAN_SIGNAL", False)
    assert call_within(0.01, _nap) == "ok"
