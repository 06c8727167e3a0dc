"""``make mutation``'s literal finder: what it changes, what it leaves out and why, one literal at a time.

The run itself (a fork per mutant, minutes to hours) is never part of ``make test``; these check the
rules that decide which literals count, so a rule cannot silently hide behaviour from the score.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools.mutation import runner
from tools.mutation.literals import ROOT, Literal, all_literals, literals_of, mutated_code

SAMPLE = '''
"""A module docstring."""
from typing import Literal as L

import pulumi
import pulumi_aws as aws

Mode = L["route53", "external"]
TYPE = "tiketi:data:Cache"


def port(mode: Mode = "route53") -> int:
    """What the function does."""
    if mode not in ("route53",):
        raise ValueError(f"unknown mode {mode}; allowed: route53")
    pulumi.log.info("three words here")
    group = aws.ec2.SecurityGroup("cache-sg", description="Redis from the app subnets",
                                  ingress=[{"from_port": 6379, "protocol": "tcp"}])
    values = {"runAsNonRoot": True, "path": f"/actuator/{mode}/readiness"}
    return 6379, group, values
'''


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, list[Literal]]:
    root = tmp_path_factory.mktemp("repo")
    (root / "components").mkdir()
    path = root / "components" / "sample.py"
    path.write_text(textwrap.dedent(SAMPLE))
    return root, literals_of(path, root)


def kinds(found: list[Literal]) -> dict[object, str]:
    return {lit.value: lit.kind for lit in found}


def test_values_are_mutants_and_words_for_people_are_not(sample):
    _, found = sample
    by_value = kinds(found)
    # behaviour: ports, protocols, booleans, a Literal's allowed values, the default, f-string pieces
    for value in (6379, "tcp", True, "route53", "/actuator/", "/readiness"):
        assert by_value[value] == "mutant", value
    assert by_value["A module docstring."] == "doc"
    assert by_value["What the function does."] == "doc"
    assert by_value["Redis from the app subnets"] == "text"  # description=
    assert by_value["three words here"] == "text"  # pulumi.log
    assert by_value["unknown mode "] == "text"  # a raise's message
    assert by_value["cache-sg"] == "name"  # a resource's logical name: the URN test owns it
    assert by_value["tiketi:data:Cache"] == "name"
    assert by_value["runAsNonRoot"] == "key"
    assert by_value["from_port"] == "key"


def test_a_mutant_changes_exactly_one_literal(sample):
    root, found = sample
    port_literal = next(lit for lit in found if lit.value == 6379 and lit.kind == "mutant"
                        and lit.line == max(x.line for x in found if x.value == 6379))
    code = mutated_code(port_literal, root)
    original = compile(textwrap.dedent(SAMPLE), str(root / port_literal.path), "exec")
    assert 6380 in _constants(code) and 6379 in _constants(code)  # the other 6379 is untouched
    assert 6380 not in _constants(original)
    assert [lit.mutated() for lit in found if lit.value is True] == [False]
    assert next(lit for lit in found if lit.value == "tcp").mutated() == "XXtcpXX"


def _constants(code) -> list[object]:
    found = list(code.co_consts)
    for const in code.co_consts:
        if hasattr(const, "co_consts"):
            found += _constants(const)
    return found


def test_a_stale_literal_is_refused_rather_than_mutating_the_wrong_value(sample):
    root, found = sample
    literal = next(lit for lit in found if lit.value == "tcp")
    moved = Literal(literal.path, literal.line + 1, literal.col, literal.end_line + 1, literal.end_col,
                    literal.value, literal.kind, literal.index)
    with pytest.raises(RuntimeError, match="source changed"):
        mutated_code(moved, root)


def test_the_repository_has_its_spec_literals_as_mutants():
    found = [lit for lit in all_literals() if lit.kind == "mutant"]
    assert len(found) > 3000
    spots = {(lit.path, lit.value) for lit in found}
    # a few the issue names: a port, a TLS policy, an encryption type, runAsNonRoot, a volume type
    assert ("components/data/cache.py", 6379) in spots
    assert ("components/kubernetes/cluster.py", "gp3") in spots
    assert ("components/kubernetes/container_registry.py", "AES256") in spots
    assert any(lit.value is True and "security" in lit.path for lit in found) or any(
        lit.path == "components/kubernetes/pod_security.py" for lit in found)


def test_sampling_is_stable_and_proportional():
    found = [lit for lit in all_literals() if lit.kind == "mutant"]
    buckets = [lit.bucket() for lit in found]
    assert buckets == [lit.bucket() for lit in all_literals() if lit.kind == "mutant"]
    share = sum(b < 1000 for b in buckets) / len(buckets)
    assert 0.07 < share < 0.13  # --sample 10 picks about a tenth


def test_the_left_out_test_files_exist_and_the_rest_run_in_process():
    for path in runner.NOT_IN_PROCESS:
        assert (ROOT / path).is_file(), path
    files = runner.test_files()
    assert "tests/data/test_data_tier.py" in files
    assert not set(files) & set(runner.NOT_IN_PROCESS)


def test_a_tier_meets_its_own_tests_first():
    files = runner.test_files()
    first = runner.tier_tests("components/data/cache.py", files)
    assert first and all(f.startswith("tests/data/") for f in first)
    assert runner.tier_tests("__main__.py", files)[0].startswith("tests/program/")


def test_a_file_edited_during_the_run_is_an_error_not_a_kill(tmp_path, sample, monkeypatch):
    root, found = sample
    monkeypatch.setattr(runner, "mutated_code", lambda lit: mutated_code(lit, root))
    literal = next(lit for lit in found if lit.value == "tcp")
    moved = Literal(literal.path, literal.line + 1, literal.col, literal.end_line + 1, literal.end_col,
                    literal.value, literal.kind, literal.index)
    scheduler = runner.Scheduler(files=[], workers=1, timeout=1.0, scratch=tmp_path)
    reported = {}
    scheduler.run([moved], deadline=float("inf"), report=lambda lit, result: reported.update({lit: result}))
    assert reported == {moved: {"killed": False, "error": f"{moved.key}: the source changed since the literals "
                                                          "were listed"}}
