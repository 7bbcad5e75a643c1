"""What is alarmed, per variant: the rules, their metrics and thresholds, derived from the settings alone.

No pulumi import: ``components.monitoring`` turns each ``Alarm`` into a CloudWatch metric alarm, and the dashboard
draws the same thresholds. Every rule is "above a threshold", evaluated on one 60 s datapoint, and a missing
datapoint is *not* breaching: Lambda publishes nothing while a function is idle, SQS nothing for an idle queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from stack.settings import Settings
from stack.spec import FunctionSpec, StackSpec

PERIOD_S = 60
LAMBDA_NAMESPACE = "AWS/Lambda"
SQS_NAMESPACE = "AWS/SQS"


def queue_age_threshold_s(settings: Settings) -> int:
    """The oldest message may be this old (s) before the queue alarms: one visibility timeout.

    A message older than the visibility timeout (6 × function timeout + batching window) has either been
    received and returned at least once, or has waited that long unreceived — the consumer is failing or the
    load outruns ``maxConcurrency``. Either way the run is measuring queueing, not the function.
    """
    return settings.queue_visibility_timeout_s


@dataclass(frozen=True)
class Alarm:
    """One CloudWatch metric alarm on one resource of one variant."""

    name: str
    namespace: str
    metric_name: str
    dimension: str
    resource: str
    statistic: str
    threshold: float
    description: str


def function_alarms(spec: FunctionSpec, settings: Settings) -> tuple[Alarm, ...]:
    """Errors, throttles, DLQ depth and queue age for one variant's function, queue and DLQ."""
    fn, queue, dlq = spec.function_name, spec.queue_name, spec.dlq_name
    age = queue_age_threshold_s(settings)
    return (
        Alarm(f"{fn}-errors", LAMBDA_NAMESPACE, "Errors", "FunctionName", fn, "Sum", 0,
              f"{spec.variant_id}: invocations failed (unhandled error or timeout) in the last minute."),
        Alarm(f"{fn}-throttles", LAMBDA_NAMESPACE, "Throttles", "FunctionName", fn, "Sum", 0,
              f"{spec.variant_id}: invocations were throttled: concurrency is capping the benchmark."),
        Alarm(f"{fn}-dlq-depth", SQS_NAMESPACE, "ApproximateNumberOfMessagesVisible", "QueueName", dlq, "Maximum", 0,
              f"{spec.variant_id}: messages in the dead-letter queue {dlq}: work items failed "
              f"{settings.dlq_max_receives} time(s); inspect and redrive or purge them."),
        Alarm(f"{fn}-queue-age", SQS_NAMESPACE, "ApproximateAgeOfOldestMessage", "QueueName", queue, "Maximum", age,
              f"{spec.variant_id}: the oldest message in {queue} is older than {age} s (one visibility "
              "timeout): the function is failing or falling behind the load."),
    )


def stack_alarms(stack: StackSpec) -> tuple[Alarm, ...]:
    """Every alarm of the stack, variant by variant."""
    return tuple(alarm for spec in stack.functions for alarm in function_alarms(spec, stack.settings))
