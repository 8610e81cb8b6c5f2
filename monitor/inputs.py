"""Items read from files and streams: seed-style .txt, .jsonl, RSS/Atom, or `-` for stdin."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from monitor.errors import InputError
from monitor.ingest.parser import parse_feed
from monitor.item import Item

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
"""File endings read as feed documents."""


def read_items(inputs: Iterable[str]) -> Iterator[Item]:
    """Every item in the inputs, in order; an unreadable input raises InputError."""
    for name in inputs:
        if name == "-":
            yield from read_jsonl(sys.stdin, "<stdin>", "stdin")
        else:
            yield from read_path(Path(name))


def read_path(path: Path) -> Iterator[Item]:
    """The items of one file, by its ending."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory; name the files")
    try:
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as stream:
                yield from read_jsonl(stream, str(path), path.stem)
        elif path.suffix in FEED_SUFFIXES:
            yield from parse_feed(path.read_bytes(), path.stem)
        else:
            yield read_text_item(path.read_text(encoding="utf-8"), path.stem)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def read_text_item(text: str, item_id: str) -> Item:
    """A seed-style text: the first non-empty line is the headline, the rest the body."""
    lines = text.strip().splitlines()
    title = lines[0].strip() if lines else ""
    body = "\n".join(lines[1:]).strip()
    return Item(id=item_id, title=title, content=body, source=item_id)


def read_jsonl(stream: IO[str], name: str, stem: str) -> Iterator[Item]:
    """One item per non-empty line of JSON; a line without an id is named `stem:line`."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise InputError(f"{name}:{number}: expected a JSON object")
            data.setdefault("id", f"{stem}:{number}")
            yield Item.model_validate(data)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{number}: invalid JSON: {exc.msg}") from exc
        except ValidationError as exc:
            raise InputError(f"{name}:{number}: {validation_problem(exc)}") from exc


def validation_problem(exc: ValidationError) -> str:
    """The first problem pydantic found in an item, as `field: message`."""
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}"
