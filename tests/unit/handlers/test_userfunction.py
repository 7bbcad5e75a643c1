"""archbench:function's wrapper (handlers.userfunction) around real user modules, each in a fresh interpreter as a
Lambda execution environment imports it: the event shapes, the timed import, failures per item, a broken module.

The SQS and HTTP shapes are compared with AWS's own sample events (test_app.SQS_RECORD: the Lambda Developer
Guide's "Using Lambda with Amazon SQS" example; test_app.HTTP_API_V2: the API Gateway Developer Guide's "Working
with AWS Lambda proxy integrations for HTTP APIs", payload format version 2.0).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core import PROJECT_ROOT
from handlers.adapters import trigger_of
from handlers.contract import IMPORT_ERROR_TYPE, TRIGGER_API, TRIGGER_SQS, USER_WORKLOAD, WorkRequest
from handlers.events import wrap_event
from handlers.userfunction import without
from handlers.validation import RequestError, parse_work_request
from tests.unit.handlers.test_app import HTTP_API_V2, SQS_RECORD, api_event

RUN_ID = "20261125T080000Z-3fa2"
USER_MODULES = {
    "echo.py": """
import time
time.sleep(0.05)  # a module with a measurable init
def handler(event, context):
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("the user's handler refuses this event")
    return {"received": event}
""",
    "unserialisable.py": "def handler(event, context):\n    return {'value': object()}\n",
    "broken.py": "import no_such_module_anywhere\ndef handler(event, context):\n    return 1\n",
    "always_raises.py": "def handler(event, context):\n    raise RuntimeError('never called by readiness')\n",
    "reporting.py": """
def handler(event, context):
    if "Records" in event:
        body = event["Records"][0]["body"]
        return {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}] if "bad" in body else []}
    return {"statusCode": 503 if "bad" in event["body"] else 200, "body": "{}"}
""",
    "stamped.py": """
import os, time
def handler(event, context):
    return {"value": event, "at": time.time(), "items": [{"pid": os.getpid(), "n": 1}, {"pid": os.getpid()}]}
""",
}
PROBE = r"""
import json, sys
sys.stdout = sys.stderr  # EMF documents go to stderr, answers to the real stdout
try:
    import handlers.userfunction as wrapper
except BaseException as exc:
    print(json.dumps([{"import_raised": type(exc).__name__}]), file=sys.__stdout__)
    raise SystemExit(0)
answers = []
for event in json.loads(sys.argv[1]):
    try:
        answers.append({"answer": wrapper.handler(event, None)})
    except Exception as exc:
        answers.append({"raised": type(exc).__name__, "message": str(exc)})
print(json.dumps(answers), file=sys.__stdout__)
"""


@pytest.fixture(scope="module")
def user_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    code = tmp_path_factory.mktemp("usercode")
    for name, text in USER_MODULES.items():
        (code / name).write_text(text)
    return code


def run_wrapper(code: Path, handler: str, events: list[Any], kind: str = "raw",
                exclude: str = "") -> tuple[list[dict], list[dict]]:
    """Invoke the wrapper with each event in one fresh interpreter: (answers or exceptions, EMF documents)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ARCHBENCH_"))}
    env.update(PYTHONPATH=f"{PROJECT_ROOT}{os.pathsep}{code}", ARCHBENCH_ARCHITECTURE="arm64",
               ARCHBENCH_FUNCTION_HANDLER=handler, ARCHBENCH_FUNCTION_EVENT=kind,
               ARCHBENCH_FUNCTION_DIGEST_EXCLUDE=exclude)
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(events)], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    documents = [json.loads(line) for line in done.stderr.splitlines() if line.startswith('{"Variant"')]
    return json.loads(done.stdout), documents


def work(seq: int, event: Any, **fields: Any) -> dict[str, Any]:
    return {"run_id": RUN_ID, "seq": seq, "workload": USER_WORKLOAD, "event": event, "sent_at": 1796693225.5,
            **fields}


def sqs_batch(*bodies: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{**SQS_RECORD, "messageId": f"m-{n}", "body": json.dumps(body)}
                        for n, body in enumerate(bodies)]}


def digest_of(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


REQUEST = WorkRequest(run_id=RUN_ID, seq=7, workload=USER_WORKLOAD, size=0, sent_at=1796693225.5,
                      event={"image": "x"})


def test_raw_is_the_event_as_given() -> None:
    assert wrap_event("raw", {"image": "x"}, REQUEST) == {"image": "x"}
    assert wrap_event("raw", "text", REQUEST) == "text"


def test_sqs_is_one_record_in_aws_shape_with_the_event_as_its_body() -> None:
    event = wrap_event("sqs", {"image": "x"}, REQUEST)
    [record] = event["Records"]
    assert set(record) == set(SQS_RECORD) and set(record["attributes"]) == set(SQS_RECORD["attributes"])
    assert trigger_of(event) == TRIGGER_SQS
    assert json.loads(record["body"]) == {"image": "x"}
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    assert record["attributes"]["SentTimestamp"] == "1796693225500"
    assert wrap_event("sqs", "plain text", REQUEST)["Records"][0]["body"] == "plain text"
    # the same request gives every variant the same event; another seq another message id
    assert wrap_event("sqs", {"image": "x"}, REQUEST) == event
    assert wrap_event("sqs", {"image": "x"}, REQUEST._replace(seq=8))["Records"][0]["messageId"] != \
        record["messageId"]


def test_http_is_an_http_api_2_0_request_in_aws_shape_with_the_event_as_its_body() -> None:
    event = wrap_event("http", {"image": "x"}, REQUEST)
    sample: dict[str, Any] = HTTP_API_V2
    assert set(event) == set(sample)
    assert set(event["requestContext"]) == set(sample["requestContext"])
    assert set(event["requestContext"]["http"]) == set(sample["requestContext"]["http"])
    assert trigger_of(event) == TRIGGER_API
    assert (event["version"], event["requestContext"]["http"]["method"]) == ("2.0", "POST")
    assert json.loads(event["body"]) == {"image": "x"} and event["isBase64Encoded"] is False
    assert event["requestContext"]["timeEpoch"] == 1796693225500


def test_requests_for_the_user_function_are_validated() -> None:
    assert parse_work_request(json.dumps(work(1, [1, 2])), user_function=True).event == [1, 2]
    refusals = {
        "missing event": (work(1, None) | {"event": None}, True, "missing_field"),
        "built-in workload": ({"run_id": RUN_ID, "seq": 1, "workload": "sort", "event": {}}, True, "not_allowed"),
        "event for a built-in": ({"run_id": RUN_ID, "seq": 1, "workload": "sort", "event": {}}, False,
                                 "invalid_value"),
        "a size": (work(1, {}, size=100), True, "invalid_value"),
    }
    del refusals["missing event"][0]["event"]
    for what, (body, user, code) in refusals.items():
        with pytest.raises(RequestError) as caught:
            parse_work_request(json.dumps(body), user_function=user)
        assert caught.value.code == code, what
    # readiness's noop is still accepted by the wrapper
    assert parse_work_request(json.dumps({"run_id": RUN_ID, "seq": 1, "workload": "noop"}),
                              user_function=True).workload == "noop"


def test_the_users_handler_runs_per_item_with_its_import_timed_apart(user_code: Path) -> None:
    answers, documents = run_wrapper(user_code, "echo.handler", [work(1, {"n": 1}), work(2, {"n": 2})])
    first, second = (a["answer"] for a in answers)
    assert first["digest"] == digest_of({"received": {"n": 1}}) and first["workload"] == USER_WORKLOAD
    assert second["digest"] == digest_of({"received": {"n": 2}})
    cold, warm = documents
    assert cold["UserInitMs"] >= 50 and cold["InitMs"] > cold["UserInitMs"] and cold["ColdStart"] == 1
    assert cold["Workload"] == USER_WORKLOAD and cold["ResultDigest"] == first["digest"] and cold["Errors"] == 0
    assert "UserInitMs" not in warm and "InitMs" not in warm and warm["WorkloadMs"] >= 0


def test_the_handler_gets_its_triggers_shape(user_code: Path) -> None:
    [sqs], _ = run_wrapper(user_code, "echo.handler", [work(1, {"n": 1})], kind="sqs")
    [http], _ = run_wrapper(user_code, "echo.handler", [work(1, {"n": 1})], kind="http")
    request = WorkRequest(run_id=RUN_ID, seq=1, workload=USER_WORKLOAD, size=0, sent_at=1796693225.5)
    assert sqs["answer"]["digest"] == digest_of({"received": wrap_event("sqs", {"n": 1}, request)})
    assert http["answer"]["digest"] == digest_of({"received": wrap_event("http", {"n": 1}, request)})


def test_a_raising_handler_fails_its_item_alone(user_code: Path) -> None:
    batch = sqs_batch(work(1, {"fail": True}), work(2, {"n": 2}))
    api = api_event(HTTP_API_V2, json.dumps(work(3, {"fail": True})))
    [sqs, http], documents = run_wrapper(user_code, "echo.handler", [batch, api])
    assert sqs["answer"] == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert http["answer"]["statusCode"] == 500
    error = json.loads(http["answer"]["body"])["error"]
    assert error["error_type"] == "ValueError" and "Traceback" not in http["answer"]["body"]
    assert [(d["Seq"], d["Errors"], d["ErrorType"]) for d in documents] == [(1, 1, "ValueError"),
                                                                           (2, 0, None), (3, 1, "ValueError")]


def test_a_return_value_json_cannot_serialise_is_a_failed_item(user_code: Path) -> None:
    [answer], [document] = run_wrapper(user_code, "unserialisable.handler", [sqs_batch(work(1, {}))])
    assert answer["answer"] == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert (document["Errors"], document["ErrorType"]) == (1, "UnserialisableResult")


def test_a_module_that_does_not_import_fails_every_invocation_with_a_clear_error(user_code: Path) -> None:
    for handler, named in (("broken.handler", "no_such_module_anywhere"), ("echo.nothing", "'nothing'"),
                           ("missing_module.handler", "missing_module")):
        answers, documents = run_wrapper(user_code, handler, [work(1, {}), work(2, {})])
        assert [a["raised"] for a in answers] == [IMPORT_ERROR_TYPE] * 2, handler
        assert named in answers[0]["message"] and documents == []


def test_readiness_noop_does_not_call_the_users_handler(user_code: Path) -> None:
    [answer], _ = run_wrapper(user_code, "always_raises.handler", [{"run_id": RUN_ID, "seq": 0, "workload": "noop"}])
    assert "error" not in answer["answer"] and answer["answer"]["workload"] == "noop"


def test_readiness_stops_at_once_on_the_wrappers_import_error_whatever_the_errortype(user_code: Path) -> None:
    from io import BytesIO

    from localcloud.ready import _Fatal, _invoke_problem

    [answer], _ = run_wrapper(user_code, "broken.handler", [work(1, {})])

    class Lambda:  # answers as MiniStack does: every handler exception is a Runtime.HandlerError
        def invoke(self, **_: Any) -> dict[str, Any]:
            payload = {"errorMessage": answer["message"], "errorType": "Runtime.HandlerError"}
            return {"FunctionError": "Unhandled", "Payload": BytesIO(json.dumps(payload).encode())}

    problem = _invoke_problem(Lambda(), "fn")
    assert isinstance(problem, _Fatal) and problem.startswith(f"{IMPORT_ERROR_TYPE}: cannot import 'broken'")


def test_excluded_keys_leave_the_digest_alone(user_code: Path) -> None:
    [first, second], _ = run_wrapper(user_code, "stamped.handler", [work(1, {"n": 1}), work(2, {"n": 1})],
                                     exclude="at,items.pid")
    assert first["answer"]["digest"] == second["answer"]["digest"] == digest_of(
        {"value": {"n": 1}, "items": [{"n": 1}, {}]})
    [stamped, again], _ = run_wrapper(user_code, "stamped.handler", [work(1, {"n": 1}), work(2, {"n": 1})])
    assert stamped["answer"]["digest"] != again["answer"]["digest"]  # time.time() differs from call to call


def test_without_leaves_out_one_key_path_and_keeps_the_rest() -> None:
    value = {"a": {"b": 1, "c": 2}, "list": [{"x": 1, "y": 2}, 3], "keep": True}
    assert without(value, ("a", "b")) == {"a": {"c": 2}, "list": value["list"], "keep": True}
    assert without(value, ("list", "x")) == {**value, "list": [{"y": 2}, 3]}
    assert without(value, ("absent", "x")) == value and value["a"] == {"b": 1, "c": 2}  # the input is not changed


@pytest.mark.parametrize("kind", ["sqs", "http"])
def test_an_answer_that_reports_a_failure_in_its_triggers_terms_fails_the_item(user_code: Path, kind: str) -> None:
    answers, documents = run_wrapper(user_code, "reporting.handler", [work(1, "bad"), work(2, "good")], kind=kind)
    assert [a["answer"].get("error", {}).get("error_type") for a in answers] == ["ReportedFailure", None]
    assert [(d["Errors"], d["ErrorType"]) for d in documents] == [(1, "ReportedFailure"), (0, None)]
