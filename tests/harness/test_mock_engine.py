"""tools/harness/mock_engine.py: stack files flattened the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

import json

import pytest

from tools.harness.mock_engine import OFFLINE_SECRET_PREFIX, ProgramError, load_stack_config_file


def write(tmp_path, text: str) -> None:
    (tmp_path / "Pulumi.qa.yaml").write_text(text)


def test_objects_become_json_and_scalars_text(tmp_path):
    write(tmp_path, "config:\n  aws:region: ap-northeast-2\n  tiketi:queue:\n    maxReceiveCount: 3\n")
    config, secret_keys = load_stack_config_file("qa", root=tmp_path)
    assert config == {"aws:region": "ap-northeast-2", "tiketi:queue": '{"maxReceiveCount": 3}'}
    assert secret_keys == set()


def test_a_top_level_secure_value_is_a_secret_placeholder(tmp_path):
    write(tmp_path, "config:\n  tiketi:token:\n    secure: AAABAJ0cipher\n")
    config, secret_keys = load_stack_config_file("qa", root=tmp_path)
    assert config == {"tiketi:token": f"{OFFLINE_SECRET_PREFIX}tiketi:token"}
    assert secret_keys == {"tiketi:token"}


def test_secure_values_at_any_depth_mark_their_whole_key_secret(tmp_path):
    # As the CLI: hasSecureValue looks through maps and lists; the program gets the object with
    # the secure values decrypted in place (offline: placeholders).
    write(tmp_path, "config:\n"
                    "  tiketi:alerts:\n"
                    "    emails:\n"
                    "      - oncall@tiketi.example\n"
                    "      - secure: AAABAJ0cipher\n"
                    "    webhook:\n"
                    "      discord:\n"
                    "        url:\n"
                    "          secure: AAABAK1cipher\n"
                    "  tiketi:queue:\n"
                    "    maxReceiveCount: 3\n")
    config, secret_keys = load_stack_config_file("qa", root=tmp_path)
    assert secret_keys == {"tiketi:alerts"}
    assert json.loads(config["tiketi:alerts"]) == {
        "emails": ["oncall@tiketi.example", f"{OFFLINE_SECRET_PREFIX}tiketi:alerts.emails[1]"],
        "webhook": {"discord": {"url": f"{OFFLINE_SECRET_PREFIX}tiketi:alerts.webhook.discord.url"}}}


def test_a_map_with_more_than_the_secure_key_is_an_ordinary_object(tmp_path):
    # isSecureValue: exactly one key, "secure", holding a string.
    write(tmp_path, "config:\n  tiketi:x:\n    secure: plain\n    other: 1\n  tiketi:y:\n    secure: [1]\n")
    config, secret_keys = load_stack_config_file("qa", root=tmp_path)
    assert secret_keys == set()
    assert json.loads(config["tiketi:x"]) == {"secure": "plain", "other": 1}


def test_a_missing_stack_file_lists_the_stacks(tmp_path):
    write(tmp_path, "config: {}\n")
    with pytest.raises(ProgramError, match=r"no stack file Pulumi\.dev\.yaml; stacks are: qa"):
        load_stack_config_file("dev", root=tmp_path)
