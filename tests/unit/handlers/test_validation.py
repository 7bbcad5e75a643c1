"""parse_work_request: every refusal has its code and a message that names the problem."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.contract import WorkRequest
from handlers.validation import (
    ERROR_CODES,
    INVALID_JSON,
    INVALID_TYPE,
    INVALID_VALUE,
    MISSING_FIELD,
    NOT_ALLOWED,
    OUT_OF_BOUNDS,
    UNKNOWN_FIELD,
    UNKNOWN_WORKLOAD,
    RequestError,
    parse_work_request,
    salvage_identity,
)

RUN_ID = "20261125T080000Z-3fa2"
GOOD: dict[str, Any] = {"run_id": RUN_ID, "seq": 42, "workload": "sort", "size": 10_000, "iterations": 2, "seed": 7,
        "sent_at": 1764057600.123}


def test_a_full_request_parses_to_the_contract_dataclass() -> None:
    assert parse_work_request(GOOD) == WorkRequest(**GOOD)


def test_json_text_and_bytes_parse_like_the_mapping() -> None:
    text = WorkRequest(**GOOD).to_json()
    assert parse_work_request(text) == parse_work_request(text.encode()) == WorkRequest(**GOOD)


def test_optional_fields_take_their_defaults() -> None:
    request = parse_work_request({"run_id": RUN_ID, "seq": 0, "workload": "primes"})
    assert (request.size, request.iterations, request.seed, request.sent_at) == (5_000, 1, 0, 0.0)


def test_round_is_optional_and_kept_when_given() -> None:
    assert parse_work_request(GOOD).round is None
    assert parse_work_request({**GOOD, "round": 3}).round == 3
    assert parse_work_request(WorkRequest(**GOOD, round=0).to_json()).round == 0


def test_integer_sent_at_becomes_a_float() -> None:
    assert parse_work_request({**GOOD, "sent_at": 1764057600}).sent_at == 1764057600.0


BAD_REQUESTS = [
    ("{not json", INVALID_JSON, "not valid JSON"),
    ("", INVALID_JSON, "empty"),
    ("   ", INVALID_JSON, "empty"),
    (b"\xff\xfe{}", INVALID_JSON, "UTF-8"),
    ("[1, 2]", INVALID_TYPE, "got array"),
    ("42", INVALID_TYPE, "got number"),
    (None, INVALID_TYPE, "got null"),
    ({**GOOD, "colour": "red"}, UNKNOWN_FIELD, "colour"),
    ({k: v for k, v in GOOD.items() if k != "run_id"}, MISSING_FIELD, "run_id"),
    ({k: v for k, v in GOOD.items() if k != "seq"}, MISSING_FIELD, "seq"),
    ({k: v for k, v in GOOD.items() if k != "workload"}, MISSING_FIELD, "workload"),
    ({**GOOD, "run_id": 5}, INVALID_TYPE, "'run_id' must be a string"),
    ({**GOOD, "run_id": "-my-run"}, INVALID_VALUE, "-my-run"),
    ({**GOOD, "run_id": "my-run\n"}, INVALID_VALUE, "is not a run id"),
    ({**GOOD, "seq": "42"}, INVALID_TYPE, "'seq' must be an integer, got string"),
    ({**GOOD, "seq": True}, INVALID_TYPE, "got boolean"),
    ({**GOOD, "seq": -1}, OUT_OF_BOUNDS, "'seq' is -1"),
    ({**GOOD, "workload": "bogosort"}, UNKNOWN_WORKLOAD, "bogosort"),
    ({**GOOD, "workload": ["sort"]}, INVALID_TYPE, "'workload' must be a string"),
    ({**GOOD, "size": 10.0}, INVALID_TYPE, "'size' must be an integer, got number"),
    ({**GOOD, "size": None}, INVALID_TYPE, "got null"),
    ({**GOOD, "size": 0}, OUT_OF_BOUNDS, "outside 1–5000000 for workload 'sort'"),
    ({**GOOD, "size": 5_000_001}, OUT_OF_BOUNDS, "'size' is 5000001"),
    ({**GOOD, "iterations": 0}, OUT_OF_BOUNDS, "'iterations' is 0"),
    ({**GOOD, "iterations": 101}, OUT_OF_BOUNDS, "outside 1–100"),
    ({**GOOD, "seed": -3}, OUT_OF_BOUNDS, "'seed' is -3"),
    ({**GOOD, "seed": 2**63}, OUT_OF_BOUNDS, "'seed'"),
    ({**GOOD, "sent_at": "now"}, INVALID_TYPE, "'sent_at' must be a number"),
    ({**GOOD, "sent_at": float("nan")}, OUT_OF_BOUNDS, "finite"),
    ('{"run_id": "20261125T080000Z-3fa2", "seq": 1, "workload": "sort", "sent_at": Infinity}', OUT_OF_BOUNDS,
     "finite"),
    ({**GOOD, "sent_at": -1}, OUT_OF_BOUNDS, "'sent_at'"),
    ({**GOOD, "round": -1}, OUT_OF_BOUNDS, "'round' is -1, outside 0–100000"),
    ({**GOOD, "round": 100_001}, OUT_OF_BOUNDS, "'round' is 100001"),
    ({**GOOD, "round": 1.0}, INVALID_TYPE, "'round' must be an integer, got number"),
    ({**GOOD, "round": None}, INVALID_TYPE, "'round' must be an integer, got null"),
    ({**GOOD, "round": False}, INVALID_TYPE, "'round' must be an integer, got boolean"),
]


@pytest.mark.parametrize(("raw", "code", "needle"), BAD_REQUESTS)
def test_each_problem_has_its_code_and_a_clear_message(raw: object, code: str, needle: str) -> None:
    with pytest.raises(RequestError) as err:
        parse_work_request(raw)
    assert err.value.code == code
    assert needle in err.value.message
    assert "\n" not in err.value.message
    assert err.value.to_dict() == {"error": {"code": code, "message": err.value.message}}


def test_every_code_is_listed_once_and_exercised_here() -> None:
    assert len(set(ERROR_CODES)) == len(ERROR_CODES)
    # NOT_ALLOWED needs an allow-list: test_allowed_workloads_restrict_what_is_accepted produces it.
    assert {code for _, code, _ in BAD_REQUESTS} | {NOT_ALLOWED} == set(ERROR_CODES)


def test_allowed_workloads_restrict_what_is_accepted() -> None:
    assert parse_work_request(GOOD, allowed=("sort", "noop")).workload == "sort"
    assert parse_work_request(GOOD, allowed=()).workload == "sort"  # empty = everything
    with pytest.raises(RequestError) as err:
        parse_work_request(GOOD, allowed=("noop",))
    assert err.value.code == NOT_ALLOWED and "noop" in err.value.message


def test_function_memory_limits_the_size_by_the_workload_estimate() -> None:
    big = {**GOOD, "workload": "memory", "size": 2_000}
    assert parse_work_request(big).size == 2_000  # memory unknown: only the static bounds apply
    assert parse_work_request(big, memory_mb=4_096).size == 2_000
    with pytest.raises(RequestError) as err:
        parse_work_request(big, memory_mb=1_024)
    assert err.value.code == OUT_OF_BOUNDS and "needs about 2067 MB; the function has 1024 MB" in err.value.message


def test_unknown_workload_message_lists_the_known_ones() -> None:
    with pytest.raises(RequestError) as err:
        parse_work_request({**GOOD, "workload": "x"})
    assert "numpy_matmul" in err.value.message and "noop" in err.value.message


@pytest.mark.parametrize(("raw", "identity"), [
    ({**GOOD, "size": -5}, (RUN_ID, 42)),
    (WorkRequest(**{**GOOD, "workload": "nope"}).to_json(), (RUN_ID, 42)),
    ({"run_id": "bad run", "seq": True}, (None, None)),
    ({"run_id": "bad", "seq": 3}, ("bad", 3)),
    ("{broken", (None, None)),
    ([1], (None, None)),
])
def test_salvage_identity_keeps_only_usable_run_id_and_seq(raw: object, identity: tuple) -> None:
    assert salvage_identity(raw) == identity
