"""The config models read as data: which keys exist where, their defaults, what they allow.

One walker serves three readers: the error messages (the keys next to a misspelt one, at any
depth), the generated reference (tools/ops/config_reference.py) and the check that no stack
file repeats a default (tests/config/test_stack.py).
"""

from __future__ import annotations

import ipaddress
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from components.config.base import Allowed


def strip(annotation: Any) -> tuple[Any, list[Any]]:
    """The annotation without ``Annotated`` and ``None``, and the metadata found on the way."""
    metadata: list[Any] = []
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata += extra
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def key_of(name: str, field: FieldInfo) -> str:
    return field.alias or name


def fields_by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key a stack file spells (camelCase)."""
    return {key_of(name, field): field for name, field in model.model_fields.items()}


def model_at(annotation: Any, path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that holds the key at the end of ``path`` (a validation error's location).

    Walks models by key, lists by index and maps by any key, e.g. ``("autoscaling",
    "gateway-service", "mn")`` from WorkloadsSettings ends at AutoscalingRange.
    """
    for part in path[:-1]:
        annotation, _ = strip(annotation)
        origin = typing.get_origin(annotation)
        if is_model(annotation):
            field = fields_by_key(annotation).get(str(part)) or annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif origin is list and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif origin is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return None
    annotation, _ = strip(annotation)
    return annotation if is_model(annotation) else None


@dataclass(frozen=True)
class Key:
    """One leaf key of a section: ``alarms.cpuPercent`` in tiketi:database."""

    path: str
    field: FieldInfo

    @property
    def required(self) -> bool:
        return self.field.is_required()

    @property
    def default(self) -> Any:
        return self.field.get_default(call_default_factory=True)

    @property
    def description(self) -> str:
        return self.field.description or ""

    @property
    def allowed(self) -> str:
        extra = self.field.json_schema_extra
        if isinstance(extra, dict) and "allowed" in extra:
            return str(extra["allowed"])
        return describe_type(self.field.annotation, self.field.metadata)


def leaf_keys(model: type[BaseModel], prefix: str = "") -> Iterator[Key]:
    """Every key of ``model``, nested sections expanded (``alarms.cpuPercent``), and a map or list of
    sections as itself plus its entries' keys (``autoscaling.<service>.min``, ``onSaleFreezes[].duration``)."""
    for name, field in model.model_fields.items():
        path = prefix + key_of(name, field)
        inner, _ = strip(field.annotation)
        if is_model(inner):
            yield from leaf_keys(inner, path + ".")
            continue
        yield Key(path, field)
        if typing.get_origin(inner) is dict and is_model(strip(typing.get_args(inner)[1])[0]):
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            entry = strip(typing.get_args(inner)[1])[0]
            yield from leaf_keys(entry, f"{path}.<{extra.get('map_key', 'name')}>.")
        if typing.get_origin(inner) is list and is_model(strip(typing.get_args(inner)[0])[0]):
            yield from leaf_keys(strip(typing.get_args(inner)[0])[0], f"{path}[].")


def describe_type(annotation: Any, field_metadata: list[Any] | None = None) -> str:
    """What a field allows, in words: `true` | `false`, 1–1000, list of ..."""
    inner, metadata = strip(annotation)
    metadata = [*metadata, *(field_metadata or [])]
    for item in metadata:
        if isinstance(item, Allowed):
            return item.text
    origin = typing.get_origin(inner)
    if origin is Literal:
        return " \\| ".join(f"`{value}`" for value in typing.get_args(inner))
    if inner is bool:
        return "`true` \\| `false`"
    if inner in (int, float):
        return _range(metadata) or ("integer" if inner is int else "number")
    if origin is list:
        words = f"list of {describe_type(typing.get_args(inner)[0])}"
        sizes = [f"at least {m.min_length}" for m in metadata if isinstance(m, MinLen)]
        sizes += [f"at most {m.max_length}" for m in metadata if isinstance(m, MaxLen)]
        return f"{words} ({', '.join(sizes)})" if sizes else words
    if origin is dict:
        return f"map of text to {describe_type(typing.get_args(inner)[1])}"
    names = {str: "text", ipaddress.IPv4Network: "IPv4 CIDR"}
    return names.get(inner, getattr(inner, "__name__", str(inner)))


def _range(metadata: list[Any]) -> str:
    low = next((f"{m.ge}" for m in metadata if isinstance(m, Ge)), None)
    high = next((f"{m.le}" for m in metadata if isinstance(m, Le)), None)
    above = next((f"{m.gt}" for m in metadata if isinstance(m, Gt)), None)
    below = next((f"{m.lt}" for m in metadata if isinstance(m, Lt)), None)
    if low is not None and high is not None:
        return f"{low}–{high}"
    if above is not None and high is not None:
        return f"> {above}, ≤ {high}"
    parts = [f"≥ {low}" if low is not None else None, f"> {above}" if above is not None else None,
             f"≤ {high}" if high is not None else None, f"< {below}" if below is not None else None]
    return ", ".join(p for p in parts if p)


def repeated_defaults(model: type[BaseModel], given: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys in ``given`` (a section as a stack file writes it) whose value equals the model's default.

    Values are compared after validation, so ``90`` and ``"90"``, or ``10.0.0.0/16`` as text and
    as a network, compare equal.
    """
    found = []
    fields = fields_by_key(model)
    for key, value in given.items():
        field = fields.get(key)
        if field is None:
            continue
        inner, _ = strip(field.annotation)
        if is_model(inner) and isinstance(value, dict):
            found += repeated_defaults(inner, value, f"{prefix}{key}.")
            continue
        if field.is_required() or field.get_default() is PydanticUndefined:
            continue
        if _validated(model, key, value) == field.get_default(call_default_factory=True):
            found.append(f"{prefix}{key}")
    return found


def _validated(model: type[BaseModel], key: str, value: Any) -> Any:
    """``value`` as the model would hold it (validated alone, so the other fields' checks do not run)."""
    name = next(n for n, f in model.model_fields.items() if key_of(n, f) == key)
    field = model.model_fields[name]
    annotation = typing.Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValueError:
        return object()  # invalid: certainly not the default
