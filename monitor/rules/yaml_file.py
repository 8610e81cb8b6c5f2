"""YAML documents that remember where each value stood, for `path:line:col` errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import Location, RuleError, RuleSetError

KeyPath = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Plain data of one YAML document and where every key and item in it starts."""

    path: str
    data: Any
    marks: dict[KeyPath, yaml.Mark] = field(default_factory=dict)
    """The parser's own marks, made a Location only when one is asked for: nearly all go
    unread, and a Location for every key and word was a tenth of loading rules."""
    duplicates: list[RuleError] = field(default_factory=list)

    def locate(self, key_path: KeyPath) -> Location:
        """The location of `key_path`, or of its nearest ancestor that has one."""
        for end in range(len(key_path), -1, -1):
            found = self.marks.get(tuple(key_path[:end]))
            if found:
                return self.location(found)
        return Location(self.path)

    def location(self, mark: yaml.Mark) -> Location:
        return Location(self.path, mark.line + 1, mark.column + 1)

    def error(self, key_path: KeyPath, message: str) -> RuleError:
        return RuleError(self.locate(key_path), message)


def read_documents(path: Path) -> Iterator[YamlDocument]:
    """Every document of a YAML file; malformed YAML or duplicate keys raise RuleError
    (a RuleSetError naming every duplicate of a document when there are several)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(Location(str(path)), f"cannot read: {exc}") from exc
    try:
        documents = list(_documents(str(path), text, FAST_LOADER))
    except yaml.YAMLError:  # libyaml words its errors its own way: the pure parser reports
        documents = None
    if documents is not None:
        yield from documents
        return
    try:
        yield from _documents(str(path), text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        raise RuleError(where, f"invalid YAML: {_plain(exc.problem or exc.context or '')}") from exc


def _documents(path: str, text: str, loader_class: type[yaml.SafeLoader]) -> Iterator[YamlDocument]:
    loader = loader_class(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            document = YamlDocument(path, None)
            document.data = _convert(loader, node, (), document)
            if document.duplicates:
                raise _one_or_all(document.duplicates)
            yield document
    finally:
        loader.dispose()


FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser, when PyYAML was built with it: several times faster on large rules
files. Its errors are worded differently, so a file it rejects is read again by the pure
one."""


_YAML_PROBLEMS = {
    "found character '\\t' that cannot start any token": "a tab; YAML indents with spaces",
    "expected ',' or ']'": "a list opened with [ is not closed with ]",
    "expected ',' or '}'": "a mapping opened with { is not closed with }",
    "found unexpected end of stream": "the file ends early: a quote is not closed",
    "mapping values are not allowed here": (
        "a ': ' where no key can start: check the indentation, or quote the text"
    ),
    "expected <block end>, but found '-'": "a list item where a key belongs: check the indentation",
    "found undefined alias": "an *alias with no &anchor before it",
}
"""PyYAML's reasons, in the words of someone editing the file."""


def _plain(problem: str) -> str:
    for start, plain in _YAML_PROBLEMS.items():
        if problem.startswith(start):
            return plain
    return problem


def _one_or_all(errors: list[RuleError]) -> RuleError:
    return errors[0] if len(errors) == 1 else RuleSetError(errors)


_STRING = "tag:yaml.org,2002:str"


def _convert(loader: yaml.SafeLoader, node: yaml.Node, at: KeyPath, document: YamlDocument) -> Any:
    document.marks.setdefault(at, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(loader, node, at, document)
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, child, (*at, index), document)
            for index, child in enumerate(node.value)
        ]
    return _scalar(loader, node)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A scalar's value; a string's taken as it stands, as the constructor gives it: nearly
    every scalar of a rules file is one, and the constructor's bookkeeping for each was a
    sixth of loading rules."""
    if type(node) is yaml.ScalarNode and node.tag == _STRING:
        return node.value
    return loader.construct_object(node, deep=True)


def _convert_mapping(
    loader: yaml.SafeLoader, node: yaml.MappingNode, at: KeyPath, document: YamlDocument
) -> dict[str, Any]:
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = str(_scalar(loader, key_node))
        if key in result:
            first = document.location(document.marks[(*at, key)])
            document.duplicates.append(
                RuleError(
                    document.location(key_node.start_mark),
                    f"duplicate key '{key}' (first at line {first.line})",
                )
            )
            continue
        document.marks[(*at, key)] = key_node.start_mark
        result[key] = _convert(loader, value_node, (*at, key), document)
    return result
