"""EdgeLogs: the Lambda@Edge function's log groups, with retention, in every region it may run in.

Lambda@Edge replicas log in the region where they run, to ``/aws/lambda/us-east-1.<function>``
("Lambda@Edge automatically adds the us-east-1 prefix ... This prefix remains part of the log
group name, even in other Regions": CloudFront developer guide, edge-functions-logs). Left to
itself the replica creates the group with no expiry; created here first, it keeps
``tiketi:observability.edgeLogRetentionDays``. The regions come from
``tiketi:observability.edgeLogRegions``: AWS does not publish where replicas run. One explicit
provider per region, each carrying the stack's default tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component


@dataclass(frozen=True)
class EdgeLogsArgs:
    function_name: pulumi.Input[str]
    regions: Sequence[str]
    retention_days: int
    default_tags: Mapping[str, str]


class EdgeLogs(Component):
    TYPE = "tiketi:observability:EdgeLogs"
    log_group_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: EdgeLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self.log_group_names = {}
        group_name = pulumi.Output.concat("/aws/lambda/us-east-1.", args.function_name)
        for region in args.regions:
            provider = aws.Provider(f"{name}-{region}", region=region,
                                    default_tags=aws.ProviderDefaultTagsArgs(tags=dict(args.default_tags)),
                                    opts=self._child())
            group = aws.cloudwatch.LogGroup(f"{name}-{region}", name=group_name,
                                            retention_in_days=args.retention_days,
                                            opts=self._child(provider=provider))
            self.log_group_names[region] = group.name
        self.register_outputs({"logGroups": self.log_group_names})
