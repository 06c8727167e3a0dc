"""CloudWatch alarms that notify the stack's alert topic, with one shape for every component."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

Comparison = Literal[
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]


def metric_alarm(
    name: str,
    *,
    parent: pulumi.Resource,
    topic_arn: pulumi.Input[str],
    namespace: str,
    metric: str,
    dimensions: dict[str, pulumi.Input[str]],
    statistic: str,
    comparison: Comparison,
    threshold: float,
    evaluation_periods: int,
    period: int = 300,
    missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing",
    description: str,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm that pages on ALARM and clears on OK through the same topic."""
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dimensions,
        statistic=statistic,
        comparison_operator=comparison,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        period=period,
        treat_missing_data=missing_data,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
    )
