"""Finds rules files, compiles every rule in them and collects every error at once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from monitor.errors import RuleError, RuleSetError
from monitor.rules.compiler import compile_rule
from monitor.rules.rule import Rule
from monitor.rules.yaml_file import KeyPath, YamlDocument, read_documents

RULE_SUFFIXES = (".yaml", ".yml")
"""Files in a rules directory that hold rules."""


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """The rules files named, directories searched recursively, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise RuleSetError([RuleError.at_path(str(path), "no such file or directory")])
    return found


def load_rules(paths: Iterable[Path]) -> list[Rule]:
    """Every rule in `paths`; raise RuleSetError listing every problem when there is one."""
    rules: list[Rule] = []
    errors: list[RuleError] = []
    first_seen: dict[str, Rule] = {}
    for path in rule_files(paths):
        for rule in _compile_file(path, errors):
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
