"""Labelled items: an item with the rules that should alert on it and the event it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.inputs import item_of, read_jsonl_file
from monitor.item import Item

LABEL_KEYS = ("expect", "event", "mentions", "note")
"""Keys of a labelled line that are not item fields."""


@dataclass(frozen=True)
class LabelledItem:
    """An item, the rules that should alert on it, those it should only mention, and the
    event it reports (items with one label report one event)."""

    item: Item
    expect: frozenset[str]
    event: str | None = None
    mentions: frozenset[str] = field(default_factory=frozenset)


@dataclass
class LabelledSet:
    """The items read from labelled files, and the lines that could not be read."""

    items: list[LabelledItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_labelled(paths: list[Path]) -> LabelledSet:
    """Every good line of every file; each bad line is a problem naming file and line."""
    found = LabelledSet()
    for path in paths:
        found.items += read_jsonl_file(path, labelled, found.problems)
    return found


def labelled(data: dict[str, Any]) -> LabelledItem:
    """A labelled item from one decoded line (with its id); ValueError when it is not one."""
    expect, mentions = _rule_list(data, "expect"), _rule_list(data, "mentions")
    event = data.get("event")
    if event is not None and not isinstance(event, str):
        raise ValueError("`event` must be a label (text) or null")
    fields = {key: value for key, value in data.items() if key not in LABEL_KEYS}
    return LabelledItem(item_of(fields), expect, event or None, mentions)


def _rule_list(data: dict[str, Any], key: str) -> frozenset[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(rule, str) for rule in value):
        raise ValueError(f"`{key}` must be a list of rule ids")
    return frozenset(value)
