"""The one command-line envelope: every kind of failure is one line on stderr and an exit code from one table."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from core import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    ManifestError,
    UsageError,
    UserError,
    check_run_id,
    parse_duration,
    run_cli,
)


def raising(exc: BaseException):
    def body() -> int:
        raise exc

    return body


@pytest.mark.parametrize(("exc", "code", "line"), [
    (UsageError("--rate 'fast' is not like 50/s"), EXIT_USAGE, "tool: error: --rate 'fast' is not like 50/s"),
    (ManifestError("no run manifest in runs/"), EXIT_FAILED, "tool: error: no run manifest in runs/"),
    (UserError("cannot read x:\n  line 2\tcolumn 3"), EXIT_FAILED, "tool: error: cannot read x: line 2 column 3"),
    (ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetQueueAttributes"), EXIT_FAILED,
     "tool: error: an AWS call failed: An error occurred (AccessDenied) when calling the GetQueueAttributes "
     "operation: no"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), EXIT_FAILED,
     'tool: error: an AWS call failed: Could not connect to the endpoint URL: "http://127.0.0.1:1"'),
])
def test_a_users_problem_is_one_line_and_the_code_of_its_kind(exc, code, line, capsys) -> None:
    assert run_cli("tool", raising(exc)) == code
    captured = capsys.readouterr()
    assert captured.err == line + "\n" and captured.out == ""


def test_ctrl_c_is_one_line_and_130(capsys) -> None:
    assert run_cli("tool", raising(KeyboardInterrupt()), interrupted="interrupted; nothing sent") == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "tool: interrupted; nothing sent\n"


def test_a_bug_is_not_dressed_up_as_a_users_mistake() -> None:
    with pytest.raises(ZeroDivisionError):
        run_cli("tool", raising(ZeroDivisionError("a bug keeps its traceback")))


def test_the_body_decides_the_exit_code_when_nothing_goes_wrong() -> None:
    assert run_cli("tool", lambda: 3) == 3


@pytest.mark.parametrize(("text", "seconds"), [("250ms", 0.25), ("30s", 30.0), ("10m", 600.0), (" 1.5 h ", 5400.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_zero_is_a_duration_only_where_allowed() -> None:
    assert parse_duration("0s", allow_zero=True) == 0.0
    with pytest.raises(UsageError, match="must be more than zero"):
        parse_duration("0s")


def test_run_ids_are_checked_with_one_message_for_every_command() -> None:
    assert check_run_id("20261125T080000Z-3fa2") == "20261125T080000Z-3fa2"
    assert check_run_id("baseline-1024") == "baseline-1024"
    with pytest.raises(UsageError) as caught:
        check_run_id("-baseline", option="--run")
    assert str(caught.value) == ("--run '-baseline' is not a run id (1–64 letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit, e.g. baseline-1024 or 20261125T080000Z-3fa2)")
    with pytest.raises(UsageError, match=r"'baseline\\n' is not a run id"):
        check_run_id("baseline\n")
