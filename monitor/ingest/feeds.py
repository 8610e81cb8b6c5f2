"""The feeds to poll, from a YAML file: id, URL, language and how often.

feeds:
  - id: bbc-arabic
    url: https://feeds.bbci.co.uk/arabic/rss.xml
    lang: ar
    interval: 5m          # optional: the first interval; polling adapts from there
    allow_private: false  # true lets a feed live on a private or loopback address
    baseline: true        # false alerts on the items present at the first poll too
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from monitor.errors import ConfigError, RuleError
from monitor.rules.model import seconds
from monitor.rules.yaml_file import read_documents

MIN_INTERVAL = 60.0
"""Shortest time between two polls of one feed, whatever it asks."""

MAX_INTERVAL = 3600.0
"""Longest time between two polls of one feed, however quiet it is."""

DEFAULT_INTERVAL = 300.0
"""First interval of a feed that names none."""


class FeedSpec(BaseModel):
    """One feed as written in the feeds file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)
    url: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9+.-]*://", max_length=2000)
    lang: str = Field(min_length=2, max_length=8)
    name: str = ""
    interval: Annotated[
        float, BeforeValidator(seconds), Field(ge=MIN_INTERVAL, le=MAX_INTERVAL)
    ] = DEFAULT_INTERVAL
    allow_private: bool = False
    baseline: bool = True


class FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[FeedSpec] = Field(default_factory=list)


def load_feeds(path: Path) -> list[FeedSpec]:
    """The feeds of `path`; every problem is a ConfigError at `path:line:col`."""
    try:
        documents = list(read_documents(path))
    except RuleError as exc:
        raise ConfigError(str(exc)) from exc
    if not documents:
        return []
    document = documents[0]
    try:
        feeds = FeedsFile.model_validate(document.data or {}).feeds
    except ValidationError as exc:
        problems = [
            f"{document.locate(tuple(p['loc']))}: {'.'.join(map(str, p['loc']))}: {p['msg']}"
            for p in exc.errors()
        ]
        raise ConfigError("\n".join(problems)) from exc
    seen: dict[str, int] = {}
    for index, feed in enumerate(feeds):
        if feed.id in seen:
            where = document.locate(("feeds", index, "id"))
            raise ConfigError(f"{where}: duplicate feed id '{feed.id}'")
        seen[feed.id] = index
    return feeds
