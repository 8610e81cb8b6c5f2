"""The shape of a rule as written in YAML, validated with pydantic."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from monitor.item import ItemField
from monitor.problems import DURATION_HINT


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


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank; write a word or remove the entry")
    return value


Entry = Annotated[str, AfterValidator(_not_blank)]
"""A word, phrase or pattern of a term group; a blank one would match everything or nothing."""


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

    words: list[Entry] = Field(default_factory=list)
    mode: TermMode = TermMode.STEM
    regex: list[Entry] = Field(default_factory=list)
    weight: float = 1.0


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


RULE_HINTS = {
    "id": "a rule id: lower-case letters, digits, - _ and . (at most 100 characters)",
    "terms": "a mapping of group names to words, such as {place: [Erbil]}",
    "languages": "a list of language codes, such as [ar, en]",
    "sources": "a list of source ids",
    "exclude_sources": "a list of source ids",
    "anchor": f"a list of fields among {', '.join(f.value for f in ItemField)}",
    "threshold": "a number: the score the rule needs",
    "words": "a list of words and phrases",
    "regex": "a list of regular expressions",
    "weight": "a number",
    "similarity": "a number above 0, at most 1",
    "link_similarity": "a number above 0, at most 1",
    "min_sources": "a whole number, 1 or more",
    **dict.fromkeys(
        ("group_wait", "story_window", "link_window", "repeat_after", "corroboration_window"),
        DURATION_HINT,
    ),
}
"""What each key's value should look like, for problems told in the user's words."""
