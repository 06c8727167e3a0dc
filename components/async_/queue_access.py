"""QueueAccess: who may use the ticket-events queue (spec 4.6), as its queue policy.

A separate component from Queue because it names the producer's and the consumer's roles,
which exist only after the Workloads (ticket-service) and the Worker: ticket-service may send,
the worker may receive, delete, change visibility and read attributes, and every other
principal is denied sending, receiving, deleting and changing visibility (reading attributes
stays open to the account's admins). The operators' redrive roles (``tiketi:queue.redriveRoleArns``)
may send too: a dead-letter redrive (``StartMessageMoveTask``) puts the messages back with the
caller's permissions, and a replay is a send. QueueAccess also owns the managed policy those
roles need (``queueRedrivePolicyArn``): move-task actions and receive/delete on the DLQ, send on
the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.async_.queue import CONSUMER_ACTIONS, CONSUMER_MESSAGE_ACTIONS, PRODUCER_ACTIONS
from components.base import Component
from components.security import iam

# What a dead-letter redrive needs (SQS Developer Guide, "Configure queue permissions for dead-letter
# queue redrive"): start/list/cancel the move task and receive, delete and read attributes on the
# DLQ (the source), send and read attributes on the destination queue. SSE-SQS needs no KMS action.
REDRIVE_SOURCE_ACTIONS = ["sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:CancelMessageMoveTask",
                          "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
REDRIVE_DESTINATION_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueAttributes"]


@dataclass(frozen=True)
class QueueAccessArgs:
    name_prefix: str
    queue_url: pulumi.Input[str]
    queue_arn: pulumi.Input[str]
    dlq_arn: pulumi.Input[str]
    producer_role_arns: Sequence[pulumi.Input[str]]
    consumer_role_arn: pulumi.Input[str]
    redrive_role_arns: Sequence[str] = ()


class QueueAccess(Component):
    """The queue policy: each action to its one role, denied to every other principal."""

    TYPE = "tiketi:async:QueueAccess"
    redrive_policy_arn: pulumi.Output[str]

    def __init__(self, name: str, args: QueueAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        producers = list(args.producer_role_arns)
        redrivers = list(args.redrive_role_arns)
        consumers = [args.consumer_role_arn]
        statements = []
        for sid, allowed, denied, principals in (
                ("Producers", PRODUCER_ACTIONS, PRODUCER_ACTIONS, producers + redrivers),
                ("Consumer", CONSUMER_ACTIONS, CONSUMER_MESSAGE_ACTIONS, consumers)):
            if sid == "Producers" and redrivers:
                # Listed apart so the policy reads who sends in production and who only redrives.
                statements.append({"Sid": "AllowRedrive", "Effect": "Allow", "Principal": {"AWS": redrivers},
                                   "Action": REDRIVE_DESTINATION_ACTIONS, "Resource": args.queue_arn})
                allowed_principals = producers
            else:
                allowed_principals = principals
            statements.append({"Sid": f"Allow{sid}", "Effect": "Allow", "Principal": {"AWS": allowed_principals},
                               "Action": allowed, "Resource": args.queue_arn})
            # Same-account identity policies would otherwise grant these actions on their own.
            statements.append({"Sid": f"DenyOtherThan{sid}", "Effect": "Deny", "Principal": "*",
                               "Action": denied, "Resource": args.queue_arn,
                               "Condition": {"ArnNotEquals": {"aws:PrincipalArn": principals}}})
        aws.sqs.QueuePolicy(f"{name}-policy", queue_url=args.queue_url, policy=iam.document(*statements),
                            opts=pulumi.ResourceOptions(parent=self))
        redrive = aws.iam.Policy(
            f"{name}-redrive", name=f"{args.name_prefix}-ticket-events-redrive",
            description="Move ticket events back from the dead-letter queue (attach to a role in "
                        "tiketi:queue.redriveRoleArns)",
            policy=iam.document(iam.allow(REDRIVE_SOURCE_ACTIONS, args.dlq_arn, sid="MoveFromTheDeadLetterQueue"),
                                iam.allow(REDRIVE_DESTINATION_ACTIONS, args.queue_arn, sid="SendBackToTheQueue")),
            # A fixed name (operators attach it by name): a replacement (name, path or description change,
            # tools/harness/review/replacements.py) deletes the old policy first. IAM refuses to delete one
            # still attached (DeleteConflict), so detach it from the redrive roles before such a change.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True))
        self.redrive_policy_arn = redrive.arn
        self.register_outputs({"redrivePolicyArn": self.redrive_policy_arn})
