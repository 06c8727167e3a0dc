"""CloudWatch alarms that notify the stack's alert topic, with one shape for every component.

Every alarm sends ALARM and OK to the same topic (so a recovery is seen too), and its
description says what it means and the first thing to check: ``<meaning>. First check:
<where to look>``. docs/operations.md's runbook table is generated from these descriptions
(``make docs``), so the runbook cannot drift from the alarms.

An alarm's topic must be in the alarm's own region (CloudWatch ``PutMetricAlarm`` rejects an
SNS action in another region), so alarms on us-east-1 metrics (CloudFront, WAF, Lambda@Edge)
take the us-east-1 provider and the us-east-1 topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

Comparison = Literal[
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]
MissingData = Literal["missing", "notBreaching", "breaching", "ignore"]
FIRST_CHECK = " First check: "


def describe(description: str, first_check: str | None) -> str:
    return f"{description.rstrip('.')}.{FIRST_CHECK}{first_check}" if first_check else description


def metric_alarm(
    name: str,
    *,
    parent: pulumi.Resource,
    topic_arn: pulumi.Input[str],
    namespace: str,
    metric: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str | None = None,
    extended_statistic: str | None = None,
    comparison: Comparison,
    threshold: float,
    evaluation_periods: int,
    datapoints_to_alarm: int | None = None,
    period: int = 300,
    missing_data: MissingData = "missing",
    description: str,
    first_check: str | None = None,
    provider: pulumi.ProviderResource | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on one metric that pages on ALARM and clears on OK through the same topic.

    ``statistic`` (Average, Sum, ...) or ``extended_statistic`` (``p95``), never both.
    """
    if (statistic is None) == (extended_statistic is None):
        raise ValueError(f"{name}: give statistic or extended_statistic, exactly one")
    return _alarm(name, parent=parent, topic_arn=topic_arn, provider=provider, description=description,
                  first_check=first_check, comparison=comparison, threshold=threshold,
                  evaluation_periods=evaluation_periods, datapoints_to_alarm=datapoints_to_alarm,
                  missing_data=missing_data, namespace=namespace, metric_name=metric, dimensions=dict(dimensions),
                  statistic=statistic, extended_statistic=extended_statistic, period=period)


def _alarm(name: str, *, parent: pulumi.Resource, topic_arn: pulumi.Input[str],
           provider: pulumi.ProviderResource | None, description: str, first_check: str | None,
           comparison: Comparison, threshold: float, evaluation_periods: int, datapoints_to_alarm: int | None,
           missing_data: MissingData, **what: object) -> aws.cloudwatch.MetricAlarm:
    """Every alarm's common part: the description, the condition and ALARM and OK to the same topic."""
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=describe(description, first_check),
        comparison_operator=comparison,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        treat_missing_data=missing_data,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
        **what,
    )


@dataclass(frozen=True)
class Metric:
    """One input of a metric-math alarm: ``id`` is the name the expression uses."""

    id: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str
    period: int = 60
    label: str | None = None


def math_alarm(
    name: str,
    *,
    parent: pulumi.Resource,
    topic_arn: pulumi.Input[str],
    expression: str,
    label: str,
    metrics: list[Metric],
    comparison: Comparison,
    threshold: float,
    evaluation_periods: int,
    datapoints_to_alarm: int | None = None,
    missing_data: MissingData = "missing",
    description: str,
    first_check: str | None = None,
    provider: pulumi.ProviderResource | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on a metric-math expression (e.g. a 5xx rate), same actions as ``metric_alarm``.

    PutMetricAlarm with ``Metrics``: at most 10 metrics, exactly one query returns data (the
    expression), and namespace/metric/statistic/period are not set at the top level.
    """
    if not 1 <= len(metrics) <= 10:
        raise ValueError(f"{name}: a metric-math alarm takes 1 to 10 metrics, not {len(metrics)}")
    queries = [aws.cloudwatch.MetricAlarmMetricQueryArgs(id="e1", expression=expression, label=label,
                                                         return_data=True)]
    queries += [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=m.id, return_data=False, label=m.label,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=m.namespace, metric_name=m.metric, dimensions=dict(m.dimensions), stat=m.stat,
                period=m.period))
        for m in metrics
    ]
    return _alarm(name, parent=parent, topic_arn=topic_arn, provider=provider, description=description,
                  first_check=first_check, comparison=comparison, threshold=threshold,
                  evaluation_periods=evaluation_periods, datapoints_to_alarm=datapoints_to_alarm,
                  missing_data=missing_data, metric_queries=queries)
