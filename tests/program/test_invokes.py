"""What the program asks the cloud (data sources): exactly these questions, with these arguments.

The fake cloud refuses a question it should not answer (tests/harness/test_fake_cloud.py); this
checks the other half: the arguments each stack's program passes, written out as AWS spells them.
"""

from __future__ import annotations

import json
from collections import Counter

EDGE_INVOKES = {
    ("aws:ec2/getManagedPrefixList:getManagedPrefixList", '{"name": "com.amazonaws.global.cloudfront.origin-facing"}'),
    ("aws:cloudfront/getCachePolicy:getCachePolicy", '{"name": "Managed-CachingDisabled"}'),
    ("aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy", '{"name": "Managed-AllViewerExceptHostHeader"}'),
    ("aws:route53/getZone:getZone", '{"name": "tiketi.example.com", "privateZone": false}'),
    ("aws:elb/getServiceAccount:getServiceAccount", "{}"),
}


def asked(snap) -> Counter:
    return Counter((i["token"], json.dumps(i["args"], sort_keys=True)) for i in snap.run.invokes)


def test_the_kind_stack_asks_the_cloud_nothing(local):
    assert local.run.invokes == ()


def test_an_aws_stack_asks_exactly_these_questions(aws_stack):
    questions = asked(aws_stack)
    identity = ("aws:index/getCallerIdentity:getCallerIdentity", "{}")
    assert set(questions) == EDGE_INVOKES | {identity}
    assert all(questions[q] == 1 for q in EDGE_INVOKES)  # each edge lookup once, not per rule or per record
    # the account id, once per component that writes it into a policy or an ARN
    assert questions[identity] == 9


def test_the_alb_admits_the_list_it_asked_for(aws_stack):
    [answer] = [i["result"] for i in aws_stack.run.invokes
                if i["token"] == "aws:ec2/getManagedPrefixList:getManagedPrefixList"]
    [rule] = [r for r in aws_stack.all("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
              if r.inputs.get("prefixListId")]
    assert (answer["name"], rule.inputs["prefixListId"]) == ("com.amazonaws.global.cloudfront.origin-facing",
                                                            "pl-22a6434b")
