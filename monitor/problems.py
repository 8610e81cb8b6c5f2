"""Validation problems in the user's words: `file:line:col: key: what is wrong`, every one.

pydantic describes a problem in its own terms ("Input should be a valid number",
"Extra inputs are not permitted"); a person editing a YAML file wants to know which
key, where, and what would be right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from monitor.rules.yaml_file import KeyPath, YamlDocument

DURATION_HINT = "a duration such as 90s, 5m, 2h or 3d"
"""How every duration key is written in the monitor's files."""

_TYPES = {
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
}


def key_name(loc: Sequence[int | str]) -> str:
    """`feeds[2].interval` for the location ('feeds', 2, 'interval')."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _limit(problem: ErrorDetails, word: str) -> str:
    context = problem.get("ctx") or {}
    bound = next(iter(context.values()), "")
    return f"{_shown(problem['input'])} is {word} {bound}"


_LIMITS = {
    "greater_than_equal": "below the least allowed,",
    "greater_than": "not above",
    "less_than_equal": "above the most allowed,",
    "less_than": "not below",
}


def describe(problem: ErrorDetails, hints: Mapping[str, str] | None = None) -> str:
    """One problem as `key: what is wrong`; `hints` tell what a key's value should look like."""
    loc = problem["loc"]
    kind = problem["type"]
    field = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        return f"{key_name(loc)}: unknown key '{field}'"
    if kind == "missing":
        return f"{key_name(loc)}: missing; this key is required"
    hint = (hints or {}).get(field)
    if kind in _LIMITS:
        return f"{key_name(loc)}: {_limit(problem, _LIMITS[kind])}"
    if hint:
        return f"{key_name(loc)}: {_shown(problem['input'])} is not {hint}"
    if kind in _TYPES:
        return f"{key_name(loc)}: {_shown(problem['input'])} is not {_TYPES[kind]}"
    if kind in ("enum", "literal_error"):
        expected = (problem.get("ctx") or {}).get("expected", "")
        return f"{key_name(loc)}: {_shown(problem['input'])} is not one of {expected}"
    message = problem["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{key_name(loc)}: {message[:1].lower()}{message[1:]}"


def allowed_keys(model: type[BaseModel]) -> str:
    """The keys a model accepts, for an 'unknown key' message."""
    return ", ".join(model.model_fields)


def document_problems(
    document: YamlDocument,
    at: KeyPath,
    error: ValidationError,
    hints: Mapping[str, str] | None = None,
) -> list[str]:
    """Every problem of `error`, validated from the data at `at`, as `path:line:col: ...`."""
    lines = []
    for problem in error.errors():
        loc = tuple(problem["loc"])
        where = (*at, *(loc[:-1] if problem["type"] == "missing" else loc))
        lines.append(f"{document.locate(where)}: {describe(problem, hints)}")
    return lines
