"""Labelled items: an item with the rules that should alert on it and the event it reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.inputs import validation_problem
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
        try:
            for number, line in _lines(path):
                _read_line(found, f"{path}:{number}", line, f"{path.stem}:{number}")
        except (OSError, UnicodeDecodeError) as exc:
            found.problems.append(f"{path}: cannot read: {exc}")
    return found


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, line


def _read_line(found: LabelledSet, where: str, line: str, default_id: str) -> None:
    try:
        data = json.loads(line)
        found.items.append(labelled(data, default_id))
    except json.JSONDecodeError as exc:
        found.problems.append(f"{where}: invalid JSON: {exc.msg}")
    except (TypeError, ValueError) as exc:
        found.problems.append(f"{where}: {_wording(exc)}")


def labelled(data: Any, default_id: str) -> LabelledItem:
    """A labelled item from one decoded line; TypeError or ValueError when it is not one."""
    if not isinstance(data, dict):
        raise TypeError("expected a JSON object")
    data.setdefault("id", default_id)
    expect, mentions = _rule_list(data, "expect"), _rule_list(data, "mentions")
    event = data.get("event")
    if event is not None and not isinstance(event, str):
        raise TypeError("`event` must be a label (text) or null")
    fields = {key: value for key, value in data.items() if key not in LABEL_KEYS}
    return LabelledItem(Item.model_validate(fields), expect, event or None, mentions)


def _rule_list(data: dict[str, Any], key: str) -> frozenset[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(rule, str) for rule in value):
        raise TypeError(f"`{key}` must be a list of rule ids")
    return frozenset(value)


def _wording(exc: Exception) -> str:
    return validation_problem(exc) if isinstance(exc, ValidationError) else str(exc)
