"""Items read from files and streams: seed-style .txt, .jsonl, RSS/Atom, or `-` for stdin.

A reader given a list of problems tells each bad line or file there and reads on;
without one, the first problem raises InputError.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import ValidationError

from monitor.errors import InputError
from monitor.ingest.parser import parse_feed
from monitor.item import Item
from monitor.problems import describe
from monitor.text.html_text import carries_markup, html_to_text

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
"""File endings read as feed documents."""

ITEM_HINTS = {"published": "a date and time such as 2024-01-27T10:00:00Z"}
"""What an item key's value should look like, for a line that has it wrong."""

T = TypeVar("T")
Parse = Callable[[dict[str, Any]], T]
"""Makes a value of one decoded line; raises ValueError when the line is not one."""


def read_items(inputs: Iterable[str], problems: list[str] | None = None) -> Iterator[Item]:
    """Every item in the inputs, in order; see the module for `problems`."""
    for name in inputs:
        if name == "-":
            yield from read_jsonl(sys.stdin.buffer, "<stdin>", "stdin", item_of, problems)
        else:
            yield from read_path(Path(name), problems)


def read_path(path: Path, problems: list[str] | None = None) -> Iterator[Item]:
    """The items of one file, by its ending."""
    try:
        yield from _read_file(path, problems)
    except InputError as exc:
        if problems is None:
            raise
        problems.append(str(exc))


def _read_file(path: Path, problems: list[str] | None) -> Iterator[Item]:
    if path.is_dir():
        raise InputError(f"{path}: is a directory; name the files")
    try:
        if path.suffix == ".jsonl":
            yield from read_jsonl_file(path, item_of, problems)
        elif path.suffix in FEED_SUFFIXES:
            yield from parse_feed(path.read_bytes(), path.stem)
        else:
            yield read_text_item(path.read_text(encoding="utf-8"), path.stem)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def item_of(data: dict[str, Any]) -> Item:
    """An item from one decoded line, its title, summary and content as visible text: a
    list of headlines in a summary is a line each, as the poller reads it (feed dumps and
    aggregators' summaries carry "&quot;" and "<li><a ...>"). A field without markup is
    kept as written, its blank lines and spacing too."""
    item = Item.model_validate(data)
    marked = {
        name: html_to_text(text)
        for name in ("title", "summary", "content")
        if carries_markup(text := getattr(item, name))
    }
    return item.model_copy(update=marked) if marked else item


def read_text_item(text: str, item_id: str) -> Item:
    """A seed-style text: the first non-empty line is the headline, the rest the body."""
    lines = text.strip().splitlines()
    title = lines[0].strip() if lines else ""
    body = "\n".join(lines[1:]).strip()
    return Item(id=item_id, title=title, content=body, source=item_id)


def read_jsonl_file(path: Path, parse: Parse[T], problems: list[str] | None = None) -> Iterator[T]:
    """What `parse` makes of every good line of a .jsonl file (see read_jsonl)."""
    try:
        with path.open("rb") as stream:
            yield from read_jsonl(stream, str(path), path.stem, parse, problems)
    except OSError as exc:
        _report(problems, f"{path}: cannot read: {exc}", exc)


def read_jsonl(
    stream: IO[bytes], name: str, stem: str, parse: Parse[T], problems: list[str] | None
) -> Iterator[T]:
    """What `parse` makes of each non-empty line, a JSON object given the id `stem:LINE`
    when it has none; a bad line is a problem `name:LINE: what is wrong`."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = parse(_json_object(line, f"{stem}:{number}"))
        except ValueError as exc:
            _report(problems, f"{name}:{number}: {line_problem(exc)}", exc)
            continue
        yield value


def _json_object(line: bytes, default_id: str) -> dict[str, Any]:
    # Decoded line by line, so that one line in another encoding spoils only itself.
    data = json.loads(line.decode("utf-8-sig"))
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    data.setdefault("id", default_id)
    return data


def line_problem(exc: ValueError) -> str:
    """What is wrong with a line, in the words of a person writing one."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start + 1} of the line)"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (column {exc.colno})"
    if isinstance(exc, ValidationError):
        return "; ".join(describe(problem, ITEM_HINTS) for problem in exc.errors())
    return str(exc)


def _report(problems: list[str] | None, message: str, cause: Exception) -> None:
    if problems is None:
        raise InputError(message) from cause
    problems.append(message)
