"""What every ``tiketi:<section>`` model shares: camelCase keys, unknown keys rejected, value checks.

Every field carries its default and a ``description`` here, in the model: the stack files
set only what differs, and ``make docs`` writes docs/config-reference.md from the models.
A field whose allowed values the annotation does not show (a validator decides) says them
with ``allowed(...)``; a reusable type carries an ``Allowed`` marker.

Validators raise ``ValueError`` with a message that reads after the key and value
(``... 8 is not a CloudWatch Logs retention period; expected one of ...``);
``components/config/errors.py`` assembles the lines. A cross-field problem raises
``KeyProblemError``, which knows the key it is about.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


class KeyProblemError(ValueError):
    """A cross-field problem that knows which config key it is about.

    ``hidden``: the value may hold a credential, so the message must not echo it.
    """

    def __init__(self, key: str, value: Any, what: str, hidden: bool = False):
        self.key, self.value, self.what, self.hidden = key, None if hidden else value, what, hidden
        super().__init__(what)


@dataclass(frozen=True)
class Allowed:
    """``Annotated`` metadata: what a type allows, in words, for the generated reference."""

    text: str


def allowed(text: str) -> dict[str, str]:
    """``Field(json_schema_extra=allowed("..."))``: what a field allows, for the generated reference."""
    return {"allowed": text}


def did_you_mean(word: Any, candidates: list[str] | tuple[str, ...], prefix: str = "", cutoff: float = 0.75) -> str:
    """`` (did you mean X?)`` naming the closest candidate, or nothing when none is close.

    Long names that share a prefix (TLS policy names) need a higher ``cutoff``: a typo, not a
    different choice."""
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=cutoff)
    return f" (did you mean {prefix}{lowered[close[0]]}?)" if close else ""


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed_days = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"is not a CloudWatch Logs retention period; expected one of {allowed_days}")
    return days


def _not_a_yaml_number(value: Any) -> Any:
    # YAML reads an unquoted 1.30 as the float 1.3 and 7.10 as 7.1 (and 010 as 8): the program
    # would see another version than the one written, so a version must arrive as a string.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            "is a YAML number, not a version string: YAML reads an unquoted 1.30 as 1.3 and 7.10 as 7.1; "
            'put the version in quotes as you mean it, e.g. "1.30"'
        )
    return value


# A CloudWatch Logs retention period, checked wherever a section has one.
RetentionDays = Annotated[int, AfterValidator(_check_retention),
                          Allowed("CloudWatch Logs retention days (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)")]
# A version or image tag: text, never a YAML number.
VersionString = Annotated[str, BeforeValidator(_not_a_yaml_number), Allowed("quoted version")]


class Section(BaseModel):
    """A config object: camelCase keys in YAML, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
    )
