"""components/config/errors.py: the closest key for a misspelt one at every level, and no secret in a message."""

from __future__ import annotations

import json

import pytest

from components.config.errors import HIDDEN, describe, looks_like_credential
from components.config.stack import aws_provider_keys
from tests.support.config import CDN, EDGE, KIND, NETWORK, WORKLOADS, aws_config, problem_with, problems_of

# --- misspelt keys, at every level --------------------------------------------------------------


def test_misspelt_section_name_gets_the_closest_one_and_the_list():
    assert problems_of({**KIND, "tiketi:netwrok": "{}"}, "local") == [
        "tiketi:netwrok: unknown key (did you mean tiketi:network?); allowed keys are tiketi:platform, "
        "tiketi:network, tiketi:secrets, tiketi:protection, tiketi:database, tiketi:cache, tiketi:kafka, "
        "tiketi:alerts, tiketi:queue, tiketi:worker, tiketi:edge, tiketi:cluster, tiketi:workloads, "
        "tiketi:observability, tiketi:autoscaling, tiketi:kubernetes"]


def test_misspelt_nested_key_gets_the_closest_one_and_never_its_value():
    assert problems_of(aws_config(network={**NETWORK, "natGateway": "single"})) == [
        "tiketi:network.natGateway: unknown key (did you mean natGateways?); allowed keys are vpcCidr, "
        "availabilityZones, natGateways, flowLogsRetentionDays"]


def test_misspelt_key_two_levels_down():
    assert problem_with("database", alarms={"cpuPercnt": 70}) == (
        "tiketi:database.alarms.cpuPercnt: unknown key (did you mean cpuPercent?); allowed keys are cpuPercent, "
        "freeStorageGb, connections")


def test_misspelt_key_inside_a_map_entry():
    assert problems_of(aws_config(**{"tiketi:workloads": {
        **WORKLOADS, "autoscaling": {"ticket-service": {"min": 1, "mx": 3}}}})) == [
        "tiketi:workloads.autoscaling.ticket-service.max: is required",
        "tiketi:workloads.autoscaling.ticket-service.mx: unknown key (did you mean max?); allowed keys are min, max"]


def test_misspelt_key_inside_a_list_entry():
    freeze = {"schedule": "0 9 * * *", "duraton": "2h"}
    assert problems_of(aws_config(**{"tiketi:autoscaling": {"nodePool": {"onSaleFreezes": [freeze]}}})) == [
        "tiketi:autoscaling.nodePool.onSaleFreezes[0].duration: is required",
        "tiketi:autoscaling.nodePool.onSaleFreezes[0].duraton: unknown key (did you mean duration?); allowed keys are "
        "schedule, duration"]


def test_a_key_with_nothing_close_lists_the_allowed_ones():
    assert problem_with("queue", retries=3) == (
        "tiketi:queue.retries: unknown key; allowed keys are maxReceiveCount, contentBasedDeduplication, "
        "oldestMessageAlarmSeconds, redriveRoleArns")


def test_misspelt_aws_provider_key_gets_the_closest_one():
    assert problems_of(aws_config(**{"aws:regoin": "ap-northeast-2"})) == [
        "aws:regoin: unknown key (did you mean aws:region?); see the AWS provider's configuration keys"]


def test_every_key_the_aws_provider_reads_is_accepted():
    known = aws_provider_keys()
    assert {"region", "defaultTags", "profile", "accessKey", "secretKey", "assumeRoles", "skipCredentialsValidation"} \
        <= set(known)
    extra = {"aws:profile": "tiketi-prod", "aws:skipCredentialsValidation": "true"}
    assert problems_of({**aws_config(**extra), "tiketi:platform": "gke"})[0].startswith("tiketi:platform:")


def test_misspelt_namespace_gets_the_closest_key():
    raw = {**aws_config(), "tiketti:cache": json.dumps({"nodeType": "cache.t4g.small"})}
    assert problems_of(raw) == ["tiketti:cache: unknown namespace 'tiketti' (did you mean tiketi:cache?)"]


def test_keys_of_other_namespaces_are_left_to_their_owners():
    raw = {**aws_config(), "kubernetes:enableServerSideApply": "true", "pulumi:tags": "{}"}
    assert problems_of({**raw, "tiketi:platform": "gke"}) == [
        'tiketi:platform: "gke" is not allowed; expected "kind" or "aws"']


# --- values that may be secrets are never shown -------------------------------------------------


def test_an_unknown_keys_value_is_never_shown():
    problem = problem_with("database", masterPasword="hunter2-but-longer")
    assert "hunter2" not in problem and problem.startswith("tiketi:database.masterPasword: unknown key")
    [problem] = problems_of(aws_config(**{"aws:secretKye": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}))
    assert problem == ("aws:secretKye: unknown key (did you mean aws:secretKey?); see the AWS provider's "
                       "configuration keys")


def test_a_credential_looking_value_is_hidden_wherever_it_is_wrong():
    # An AWS secret access key pasted into the wrong field.
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert problem_with("edge", **{**CDN, "albCertificateArn": secret}) == (
        f"tiketi:edge.albCertificateArn: {HIDDEN} is not an ACM certificate ARN "
        "(arn:aws:acm:<region>:<account>:certificate/<id>)")
    assert problem_with("workloads", zipkinEndpoint={"url": "http://user:p4ssw0rd@zipkin:9411"}).startswith(
        f"tiketi:workloads.zipkinEndpoint: {HIDDEN} is invalid")


def test_values_of_keys_the_stack_marks_secret_are_hidden():
    raw = aws_config(**{"tiketi:alerts": {"emails": ["oncall-at-tiketi"]}})
    assert problems_of(raw, secret_keys=("tiketi:alerts",)) == [
        f"tiketi:alerts.emails: {HIDDEN} has entry [0], which is not an email address"]
    raw = aws_config(**{"tiketi:edge": {**EDGE, **CDN, "albOriginDomain": "origin-verify-token-xyz.example.com",
                                     "aliases": []}})
    [problem] = problems_of(raw, secret_keys=("tiketi:edge",))
    assert problem == f"tiketi:edge.aliases: {HIDDEN} and cloudfrontCertificateArn go together: a custom " \
        "certificate needs the names it serves, and custom names need a certificate"


def test_a_validator_quoting_a_hidden_value_is_redacted():
    raw = aws_config(**{"tiketi:workloads": {**WORKLOADS, "replicas": {"ticket-servce": 2}}})
    [problem] = problems_of(raw, secret_keys=("tiketi:workloads",))
    assert problem.startswith(f"tiketi:workloads.replicas: {HIDDEN} names '…', which is not a service")


@pytest.mark.parametrize("text", [
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "-----BEGIN RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", "postgres://admin:s3cret@db:5432/x",
    "ghp_0123456789abcdefghijABCDEFGHIJ012345", "e5kyuw5ypCD5vlpEtY5EeMs4nYaI3GP0",
])
def test_credential_shapes(text):
    assert looks_like_credential(text)


def test_a_jwt_with_short_segments_is_still_a_credential():
    # no base64 run of 20 characters: only the JWT shape (eyJ + two dot-separated segments) catches it
    assert looks_like_credential("eyJhbGci-OiJIUzI1.eyJzdWIi-OiIxIn0.sig")
    assert not looks_like_credential("eyJhbGci-OiJIUzI1")


@pytest.mark.parametrize("text", [
    "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06", "arn:aws:iam::123456789012:role/CiDeploy2024",
    "3f9c2ab-20261124120000", "db.m6g.micro", "origin.tiketi.example.com", "MyDatabase2024Primary",
])
def test_ordinary_values_are_shown(text):
    assert not looks_like_credential(text)
    assert describe(text, "tiketi:edge.albSslPolicy") == json.dumps(text)


def test_key_names_that_say_secret_hide_their_text_values():
    assert describe("correct-horse", "tiketi:alerts.webhookToken") == HIDDEN
    assert describe("x", "aws:secretKey") == HIDDEN
    assert describe(True, "tiketi:cache.authToken") == "true"  # a switch, not a secret
    assert describe(None, "tiketi:edge.albCertificateArn") == "(not set)"


def test_an_update_strategy_is_a_setting_not_a_secret():
    # tiketi:cache.authTokenUpdateStrategy (ROTATE/SET) names how a token is applied: shown in errors.
    assert describe("DELETE", "tiketi:cache.authTokenUpdateStrategy") == '"DELETE"'
    assert describe("DELETE", "tiketi:cache.authToken") == HIDDEN


@pytest.mark.parametrize("key", ["tiketi:database.masterPassword", "tiketi:x.passphrase", "tiketi:x.apiKey",
                                 "tiketi:x.accessKey", "tiketi:x.privateKey", "tiketi:x.credentials",
                                 "tiketi:x.authToken"])
def test_every_word_for_a_secret_in_a_key_name_hides_its_value(key):
    assert describe("correct-horse", key) == HIDDEN
    assert describe("correct-horse", key.replace(key.split(".")[-1], "region")) == '"correct-horse"'
