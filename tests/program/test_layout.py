"""The folders are the architecture: each component lives where its type token says.

``tiketi:<tier>:<Type>`` is the class ``Type`` in ``components/<tier>/<snake_case(Type)>.py``
(the ``async`` tier's package is ``async_``, a keyword otherwise), and its package exports it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import components
from components.base import Component


def expected_module(type_token: str) -> str:
    _, tier, type_name = type_token.split(":")
    package = f"{tier}_" if tier == "async" else tier
    return f"components.{package}.{re.sub(r'(?<!^)(?=[A-Z])', '_', type_name).lower()}"


def component_classes() -> list[type[Component]]:
    found = []
    for module_info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(module_info.name)
        found += [obj for obj in vars(module).values()
                  if inspect.isclass(obj) and issubclass(obj, Component) and obj is not Component
                  and obj.__module__ == module.__name__]
    return found


def test_the_expected_module_follows_the_type_token():
    assert expected_module("tiketi:edge:LoadBalancer") == "components.edge.load_balancer"
    assert expected_module("tiketi:async:QueueAccess") == "components.async_.queue_access"
    assert expected_module("tiketi:kubernetes:ExternalSecretsOperator") == \
        "components.kubernetes.external_secrets_operator"


def test_every_component_lives_in_the_module_its_type_token_names_and_its_package_exports_it():
    classes = component_classes()
    assert len(classes) >= 35  # every component the program composes (a scan that finds none proves nothing)
    misplaced = [f"{c.TYPE} is in {c.__module__}" for c in classes if c.__module__ != expected_module(c.TYPE)]
    assert misplaced == []
    for cls in classes:
        package = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
        assert getattr(package, cls.__name__, None) is cls, f"{package.__name__} does not export {cls.__name__}"


def test_value_types_are_frozen():
    """Arguments and settings are values: a component must not change what its caller (or a sibling) holds.

    Every dataclass in ``components/`` is frozen except the capacity check's report (built up finding by finding)."""
    import dataclasses

    mutable = set()
    count = 0
    for module_info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(module_info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                count += 1
                if not obj.__dataclass_params__.frozen:
                    mutable.add(f"{obj.__module__}.{obj.__qualname__}")
    assert count >= 60
    assert mutable == {"components.capacity.model.Report"}
