"""The EMF documents handlers.metrics writes with the standard library are byte for byte those aws-embedded-metrics'
MetricsContext + LogSerializer write for the same item (the library, a dev dependency, is the oracle), and stay
within the limits the library enforces."""

from __future__ import annotations

import json
import time

import pytest
from aws_embedded_metrics import constants, validator
from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.serializers.log_serializer import LogSerializer
from aws_embedded_metrics.storage_resolution import StorageResolution

from handlers import contract as c
from handlers.environment import FunctionInfo, LocalContext
from handlers.metrics import ItemOutcome, build_document

PEAK_RSS = 61.23456
TIMESTAMP_MS = 1_764_057_600_123
METRIC_ORDER = [c.M_WORKLOAD_MS, c.M_HANDLER_MS, c.M_PEAK_RSS_MB, c.M_QUEUE_LAG_MS, c.M_COLD_START, c.M_INIT_MS,
                c.M_ERRORS]

OUTCOMES = {
    "every field": ItemOutcome(workload="sort", trigger="sqs", handler_ms=12.3456, run_id="20261125T080000Z-3fa2",
                               seq=42, message_id="059f36b4-87a3-44ab-83d2-661975830a7d", workload_ms=10.5,
                               queue_lag_ms=2_001.125, init_ms=345.678, digest="ab" * 32, round=3),
    "a warm success": ItemOutcome(workload="noop", trigger="api", handler_ms=0.05, run_id="baseline-1024", seq=0,
                                  message_id="req-1", workload_ms=0.0012, digest="0" * 64),
    "a refused request": ItemOutcome(workload="invalid", trigger="direct", handler_ms=0.2,
                                     error_type="invalid_json"),
    "past its budget": ItemOutcome(workload="primes", trigger="sqs", handler_ms=1_499.5, run_id="r.1_x", seq=2**63 - 1,
                                   message_id="m\u00e9ssage \"quoted\"\n", queue_lag_ms=0.0,
                                   error_type="deadline_exceeded", round=0),
}


def _info() -> FunctionInfo:
    context = LocalContext(aws_request_id="c6af9ac6-7b61-11e6-9a41-93e812345678", function_name="archbench_fn",
                           memory_limit_in_mb="1024", log_stream_name="2026/11/25/[$LATEST]abcdef")
    return FunctionInfo.from_context(context)


def _library_document(outcome: ItemOutcome, info: FunctionInfo, peak_rss: float) -> list[str]:
    """What the handler wrote through the library before: the same calls, in the same order."""
    ours = json.loads(build_document(outcome, info, peak_rss, TIMESTAMP_MS)[0])
    directive = ours["_aws"]["CloudWatchMetrics"][0]
    context = MetricsContext(c.NAMESPACE)
    context.set_dimensions([{c.DIM_VARIANT: info.variant, c.DIM_WORKLOAD: outcome.workload},
                            {c.DIM_VARIANT: info.variant}])
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    expected = {c.M_WORKLOAD_MS: outcome.workload_ms, c.M_HANDLER_MS: outcome.handler_ms,
                c.M_PEAK_RSS_MB: round(peak_rss, 3), c.M_QUEUE_LAG_MS: outcome.queue_lag_ms,
                c.M_COLD_START: int(outcome.init_ms is not None), c.M_INIT_MS: outcome.init_ms,
                c.M_ERRORS: int(outcome.failed)}
    for name in METRIC_ORDER:
        value = expected[name]
        if value is not None:
            context.put_metric(name, value, units.get(name, "Missing"))
    properties = {key: value for key, value in ours.items()
                  if key not in units and key not in {"_aws", c.DIM_VARIANT, c.DIM_WORKLOAD}}
    for key, value in properties.items():
        context.set_property(key, value)
    context.meta["Timestamp"] = TIMESTAMP_MS
    return LogSerializer.serialize(context)


@pytest.mark.parametrize("name", OUTCOMES)
def test_the_document_is_the_librarys_byte_for_byte(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(c.ENV_ARCHITECTURE, "arm64")
    monkeypatch.setenv(c.ENV_VARIANT, "py313-1024-arm64")
    info = _info()
    assert build_document(OUTCOMES[name], info, PEAK_RSS, TIMESTAMP_MS) == _library_document(
        OUTCOMES[name], info, PEAK_RSS)


def test_the_properties_and_units_are_the_contracts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The oracle above takes the properties from our document: here they are pinned, so none can go missing."""
    monkeypatch.setenv(c.ENV_ARCHITECTURE, "x86_64")
    [line] = build_document(OUTCOMES["every field"], _info(), PEAK_RSS, TIMESTAMP_MS)
    document = json.loads(line)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert [(m["Name"], m["Unit"]) for m in directive["Metrics"]] == [
        (c.M_WORKLOAD_MS, "Milliseconds"), (c.M_HANDLER_MS, "Milliseconds"), (c.M_PEAK_RSS_MB, "Megabytes"),
        (c.M_QUEUE_LAG_MS, "Milliseconds"), (c.M_COLD_START, "Count"), (c.M_INIT_MS, "Milliseconds"),
        (c.M_ERRORS, "Count")]
    assert (document[c.P_ARCHITECTURE], document[c.P_ROUND], document[c.P_SEQ]) == ("x86_64", 3, 42)
    assert document[c.M_PEAK_RSS_MB] == 61.235 and document["_aws"]["Timestamp"] == TIMESTAMP_MS
    assert {c.P_RUN_ID, c.P_REQUEST_ID, c.P_MESSAGE_ID, c.P_FUNCTION_NAME, c.P_FUNCTION_VERSION,
            c.P_MEMORY_SIZE_MB, c.P_RUNTIME, c.P_HOST_MACHINE, c.P_TRIGGER, c.P_RESULT_DIGEST, c.P_ERROR_TYPE,
            c.P_ENVIRONMENT_ID, c.P_LOG_STREAM, c.P_CPU_MODEL} <= set(document)


def test_the_timestamp_is_now_in_epoch_ms_as_the_library_rounds_it() -> None:
    before = round(time.time() * 1000)
    [line] = build_document(OUTCOMES["a warm success"], _info(), PEAK_RSS)
    after = round(time.time() * 1000)
    assert before <= json.loads(line)["_aws"]["Timestamp"] <= after


def test_the_fullest_document_is_within_the_limits_the_library_enforces() -> None:
    """The library's own validators and limits: nothing the handler writes would be split or refused."""
    [line] = build_document(OUTCOMES["every field"], _info(), PEAK_RSS, TIMESTAMP_MS)
    document = json.loads(line)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    validator.validate_namespace(directive["Namespace"])
    assert len(directive["Metrics"]) <= constants.MAX_METRICS_PER_EVENT
    seen: dict[str, StorageResolution] = {}
    for metric in directive["Metrics"]:
        validator.validate_metric(metric["Name"], document[metric["Name"]], metric["Unit"],
                                  StorageResolution.STANDARD, seen)
    for keys in directive["Dimensions"]:
        validator.validate_dimension_set({key: document[key] for key in keys})
