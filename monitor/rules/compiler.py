"""Turns one validated YAML rule into a compiled Rule, reporting errors where they stand."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from pydantic import ValidationError

from monitor.errors import RuleError, RuleSetError
from monitor.item import Item, ItemField
from monitor.problems import key_name, located_problems, unknown_key_hint
from monitor.rules.expression import (
    ALL_FIELDS,
    AllOf,
    AnyOf,
    GroupRef,
    Near,
    Node,
    NoneOf,
    Scoped,
    field_mask,
)
from monitor.rules.model import RULE_HINTS, RuleSpec, TermGroupSpec, TermMode
from monitor.rules.pattern_set import pattern_error
from monitor.rules.rule import Pattern, Rule, RuleTest, Term, TermGroup
from monitor.rules.yaml_file import KeyPath, YamlDocument
from monitor.text.keys import analyze, is_arabic, term_key
from monitor.text.normalizer import normalize

OPERATORS = ("all", "any", "none", "near")
MODIFIERS = ("within", "sentence", "at_least", "in")

P = ParamSpec("P")
T = TypeVar("T")


class Problems:
    """The problems found so far; each check adds to them instead of stopping the rest."""

    def __init__(self) -> None:
        self.errors: list[RuleError] = []

    def attempt(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """The check's result, or None with its problems kept."""
        try:
            return check(*args, **kwargs)
        except RuleSetError as exc:
            self.errors.extend(exc.errors)
        except RuleError as exc:
            self.errors.append(exc)
        return None

    def raise_any(self) -> None:
        """Raise RuleSetError with every problem, in the order they stand in the file."""
        if self.errors:
            raise RuleSetError(sorted(self.errors, key=_place))


def _place(error: RuleError) -> tuple[int, int]:
    return error.location.line, error.location.column


def compile_rule(document: YamlDocument, at: KeyPath) -> Rule:
    """Compile the rule found at `at` in `document`; raise RuleSetError with every problem."""
    data = document.data if not at else _value_at(document.data, at)
    spec = _validate(document, at, data)
    problems = Problems()
    compiled = [
        problems.attempt(_compile_group, document, (*at, "terms", name), name, group)
        for name, group in spec.terms.items()
    ]
    names = {name: index for index, name in enumerate(spec.terms)}
    expression = problems.attempt(_root_expression, document, at, spec, names)
    if expression and not expression.positive_groups():
        problems.errors.append(
            _error(document, (*at, "match"), "the rule looks for no term: add one outside `none`")
        )
    problems.raise_any()
    groups = [group for group in compiled if group is not None]
    assert expression is not None  # raise_any raised when it failed
    return Rule(
        spec=spec,
        location=document.locate(at),
        groups=groups,
        expression=expression,
        anchor_mask=field_mask(spec.anchor) if spec.anchor else ALL_FIELDS,
        tests=_tests(document, at, spec),
    )


def _error(document: YamlDocument, at: KeyPath, message: str) -> RuleError:
    """A problem at `at`, told as `key: message` with the key counted from the rule."""
    key = key_name(at[1:] if isinstance(document.data, list) else at)
    return RuleError(document.locate(at), f"{key}: {message}" if key else message)


def _value_at(data: Any, at: KeyPath) -> Any:
    for key in at:
        data = data[key]
    return data


def _validate(document: YamlDocument, at: KeyPath, data: Any) -> RuleSpec:
    if not isinstance(data, dict):
        raise _error(document, at, "a rule must be a mapping of keys (id, title, terms, match...)")
    try:
        return RuleSpec.model_validate(data)
    except ValidationError as exc:
        located = located_problems(document, at, exc, RULE_HINTS)
        errors = [
            RuleError(where, text + unknown_key_hint(RuleSpec, problem))
            for (where, text), problem in zip(located, exc.errors(), strict=True)
        ]
        raise RuleSetError(sorted(errors, key=_place)) from exc


def _compile_group(
    document: YamlDocument, at: KeyPath, name: str, spec: TermGroupSpec
) -> TermGroup:
    if not spec.words and not spec.regex:
        raise _error(document, at, f"empty term group '{name}': give it words or regex")
    group = TermGroup(name, spec.mode, spec.weight)
    problems = Problems()
    # `name: [words]` is short for `name: {words: [words]}`: point at what was written
    words_at = at if isinstance(_value_at(document.data, at), list) else (*at, "words")
    for index, text in enumerate(spec.words):
        term = problems.attempt(_term, document, (*words_at, index), text, spec.mode)
        group.terms += [term] if term else []
    for index, source in enumerate(spec.regex):
        problems.attempt(_check_pattern, document, (*at, "regex", index), source)
        group.patterns.append(Pattern(source, document.locate((*at, "regex", index))))
    problems.raise_any()
    return group


def _term(document: YamlDocument, at: KeyPath, text: str, mode: TermMode) -> Term:
    stemmed = mode is TermMode.STEM
    keys = tuple(term_key(word.word, stemmed=stemmed) for word in analyze_phrase(text))
    if not keys:
        raise _error(document, at, f"term '{text}' has no word in it")
    return Term(keys, text)


def analyze_phrase(text: str) -> list[Any]:
    """The normalised words of a term, each with its keys."""
    return [word for raw in text.split() for word in analyze(raw)]


def _check_pattern(document: YamlDocument, at: KeyPath, source: str) -> None:
    problem = pattern_error(source)
    if problem:
        raise _error(document, at, f"bad regex {source!r}: {_regex_problem(problem)}")
    if "\\b" in source and any(is_arabic(char) for char in source):
        raise _error(
            document,
            at,
            f"regex {source!r}: RE2's \\b knows only ASCII letters and never matches beside "
            "Arabic; write (^| ) and ( |$) around Arabic words",
        )
    if normalize(source) == source:
        return  # no character of it changes (one alone that did would change it whole)
    previous = ""
    for char in source:
        if previous != "\\" and normalize(char) != char:
            raise _error(
                document,
                at,
                f"regex {source!r} has {char!r}, which normalised text never holds; "
                f"write {normalize(char)!r}",
            )
        previous = char if previous != "\\" else ""


_RE2_PROBLEMS = {
    "missing )": "a ( is never closed",
    "unexpected )": "a ) closes nothing",
    "missing ]": "a [ is never closed",
    "bad repetition operator": "{part} repeats a repetition",
    "no argument for repetition operator": "{part} repeats nothing",
    "invalid escape sequence": "{part} is not an escape RE2 knows (such as \\d, \\s or \\.)",
    "trailing \\": "it ends with a lone \\",
    "invalid perl operator": "{part} is not in RE2 (it has no lookahead or lookbehind)",
    "invalid character class range": "{part} is no range of characters",
    "invalid repetition size": "{part}: counts go up to 1000, and {{m,n}} needs m <= n",
}
"""RE2's reasons for refusing a pattern, in plain words; `{part}` is the offending piece."""


def _regex_problem(reason: str) -> str:
    code, _, part = reason.partition(": ")
    plain = _RE2_PROBLEMS.get(code)
    return plain.format(part=part) if plain else reason


def _root_expression(
    document: YamlDocument, at: KeyPath, spec: RuleSpec, names: dict[str, int]
) -> Node:
    if spec.match is not None:
        return _parse(document, (*at, "match"), spec.match, names)
    if spec.threshold is None:
        raise _error(document, at, "a rule needs `match`, `threshold`, or both")
    return AnyOf([GroupRef(index, name) for name, index in names.items()])


def _parse(document: YamlDocument, at: KeyPath, data: Any, names: dict[str, int]) -> Node:
    if isinstance(data, str):
        if data not in names:
            raise _error(document, at, f"unknown term group '{data}'{_suggest(data, names)}")
        return GroupRef(names[data], data)
    if not isinstance(data, dict):
        raise _error(document, at, "expected a term group name or a mapping of all/any/none/near")
    problems = Problems()
    problems.errors += _unknown_keys(document, at, data)
    operators = [key for key in data if key in OPERATORS]
    if not operators and not problems.errors:
        raise _error(document, at, "no operator here: use all, any, none or near")
    parts = [
        problems.attempt(_operator, document, (*at, key), key, data, names) for key in operators
    ]
    problems.attempt(_check_modifiers, document, at, data)
    problems.raise_any()
    nodes = [part for part in parts if part is not None]
    node = nodes[0] if len(nodes) == 1 else AllOf(nodes)
    if "in" in data:
        return _scoped(document, (*at, "in"), data["in"], node)
    return node


def _unknown_keys(document: YamlDocument, at: KeyPath, data: dict[str, Any]) -> list[RuleError]:
    known = OPERATORS + MODIFIERS
    return [
        _error(document, (*at, key), f"unknown key '{key}'{_suggest(key, known)}")
        for key in data
        if key not in known
    ]


def _operator(
    document: YamlDocument, at: KeyPath, key: str, data: dict[str, Any], names: dict[str, int]
) -> Node:
    raw = data[key]
    items = [raw] if isinstance(raw, (str, dict)) else raw
    if not isinstance(items, list) or not items:
        raise _error(document, at, "empty: give at least one term group or expression")
    children = _children(document, at, items, names)
    if key == "all":
        return AllOf(children)
    if key == "none":
        return NoneOf(children)
    if key == "any":
        return _any(document, at, data, children)
    return _near(document, at, data, children)


def _children(
    document: YamlDocument, at: KeyPath, items: list[Any], names: dict[str, int]
) -> list[Node]:
    problems = Problems()
    parsed = [
        problems.attempt(_parse, document, (*at, index), child, names)
        for index, child in enumerate(items)
    ]
    problems.raise_any()
    return [child for child in parsed if child is not None]


def _any(document: YamlDocument, at: KeyPath, data: dict[str, Any], children: list[Node]) -> Node:
    at_least = data.get("at_least", 1)
    if not isinstance(at_least, int) or not 1 <= at_least <= len(children):
        raise _error(
            document, (*at[:-1], "at_least"), f"must be a whole number from 1 to {len(children)}"
        )
    return AnyOf(children, at_least)


def _near(document: YamlDocument, at: KeyPath, data: dict[str, Any], children: list[Node]) -> Node:
    within, sentence = _within(document, at, data)
    if len(children) < 2:
        raise _error(document, at, "needs at least two terms")
    if any(isinstance(child, NoneOf) for child in children):
        raise _error(document, at, "takes terms, not `none`")
    return Near(children, within, sentence)


def _within(document: YamlDocument, at: KeyPath, data: dict[str, Any]) -> tuple[int | None, bool]:
    """`within: N` words, `within: sentence`, or `within: N` with `sentence: true`."""
    within, sentence = data.get("within"), data.get("sentence", False)
    if not isinstance(sentence, bool):
        raise _error(document, (*at[:-1], "sentence"), "must be true or false")
    if within == "sentence":
        return None, True
    if not isinstance(within, int) or isinstance(within, bool) or within < 1:
        raise _error(
            document,
            at,
            "needs `within: N` (a number of words, 1 or more) or `within: sentence`",
        )
    return within, sentence


def _check_modifiers(document: YamlDocument, at: KeyPath, data: dict[str, Any]) -> None:
    for key in ("within", "sentence"):
        if key in data and "near" not in data:
            raise _error(document, (*at, key), f"`{key}` goes with `near`")
    if "at_least" in data and "any" not in data:
        raise _error(document, (*at, "at_least"), "`at_least` goes with `any`")


def _scoped(document: YamlDocument, at: KeyPath, raw: Any, node: Node) -> Node:
    values = [raw] if isinstance(raw, str) else raw
    choices = [f.value for f in ItemField]
    if not isinstance(values, list) or not values or any(v not in choices for v in values):
        raise _error(document, at, f"takes fields among {', '.join(choices)}")
    fields = [ItemField(v) for v in values]
    return Scoped(node, field_mask(fields), values)


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _tests(document: YamlDocument, at: KeyPath, spec: RuleSpec) -> list[RuleTest]:
    tests = []
    for expect in ("match", "no_match", "mention"):
        for index, case in enumerate(getattr(spec.tests, expect)):
            item = Item(
                id=f"{spec.id}:{expect}:{index}",
                title=case.title,
                summary=case.summary,
                content=case.body,
                source=case.source,
                lang=case.lang,
            )
            tests.append(RuleTest(item, expect, document.locate((*at, "tests", expect, index))))
    return tests
