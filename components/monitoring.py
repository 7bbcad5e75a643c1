"""Alarms per variant, an optional SNS topic for them, and the comparison dashboard, as one component.

Names come from the ``StackSpec`` (the function component uses the same physical names), so this component needs
no handle on the functions themselves: only the region and the HTTP API's id.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.dashboard import dashboard_body
from stack import PERIOD_S, Alarm, StackSpec, stack_alarms

COMPONENT_TYPE = "archbench:ops:Monitoring"


def dashboard_name(stack: StackSpec) -> str:
    return stack.name("comparison")


def alarm_topic_name(stack: StackSpec) -> str:
    return stack.name("alarms")


class Monitoring(pulumi.ComponentResource):
    """Four alarms per variant (→ the SNS topic when ``alarmEmail`` is set) and the comparison dashboard."""

    topic: aws.sns.Topic | None
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    dashboard: aws.cloudwatch.Dashboard
    dashboard_url: pulumi.Output[str]

    def __init__(self, name: str, stack: StackSpec, *, region: pulumi.Input[str], api_id: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.topic = None
        if stack.settings.alarm_email:
            # Not KMS-encrypted on purpose: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
            self.topic = aws.sns.Topic(f"{name}-alarms", name=alarm_topic_name(stack), opts=child)
            # Email subscriptions stay "pending" until the recipient clicks the link AWS sends.
            aws.sns.TopicSubscription(f"{name}-alarms-email", topic=self.topic.arn, protocol="email",
                                      endpoint=stack.settings.alarm_email, opts=child)
        actions = [self.topic.arn] if self.topic else []
        self.alarms = {alarm.name: _metric_alarm(alarm, actions, child) for alarm in stack_alarms(stack)}

        body = dashboard_body(stack, region=region, api_id=api_id,
                              alarm_arns=[alarm.arn for alarm in self.alarms.values()])
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=dashboard_name(stack),
            dashboard_body=pulumi.Output.json_dumps(body), opts=child)
        self.dashboard_url = pulumi.Output.concat(
            "https://", region, ".console.aws.amazon.com/cloudwatch/home?region=", region,
            "#dashboards/dashboard/", self.dashboard.dashboard_name)
        self.register_outputs({"dashboard_url": self.dashboard_url,
                               "alarm_topic_arn": self.topic.arn if self.topic else None})


def _metric_alarm(alarm: Alarm, actions: list[pulumi.Output[str]],
                  opts: pulumi.ResourceOptions) -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm(
        alarm.name, name=alarm.name, alarm_description=alarm.description,
        namespace=alarm.namespace, metric_name=alarm.metric_name, dimensions={alarm.dimension: alarm.resource},
        statistic=alarm.statistic, period=PERIOD_S, evaluation_periods=1, datapoints_to_alarm=1,
        comparison_operator="GreaterThanThreshold", threshold=alarm.threshold,
        # Idle functions and queues publish nothing: no data is no trouble.
        treat_missing_data="notBreaching",
        alarm_actions=actions, ok_actions=actions, opts=opts)
