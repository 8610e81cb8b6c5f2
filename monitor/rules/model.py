"""The shape of a rule as written in YAML, validated with pydantic."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from monitor.item import ItemField


class Severity(StrEnum):
    """How loud an alert is; ordered from quietest to loudest."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class TermMode(StrEnum):
    """`exact` for names and places (clitic variants only), `stem` for ordinary words."""

    EXACT = "exact"
    STEM = "stem"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(value: Any) -> Any:
    """A duration as seconds: a number, or text like `90s`, `5m`, `2h`, `3d`."""
    if isinstance(value, str) and value[-1:] in _UNITS and value[:-1].replace(".", "", 1).isdigit():
        return float(value[:-1]) * _UNITS[value[-1]]
    return value


Duration = Annotated[float, BeforeValidator(seconds), Field(ge=0)]


class PolicySpec(_Strict):
    """When a rule's stories notify: Alertmanager's group wait, repeat and inhibition, for news."""

    group_wait: Duration = 30.0
    story_window: Duration = 72 * 3600.0
    similarity: float = Field(default=0.39, gt=0, le=1)
    link_similarity: float = Field(default=0.25, gt=0, le=1)
    link_window: Duration = 36 * 3600.0
    repeat_after: Duration | None = None
    min_sources: int = Field(default=1, ge=1)
    corroboration_window: Duration = 6 * 3600.0


class TermGroupSpec(_Strict):
    """Words, phrases and regular expressions that stand for one idea."""

    words: list[str] = Field(default_factory=list)
    mode: TermMode = TermMode.STEM
    regex: list[str] = Field(default_factory=list)
    weight: float = 1.0

    @field_validator("words", "regex")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        if any(not str(v).strip() for v in values):
            raise ValueError("blank entry")
        return values


class TestCaseSpec(_Strict):
    """An item written into a rule's tests; a plain string is a headline."""

    __test__ = False
    title: str = ""
    summary: str = ""
    body: str = ""
    source: str = ""
    lang: str = ""


class RuleTestsSpec(_Strict):
    """Items that must alert, must not alert, or must be recorded as a mere mention."""

    __test__ = False
    match: list[TestCaseSpec] = Field(default_factory=list)
    no_match: list[TestCaseSpec] = Field(default_factory=list)
    mention: list[TestCaseSpec] = Field(default_factory=list)

    @field_validator("match", "no_match", "mention", mode="before")
    @classmethod
    def _headlines(cls, values: Any) -> Any:
        if isinstance(values, list):
            return [{"title": v} if isinstance(v, str) else v for v in values]
        return values


class RuleSpec(_Strict):
    """One rule: what it looks for, where, and the tests that pin it down."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    title: str = Field(min_length=1)
    description: str = ""
    severity: Severity = Severity.MEDIUM
    mention_severity: Severity = Severity.LOW
    languages: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    exclude_sources: list[str] = Field(default_factory=list)
    enabled: bool = True
    terms: dict[str, TermGroupSpec] = Field(min_length=1)
    match: Any = None
    threshold: float | None = None
    anchor: list[ItemField] = Field(default_factory=list)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    tests: RuleTestsSpec = Field(default_factory=RuleTestsSpec)

    @field_validator("terms", mode="before")
    @classmethod
    def _word_lists(cls, values: Any) -> Any:
        if isinstance(values, dict):
            return {k: {"words": v} if isinstance(v, list) else v for k, v in values.items()}
        return values

    @field_validator("languages")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.lower() for v in values]
