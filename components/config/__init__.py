"""Typed, validated stack configuration: the one package that reads ``pulumi.Config``.

One module per tier holds that tier's ``tiketi:<section>`` models (defaults, descriptions,
validators); ``stack`` assembles them into ``StackConfig`` and turns every problem into
one line naming the key, the value and what is allowed.
"""

from components.config.errors import ConfigError
from components.config.stack import StackConfig, load_stack_config, parse_stack_config

__all__ = ["ConfigError", "StackConfig", "load_stack_config", "parse_stack_config"]
