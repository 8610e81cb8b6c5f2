"""Validation problems in the user's words: `file:line:col: key: what is wrong`, every one.

pydantic describes a problem in its own terms ("Input should be a valid number",
"Extra inputs are not permitted"); a person editing a YAML file wants to know which
key, where, and what would be right.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from monitor.errors import Location
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


_UNITS = (("d", 86400), ("h", 3600), ("m", 60))

_LIMITS = {
    "greater_than_equal": "below the least allowed,",
    "greater_than": "not above",
    "less_than_equal": "above the most allowed,",
    "less_than": "not below",
}

_DURATION_LIMITS = {
    "greater_than_equal": "shorter than the least allowed,",
    "greater_than": "too short; it must be longer than",
    "less_than_equal": "longer than the most allowed,",
    "less_than": "too long; it must be shorter than",
}

_LENGTHS = {
    "string_too_short": ("shorter than the least allowed,", "character"),
    "string_too_long": ("longer than the most allowed,", "character"),
    "too_short": ("shorter than the least allowed,", "entry"),
    "too_long": ("longer than the most allowed,", "entry"),
}


def duration(seconds: float) -> str:
    """Seconds as the files write them: 60 → `1m`, 5400 → `90m`, 45 → `45s`."""
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size:g}{unit}"
    return f"{seconds:g}s"


def _bound(problem: ErrorDetails) -> Any:
    context = problem.get("ctx") or {}
    return next(iter(context.values()), "")


def _limit(problem: ErrorDetails, word: str) -> str:
    return f"{_shown(problem['input'])} is {word} {_bound(problem)}"


def _duration_limit(problem: ErrorDetails) -> str:
    """`'10s' is shorter than the least allowed, 1m`: the bound written as a duration too."""
    bound = _bound(problem)
    shown = duration(bound) if isinstance(bound, int | float) else bound
    return f"{_shown(problem['input'])} is {_DURATION_LIMITS[problem['type']]} {shown}"


def _length(problem: ErrorDetails) -> str:
    word, thing = _LENGTHS[problem["type"]]
    context = problem.get("ctx") or {}
    count = int(context.get("min_length", context.get("max_length", 0)))
    things = thing if count == 1 else ("entries" if thing == "entry" else f"{thing}s")
    return f"{_shown(problem['input'])} is {word} {count} {things}"


def describe(problem: ErrorDetails, hints: Mapping[str, str] | None = None) -> str:
    """One problem as `key: what is wrong`; `hints` tell what a key's value should look like.

    A key whose hint is DURATION_HINT has its limits told as durations (`1m`, not 60.0).
    """
    loc = problem["loc"]
    key = key_name(loc)
    what = _what(problem, str(loc[-1]) if loc else "", (hints or {}))
    return f"{key}: {what}" if key else what


def _what(problem: ErrorDetails, field: str, hints: Mapping[str, str]) -> str:
    """What is wrong with the value of `field`, without the key's name."""
    kind = problem["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{field}'"
    if kind == "missing":
        return "missing; this key is required"
    hint = hints.get(field)
    if kind in _LIMITS:
        return _duration_limit(problem) if hint == DURATION_HINT else _limit(problem, _LIMITS[kind])
    if kind in _LENGTHS:
        return _length(problem)
    if hint:
        return f"{_shown(problem['input'])} is not {hint}"
    if kind in _TYPES:
        return f"{_shown(problem['input'])} is not {_TYPES[kind]}"
    if kind in ("enum", "literal_error"):
        expected = (problem.get("ctx") or {}).get("expected", "")
        return f"{_shown(problem['input'])} is not one of {expected}"
    message = problem["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{message[:1].lower()}{message[1:]}"


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
    return [f"{where}: {text}" for where, text in located_problems(document, at, error, hints)]


def located_problems(
    document: YamlDocument,
    at: KeyPath,
    error: ValidationError,
    hints: Mapping[str, str] | None = None,
) -> list[tuple[Location, str]]:
    """Every problem of `error` as (location, `key: what is wrong`), to order or label them."""
    located = []
    for problem in error.errors():
        loc = tuple(problem["loc"])
        where = (*at, *(loc[:-1] if problem["type"] == "missing" else loc))
        located.append((document.locate(where), describe(problem, hints)))
    return located


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """` (did you mean 'x'?)` for the choice nearest `word`; else the choices, when few."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known: {', '.join(choices)})" if 0 < len(choices) <= 20 else ""


def keys_beside(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys `model`'s data allows where the last key of `loc` stands."""
    kind: Any = model
    for part in loc[:-1]:
        kind = _inner(kind, part)
    return list(kind.model_fields) if _is_model(kind) else []


def unknown_key_hint(model: type[BaseModel], problem: ErrorDetails) -> str:
    """For an unknown key, the nearest key allowed there (` (did you mean 'x'?)`); else ''."""
    if problem["type"] != "extra_forbidden" or not problem["loc"]:
        return ""
    return did_you_mean(str(problem["loc"][-1]), keys_beside(model, problem["loc"]))


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _inner(kind: Any, part: int | str) -> Any:
    """The type of the value at `part` inside a value of type `kind`; None when unknown."""
    if _is_model(kind):
        field = kind.model_fields.get(str(part))
        return field.annotation if field else None
    args = [arg for arg in get_args(kind) if arg is not type(None)]
    if get_origin(kind) in (list, dict) and args:
        return args[-1]
    return _inner(args[0], part) if len(args) == 1 else None
