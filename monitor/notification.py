"""A notification about one story update, before it is rendered for a channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from monitor.rules.model import Severity


class Quote(BaseModel):
    """A passage of an item's text with the matched terms marked by character spans."""

    model_config = ConfigDict(frozen=True)

    text: str
    highlights: list[tuple[int, int]] = Field(default_factory=list)


class Source(BaseModel):
    """One item of the story as a reader would follow it: where and what."""

    model_config = ConfigDict(frozen=True)

    item: str
    source: str
    title: str
    link: str = ""
    published: datetime | None = None


class Notification(BaseModel):
    """Everything a channel needs to tell a person about a story update.

    All text in it comes from feeds and is untrusted: renderers escape it.
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    rule_title: str
    rules: list[str] = Field(default_factory=list)
    """Every rule the story alerted on, the opening one first."""
    severity: Severity
    story: str
    update: int
    headline: str
    quote: Quote
    sources: list[Source]
    reason: str = ""

    @property
    def item_ids(self) -> list[str]:
        return [source.item for source in self.sources]

    @property
    def source_names(self) -> list[str]:
        return sorted({source.source for source in self.sources if source.source})

    def summary(self, channel: str, title: str, text: str) -> dict[str, Any]:
        """The public record of one sent notification (`monitor replay --json`, `alerts`)."""
        return {
            "rule": self.rule,
            "rules": self.rules or [self.rule],
            "severity": self.severity.value,
            "story": self.story,
            "update": self.update,
            "items": self.item_ids,
            "sources": self.source_names,
            "channel": channel,
            "title": title,
            "text": text,
        }
