"""Finds rules files, compiles every rule in them and collects every error at once."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from monitor.errors import RuleError, RuleSetError
from monitor.heap import collections_paused
from monitor.rules.compiler import compile_rule
from monitor.rules.rule import Rule
from monitor.rules.yaml_file import KeyPath, YamlDocument, read_documents

RULE_SUFFIXES = (".yaml", ".yml")
"""Files in a rules directory that hold rules."""

FileStamp = tuple[int, int]
"""A file's modification time (ns) and size: what the reloader looks at for a change."""

_compiled: dict[Path, tuple[FileStamp, list[Rule]]] = {}
"""The rules of each file compiled without error in this process, by the file's stamp: a
command checks the rules and its worker loads them moments later, and a reload of a large
set after one file changed compiles that file only."""


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """The rules files named, directories searched recursively, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(Path(entry.path) for entry in _entries_under(path))
        else:
            found.append(_existing(path))
    return found


def rule_file_stamps(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """Each rules file named (as `rule_files` finds them, in the order of their names) with
    its modification time (ns) and size: what tells the reloader a file changed. Stamped
    from the directories' entries, with no Path made and sorted: at a thousand files, a
    look took a quarter of the time."""
    found: list[tuple[str, int, int]] = []
    for path in paths:
        if path.is_dir():
            found += (_stamp(entry.path, entry.stat()) for entry in _entries_under(path))
        else:
            found.append(_stamp(str(path), _existing(path).stat()))
    return sorted(found)


def _stamp(name: str, found: os.stat_result) -> tuple[str, int, int]:
    return name, found.st_mtime_ns, found.st_size


def _existing(path: Path) -> Path:
    if not path.exists():
        raise RuleSetError([RuleError.at_path(str(path), "no such file or directory")])
    return path


def _entries_under(directory: Path) -> Iterator[os.DirEntry[str]]:
    """The rules files under `directory`, at any depth. A directory's entries tell which
    are files without a look at each: the reloader lists a thousand files every second."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _entries_under(Path(entry.path))
            elif os.path.splitext(entry.name)[1] in RULE_SUFFIXES and entry.is_file():
                yield entry


@collections_paused()
def load_rules(paths: Iterable[Path]) -> list[Rule]:
    """Every rule in `paths`; raise RuleSetError listing every problem when there is one."""
    rules: list[Rule] = []
    errors: list[RuleError] = []
    first_seen: dict[str, Rule] = {}
    for path in rule_files(paths):
        for rule in _file_rules(path, errors):
            if rule.id in first_seen:
                errors.append(
                    RuleError(
                        rule.location,
                        f"duplicate rule id '{rule.id}' (first at {first_seen[rule.id].location})",
                    )
                )
                continue
            first_seen[rule.id] = rule
            rules.append(rule)
    if errors:
        raise RuleSetError(errors)
    return rules


def _file_rules(path: Path, errors: list[RuleError]) -> list[Rule]:
    """The rules of one file, compiled again only when its stamp changed; a file with an
    error is compiled every time, so that its errors are reported every time."""
    try:
        stats = path.stat()
    except OSError:
        stats = None
    stamp = (stats.st_mtime_ns, stats.st_size) if stats else None
    where = path.absolute()
    kept = _compiled.get(where)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    found: list[RuleError] = []
    rules = list(_compile_file(path, found))
    if found or stamp is None:
        _compiled.pop(where, None)
        errors.extend(found)
    else:
        _compiled[where] = (stamp, rules)
    return rules


def _compile_file(path: Path, errors: list[RuleError]) -> Iterator[Rule]:
    try:
        for document in read_documents(path):
            for at in _rule_places(document):
                try:
                    yield compile_rule(document, at)
                except RuleError as exc:
                    errors.extend(_each(exc))
    except RuleError as exc:
        errors.extend(_each(exc))


def _each(error: RuleError) -> list[RuleError]:
    return error.errors if isinstance(error, RuleSetError) else [error]


def _rule_places(document: YamlDocument) -> list[KeyPath]:
    if isinstance(document.data, list):
        return [(index,) for index in range(len(document.data))]
    if document.data is None:
        return []
    return [()]
