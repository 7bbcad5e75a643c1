"""``--logs VARIANT=FILE``: a run analysed from `aws logs filter-log-events` output, with every bad input one line.

The files are shaped exactly as the AWS CLI reference's example output for ``aws logs filter-log-events``
(https://docs.aws.amazon.com/cli/latest/reference/logs/filter-log-events.html; aws/aws-cli
awscli/examples/logs/filter-log-events.rst): ``events`` of ``logStreamName``, ``timestamp``, ``message``,
``ingestionTime``, ``eventId``. The REPORT lines are real ones (``real_log_lines``: a Python Lambda's log tail,
research notes §2), the EMF documents the handler's own (``handlers.metrics``).
"""

import json
from pathlib import Path

import pytest

from analysis.compare import main
from analysis.logfiles import LogFilesSource, parse_logs_options, read_log_file, variant_of
from core import UsageError
from handlers.environment import FunctionInfo
from handlers.metrics import ItemOutcome, build_document
from stack import Variant
from tests.unit.analysis.real_log_lines import EMBR_INSIGHTS, INIT_BILLED_XRAY

RUN = "20261125T080000Z-3fa2"
ARM, X86 = "py313-1024-arm64", "py313-1024-x86_64"
STREAM = "2024/05/09/[$LATEST]abc1024"  # the reference example's stream name


def document(variant: str, request_id: str, seq: int, run_id: str = RUN) -> str:
    info = FunctionInfo(variant.rsplit("-", 1)[-1], variant, f"archbench-dev_{variant}", "$LATEST", 1024,
                        request_id, (), STREAM)
    outcome = ItemOutcome(workload="sort", trigger="sqs", handler_ms=2.5, run_id=run_id, seq=seq, workload_ms=2.0)
    return build_document(outcome, info, 61.0)[0]


def cli_output(messages: list[str], start_ms: int = 1712567843827) -> dict:
    """An ``aws logs filter-log-events`` answer, field for field as the CLI reference shows it."""
    return {"events": [{"logStreamName": STREAM, "timestamp": start_ms + i, "message": message,
                        "ingestionTime": start_ms + i + 995,
                        "eventId": f"{start_ms + i:056d}"[-56:]} for i, message in enumerate(messages)],
            "searchedLogStreams": [{"logStreamName": STREAM, "searchedCompletely": True}]}


def real_report_ids() -> tuple[str, str]:
    return INIT_BILLED_XRAY.split()[2], EMBR_INSIGHTS.split()[2]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    arm_id, x86_id = real_report_ids()
    arm = tmp_path / "arm.json"
    arm.write_text(json.dumps(cli_output([document(ARM, arm_id, i) for i in range(3)] + [INIT_BILLED_XRAY])))
    x86 = tmp_path / "x86.json"
    x86.write_text(json.dumps(cli_output([document(X86, x86_id, i) for i in range(3)] + [EMBR_INSIGHTS])))
    return {ARM: arm, X86: x86}


def test_the_cli_reference_example_itself_reads_as_events(tmp_path: Path) -> None:
    example = tmp_path / "example.json"
    example.write_text(json.dumps({"events": [
        {"logStreamName": "teststream", "timestamp": 1712567843827, "message": "Test MESSAGE1",
         "ingestionTime": 1712567844822, "eventId": "00091539120382912324200901570000096855579456010247667712"},
        {"logStreamName": "2024/05/09/[$LATEST]abc1024", "timestamp": 1712568068991, "message": "Test MESSAGE2",
         "ingestionTime": 1712568070017, "eventId": "00001544141707904000000130886135001961903807164184002560"}]}))
    events = read_log_file(example, "/aws/lambda/x")
    assert [(e.log_group, e.timestamp_ms, e.message, e.log_stream) for e in events] == [
        ("/aws/lambda/x", 1712567843827, "Test MESSAGE1", "teststream"),
        ("/aws/lambda/x", 1712568068991, "Test MESSAGE2", "2024/05/09/[$LATEST]abc1024")]


def test_variant_ids_read_back_to_their_variant() -> None:
    assert variant_of("py313-1024-x86_64-twin") == Variant("python3.13", 1024, "x86_64", "control")
    for variant in (Variant("python3.12", 128, "arm64"), Variant("python3.14", 10240, "x86_64", "control")):
        assert variant_of(variant.id) == variant


def test_the_source_finds_the_run_the_stack_and_the_window(files: dict[str, Path]) -> None:
    source = LogFilesSource(files)
    assert source.run_id(None) == RUN
    assert source.outputs.functions[ARM].log_group == f"/aws/lambda/archbench-dev_{ARM}"
    assert (source.outputs.functions[X86].architecture, source.outputs.functions[X86].memory_mb) == ("x86_64", 1024)
    assert not source.outputs.is_local
    assert {e.log_group for e in source.events} == {f"/aws/lambda/archbench-dev_{v}" for v in (ARM, X86)}
    assert source.window.end_ms - source.window.start_ms == 3


def test_several_runs_need_a_run_id_and_the_error_lists_them(tmp_path: Path, files: dict[str, Path]) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps(cli_output([document(X86, "r-9", 9, run_id="another-run")])))
    with pytest.raises(UsageError, match="2 runs \\(20261125T080000Z-3fa2, another-run\\); choose one with"):
        LogFilesSource({ARM: files[ARM], X86: other}).run_id(None)


def bad_inputs(tmp_path: Path, files: dict[str, Path]) -> list[tuple[list[str], str]]:
    (tmp_path / "text.json").write_text("REPORT RequestId: x")
    (tmp_path / "list.json").write_text('[{"message": "x"}]')
    (tmp_path / "bad-event.json").write_text('{"events": [{"message": "x", "timestamp": "1"}]}')
    outputs = tmp_path / "outputs.json"
    return [
        ([f"--logs={ARM}={tmp_path / 'missing.json'}"], "cannot read log file"),
        ([f"--logs={ARM}={tmp_path / 'text.json'}"], "is not JSON"),
        ([f"--logs={ARM}={tmp_path / 'list.json'}"], 'has no "events" list'),
        ([f"--logs={ARM}={tmp_path / 'bad-event.json'}"], 'event 0 needs a string "message"'),
        ([f"--logs=py313-arm64={files[ARM]}"], "'py313-arm64' is not a variant id"),
        ([f"--logs={files[ARM]}"], "--logs takes VARIANT=FILE"),
        ([f"--logs={ARM}={files[ARM]}", f"--logs={ARM}={files[X86]}"], f"names variant {ARM} twice"),
        ([f"--logs={ARM}={files[ARM]}", "--source", "log-events"], "cannot be combined with --source"),
        ([f"--logs={ARM}={files[ARM]}", "--stack", "prod"], "cannot be combined with --stack"),
        ([f"--logs=py313-2048-arm64={files[ARM]}", "--outputs", str(outputs)], "do not have"),
    ]


def test_every_bad_input_is_one_line_and_exit_2(tmp_path: Path, files: dict[str, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from analysis.synthetic import SyntheticSpec, synthetic_run

    outputs = synthetic_run(SyntheticSpec(RUN, 10)).outputs()
    (tmp_path / "outputs.json").write_text(json.dumps({
        "region": outputs.region, "endpoint_url": None, "api_url": outputs.api_url,
        "functions": {vid: {"name": fn.name, "queue_url": fn.queue_url, "dlq_url": fn.dlq_url,
                            "log_group": fn.log_group, "route": fn.route, "memory_mb": fn.memory_mb,
                            "architecture": fn.architecture, "runtime": fn.runtime, "role": fn.role}
                      for vid, fn in outputs.functions.items()}}))
    for argv, needle in bad_inputs(tmp_path, files):
        assert main([*argv, "--no-plots", "--out", str(tmp_path / "out")]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert needle in err and "\n" not in err and "Traceback" not in err, (argv, err)


def test_parse_logs_options_keeps_the_order_given(files: dict[str, Path]) -> None:
    assert list(parse_logs_options([f"{X86}={files[X86]}", f"{ARM}={files[ARM]}"])) == [X86, ARM]


def test_an_offline_comparison_writes_the_report_from_the_files(tmp_path: Path, files: dict[str, Path],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert main([f"--logs={ARM}={files[ARM]}", f"--logs={X86}={files[X86]}", "--format", "json", "--no-plots",
                 "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["run_id"], summary["source"], summary["local_cloud"]) == (RUN, "log-files", False)
    assert summary["reconciliation"]["status"] == "unknown"
    assert summary["variants"][ARM]["invocations"] == 3 and summary["variants"][ARM]["lambda_invocations"] == 1
    assert (out / "summary.json").exists()
