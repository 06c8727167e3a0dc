"""What every ``tiketi:<section>`` model shares: camelCase keys, unknown keys rejected, value checks.

Validators raise ``ValueError`` with a message that reads after the key and value
(``... "8" is not a CloudWatch Logs retention period; expected one of ...``);
``components/config/stack.py`` assembles the lines. A cross-field problem raises
``KeyProblemError``, which knows the key it is about.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


class KeyProblemError(ValueError):
    """A cross-field problem that knows which config key it is about."""

    def __init__(self, key: str, value: Any, what: str):
        self.key, self.value, self.what = key, value, what
        super().__init__(what)


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"is not a CloudWatch Logs retention period; expected one of {allowed}")
    return days


def check_family_size(value: str, prefix: str, what: str, families: tuple, sizes: tuple) -> str:
    """Allow-list an AWS size name such as db.r6g.large: the mock engine would accept any string."""
    match = re.fullmatch(rf"{prefix}\.([a-z0-9]+)\.([a-z0-9]+)", value)
    if not match or match[1] not in families or match[2] not in sizes:
        raise ValueError(
            f"is not an allowed {what}; expected {prefix}.<family>.<size> with family one of "
            f"{', '.join(families)} and size one of {', '.join(sizes)}"
        )
    return value


# A CloudWatch Logs retention period, checked wherever a section has one.
RetentionDays = Annotated[int, AfterValidator(_check_retention)]


class Section(BaseModel):
    """A config object: camelCase keys in YAML, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
    )
