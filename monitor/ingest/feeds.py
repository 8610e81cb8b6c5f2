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
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from monitor.errors import ConfigError, Location, RuleError
from monitor.ingest.address import url_refusal
from monitor.problems import DURATION_HINT, located_problems, unknown_key_hint
from monitor.rules.model import seconds
from monitor.rules.yaml_file import KeyPath, YamlDocument, read_documents

MIN_INTERVAL = 60.0
"""Shortest time between two polls of one feed, whatever it asks."""

MAX_INTERVAL = 3600.0
"""Longest time between two polls of one feed, however quiet it is."""

DEFAULT_INTERVAL = 300.0
"""First interval of a feed that names none."""

HINTS = {
    "id": "an id of lowercase letters, digits, '.', '_' and '-', such as bbc-arabic",
    "url": "an http or https URL",
    "lang": "a language code such as ar or en",
    "interval": DURATION_HINT,
}
"""What each key's value should look like, for the problems the feeds file shows."""

Problem = tuple[Location, str]


class FeedSpec(BaseModel):
    """One feed as written in the feeds file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)
    url: str = Field(max_length=2000)
    lang: str = Field(min_length=2, max_length=8)
    name: str = ""
    interval: Annotated[
        float, BeforeValidator(seconds), Field(ge=MIN_INTERVAL, le=MAX_INTERVAL)
    ] = DEFAULT_INTERVAL
    allow_private: bool = False
    baseline: bool = True


class FeedsFile(BaseModel):
    """The file's own shape; each entry of `feeds` is checked as a FeedSpec of its own."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[dict[str, Any]] | None = None


class _Reach(BaseModel):
    """Where a feed may be fetched from: read even when the entry's other keys are wrong."""

    url: str
    allow_private: bool = False


def load_feeds(path: Path) -> list[FeedSpec]:
    """The feeds of `path`; every problem of the file, at once, in one ConfigError of
    `path:line:col: ...` lines in the order of the file."""
    document = _document(path)
    if document is None:
        return []
    problems = _shape_problems(document)
    entries = _entries(document.data)
    feeds = []
    for index, entry in entries:
        feed, found = _feed(document, index, entry)
        problems += found
        feeds += [feed] if feed else []
    problems += _duplicates(document, entries)
    if problems:
        raise ConfigError("\n".join(f"{where}: {text}" for where, text in _ordered(problems)))
    return feeds


def _document(path: Path) -> YamlDocument | None:
    try:
        documents = list(read_documents(path))
    except RuleError as exc:
        raise ConfigError(str(exc)) from exc
    return documents[0] if documents else None


def _shape_problems(document: YamlDocument) -> list[Problem]:
    """What is wrong with the file around its entries: unknown keys, `feeds` not a list."""
    try:
        FeedsFile.model_validate({} if document.data is None else document.data)
    except ValidationError as exc:
        return _problems(document, (), exc, FeedsFile)
    return []


def _entries(data: Any) -> list[tuple[int, dict[str, Any]]]:
    """The entries of `feeds` that are mappings, with their places in the list."""
    listed = data.get("feeds") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        return []
    return [(index, entry) for index, entry in enumerate(listed) if isinstance(entry, dict)]


def _feed(
    document: YamlDocument, index: int, entry: dict[str, Any]
) -> tuple[FeedSpec | None, list[Problem]]:
    """The entry as a FeedSpec, or None, and every problem it has."""
    label = _label(index, entry)
    problems = [(where, f"{label}: {text}") for where, text in _reach(document, index, entry)]
    try:
        feed = FeedSpec.model_validate(entry)
    except ValidationError as exc:
        found = _problems(document, ("feeds", index), exc, FeedSpec)
        return None, [(where, f"{label}: {text}") for where, text in found] + problems
    return (None if problems else feed), problems


def _problems(
    document: YamlDocument, at: KeyPath, error: ValidationError, model: type[BaseModel]
) -> list[Problem]:
    """pydantic's problems in the user's words; an unknown key with the key it may stand for."""
    located = located_problems(document, at, error, HINTS)
    return [
        (where, text + unknown_key_hint(model, problem))
        for (where, text), problem in zip(located, error.errors(), strict=True)
    ]


def _reach(document: YamlDocument, index: int, entry: dict[str, Any]) -> list[Problem]:
    """The entry's URL refused before any fetch: a scheme other than http(s), or a host
    that is a private address or loopback name without allow_private."""
    try:
        reach = _Reach.model_validate(entry)
    except ValidationError:
        return []  # a url or allow_private that is not even the right type is told elsewhere
    refused = url_refusal(reach.url, allow_private=reach.allow_private)
    return [(document.locate(("feeds", index, "url")), refused)] if refused else []


def _label(index: int, entry: dict[str, Any]) -> str:
    """How a problem names its feed: by its id when it has one, else by its place."""
    feed_id = entry.get("id")
    return f"feed '{feed_id}'" if isinstance(feed_id, str) and feed_id else f"feeds[{index}]"


def _duplicates(document: YamlDocument, entries: list[tuple[int, dict[str, Any]]]) -> list[Problem]:
    """Every id used again, at the place it is used again."""
    first: dict[str, int] = {}
    problems = []
    for index, entry in entries:
        feed_id = entry.get("id")
        if not isinstance(feed_id, str) or first.setdefault(feed_id, index) == index:
            continue
        line = document.locate(("feeds", first[feed_id], "id")).line
        where = document.locate(("feeds", index, "id"))
        problems.append((where, f"duplicate feed id '{feed_id}', first used at line {line}"))
    return problems


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: (problem[0].line, problem[0].column))
