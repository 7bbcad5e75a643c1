"""Free-form run ids: one pattern and one message everywhere, and a run whose id is a substring of another's
(``base`` / ``baseline-1024``) still counts only its own documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from analysis.dataset import build_run_data
from analysis.events import LogEvent
from core import UsageError, check_run_id
from handlers import app
from handlers.contract import ENV_ARCHITECTURE, is_run_id, new_run_id, run_id_problem
from handlers.environment import LocalContext
from handlers.validation import INVALID_VALUE, RequestError, parse_work_request, salvage_identity

GOOD = ["20261125T080000Z-3fa2", "baseline-1024", "a", "A.b_c-d", "0", "x" * 64, "run.2026.11.25", "base"]
BAD = ["", "-lead", ".hidden", "_under", "x" * 65, "baseline\n", "base line", "base/line", "tést", "a\tb",
       "base\r", " base", 5, None, b"base"]


@pytest.mark.parametrize("value", GOOD)
def test_these_are_run_ids_for_the_handler_and_every_command(value: str) -> None:
    assert is_run_id(value)
    assert check_run_id(value) == value
    assert parse_work_request({"run_id": value, "seq": 0, "workload": "noop"}).run_id == value
    assert salvage_identity({"run_id": value, "seq": 1}) == (value, 1)


@pytest.mark.parametrize("value", BAD)
def test_these_are_not_and_the_message_is_the_same_everywhere(value: Any) -> None:
    assert not is_run_id(value)
    problem = run_id_problem(value)
    if isinstance(value, str):
        with pytest.raises(UsageError) as usage:
            check_run_id(value)
        assert str(usage.value) == f"--run-id {problem}"
        with pytest.raises(RequestError) as refused:
            parse_work_request({"run_id": value, "seq": 0, "workload": "noop"})
        assert refused.value.code == INVALID_VALUE and refused.value.message == f"run_id {problem}"


def test_generated_run_ids_keep_their_form() -> None:
    run_id = new_run_id(datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC))
    assert run_id.startswith("20261125T080000Z-") and len(run_id) == 21 and is_run_id(run_id)
    assert all(c in "0123456789abcdef" for c in run_id[-4:])


def _documents(run_id: str, seqs: range, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The EMF lines the real handler writes for these work items (direct invoke)."""
    capsys.readouterr()
    for seq in seqs:
        app.handler({"run_id": run_id, "seq": seq, "workload": "noop"}, LocalContext(aws_request_id=f"{run_id}-{seq}"))
    return [line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def test_a_run_counts_only_documents_whose_run_id_is_exactly_its_own(capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ARCHITECTURE, "arm64")
    lines = (_documents("base", range(3), capsys) + _documents("baseline-1024", range(5), capsys)
             + _documents("base.1", range(2), capsys) + _documents("BASE", range(1), capsys))
    assert len(lines) == 11 and all(json.loads(line)["RunId"] for line in lines)
    # What a substring filter ("base" as a FilterLogEvents term or a Logs Insights `like`) would hand back:
    events = [LogEvent("/aws/lambda/archbench-local", 1764057600000 + i, line) for i, line in enumerate(lines)]
    for run_id, expected in (("base", 3), ("baseline-1024", 5), ("base.1", 2), ("BASE", 1)):
        data = build_run_data(events, run_id)
        assert len(data.items) == expected, run_id
        assert set(data.items["run_id"]) == {run_id}
        assert data.counts.other_runs == len(lines) - expected
