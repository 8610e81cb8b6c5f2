"""Turns one validated YAML rule into a compiled Rule, reporting errors where they stand."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from monitor.errors import Location, RuleError, RuleSetError
from monitor.item import Item, ItemField
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
from monitor.rules.model import RuleSpec, TermGroupSpec, TermMode
from monitor.rules.pattern_set import pattern_error
from monitor.rules.rule import Pattern, Rule, RuleTest, Term, TermGroup
from monitor.rules.yaml_file import KeyPath, YamlDocument
from monitor.text.keys import analyze, is_arabic, term_key
from monitor.text.normalizer import normalize

OPERATORS = ("all", "any", "none", "near")
MODIFIERS = ("within", "sentence", "at_least", "in")


def compile_rule(document: YamlDocument, at: KeyPath) -> Rule:
    """Compile the rule found at `at` in `document`; raise RuleError on the first problem."""
    data = document.data if not at else _value_at(document.data, at)
    spec = _validate(document, at, data)
    groups = [
        _compile_group(document, (*at, "terms", name), name, group)
        for name, group in spec.terms.items()
    ]
    names = {group.name: index for index, group in enumerate(groups)}
    expression = _root_expression(document, at, spec, names)
    if not expression.positive_groups():
        raise document.error((*at, "match"), "the rule looks for no term: add one outside `none`")
    return Rule(
        spec=spec,
        location=document.locate(at),
        groups=groups,
        expression=expression,
        anchor_mask=field_mask(spec.anchor) if spec.anchor else ALL_FIELDS,
        tests=_tests(document, at, spec),
    )


def _value_at(data: Any, at: KeyPath) -> Any:
    for key in at:
        data = data[key]
    return data


def _validate(document: YamlDocument, at: KeyPath, data: Any) -> RuleSpec:
    if not isinstance(data, dict):
        raise document.error(at, "a rule must be a mapping of keys (id, title, terms, match...)")
    try:
        return RuleSpec.model_validate(data)
    except ValidationError as exc:
        errors = [_validation_error(document, at, problem) for problem in exc.errors()]
        raise (errors[0] if len(errors) == 1 else RuleSetError(errors)) from exc


def _validation_error(document: YamlDocument, at: KeyPath, problem: Any) -> RuleError:
    loc = tuple(problem["loc"])
    if problem["type"] == "extra_forbidden":
        return document.error((*at, *loc), f"unknown key '{loc[-1]}'")
    if problem["type"] == "missing":
        return document.error((*at, *loc[:-1]), f"missing key '{loc[-1]}'")
    where = ".".join(map(str, loc))
    return document.error((*at, *loc), f"{where}: {problem['msg']}")


def _compile_group(
    document: YamlDocument, at: KeyPath, name: str, spec: TermGroupSpec
) -> TermGroup:
    if not spec.words and not spec.regex:
        raise document.error(at, f"empty term group '{name}': give it words or regex")
    group = TermGroup(name, spec.mode, spec.weight)
    stemmed = spec.mode is TermMode.STEM
    for index, text in enumerate(spec.words):
        keys = tuple(term_key(word.word, stemmed=stemmed) for word in analyze_phrase(text))
        if not keys:
            raise document.error((*at, "words", index), f"term '{text}' has no word in it")
        group.terms.append(Term(keys, text))
    for index, source in enumerate(spec.regex):
        location = document.locate((*at, "regex", index))
        _check_pattern(location, source)
        group.patterns.append(Pattern(source, location))
    return group


def analyze_phrase(text: str) -> list[Any]:
    """The normalised words of a term, each with its keys."""
    return [word for raw in text.split() for word in analyze(raw)]


def _check_pattern(location: Location, source: str) -> None:
    problem = pattern_error(source)
    if problem:
        raise RuleError(location, f"bad regex {source!r}: {problem}")
    if "\\b" in source and any(is_arabic(char) for char in source):
        raise RuleError(
            location,
            f"regex {source!r}: RE2's \\b knows only ASCII letters and never matches beside "
            "Arabic; write (^| ) and ( |$) around Arabic words",
        )
    previous = ""
    for char in source:
        if previous != "\\" and normalize(char) != char:
            raise RuleError(
                location,
                f"regex {source!r} has {char!r}, which normalised text never holds; "
                f"write {normalize(char)!r}",
            )
        previous = char if previous != "\\" else ""


def _root_expression(
    document: YamlDocument, at: KeyPath, spec: RuleSpec, names: dict[str, int]
) -> Node:
    if spec.match is not None:
        return _parse(document, (*at, "match"), spec.match, names)
    if spec.threshold is None:
        raise document.error(at, "a rule needs `match`, `threshold`, or both")
    return AnyOf([GroupRef(index, name) for name, index in names.items()])


def _parse(document: YamlDocument, at: KeyPath, data: Any, names: dict[str, int]) -> Node:
    if isinstance(data, str):
        if data not in names:
            raise document.error(at, f"unknown term group '{data}'{_suggest(data, names)}")
        return GroupRef(names[data], data)
    if not isinstance(data, dict):
        raise document.error(at, "expected a term group name or a mapping of all/any/none/near")
    for key in data:
        if key not in OPERATORS + MODIFIERS:
            raise document.error(
                (*at, key), f"unknown key '{key}'{_suggest(key, OPERATORS + MODIFIERS)}"
            )
    operators = [key for key in data if key in OPERATORS]
    if not operators:
        raise document.error(at, "no operator here: use all, any, none or near")
    parts = [_operator(document, (*at, key), key, data, names) for key in operators]
    node = parts[0] if len(parts) == 1 else AllOf(parts)
    _check_modifiers(document, at, data)
    if "in" in data:
        return _scoped(document, (*at, "in"), data["in"], node)
    return node


def _operator(
    document: YamlDocument, at: KeyPath, key: str, data: dict[str, Any], names: dict[str, int]
) -> Node:
    raw = data[key]
    items = [raw] if isinstance(raw, (str, dict)) else raw
    if not isinstance(items, list) or not items:
        raise document.error(at, f"empty group: '{key}' needs at least one term or expression")
    children = [_parse(document, (*at, index), child, names) for index, child in enumerate(items)]
    if key == "all":
        return AllOf(children)
    if key == "none":
        return NoneOf(children)
    if key == "any":
        return _any(document, at, data, children)
    return _near(document, at, data, children)


def _any(document: YamlDocument, at: KeyPath, data: dict[str, Any], children: list[Node]) -> Node:
    at_least = data.get("at_least", 1)
    if not isinstance(at_least, int) or not 1 <= at_least <= len(children):
        raise document.error(
            (*at[:-1], "at_least"), f"at_least must be a whole number from 1 to {len(children)}"
        )
    return AnyOf(children, at_least)


def _near(document: YamlDocument, at: KeyPath, data: dict[str, Any], children: list[Node]) -> Node:
    within, sentence = _within(document, at, data)
    if len(children) < 2:
        raise document.error(at, "near needs at least two terms")
    if any(isinstance(child, NoneOf) for child in children):
        raise document.error(at, "near takes terms, not `none`")
    return Near(children, within, sentence)


def _within(document: YamlDocument, at: KeyPath, data: dict[str, Any]) -> tuple[int | None, bool]:
    """`within: N` words, `within: sentence`, or `within: N` with `sentence: true`."""
    within, sentence = data.get("within"), data.get("sentence", False)
    if not isinstance(sentence, bool):
        raise document.error((*at[:-1], "sentence"), "`sentence` is true or false")
    if within == "sentence":
        return None, True
    if not isinstance(within, int) or isinstance(within, bool) or within < 1:
        raise document.error(
            at, "near needs `within: N` (a number of words, 1 or more) or `within: sentence`"
        )
    return within, sentence


def _check_modifiers(document: YamlDocument, at: KeyPath, data: dict[str, Any]) -> None:
    for key in ("within", "sentence"):
        if key in data and "near" not in data:
            raise document.error((*at, key), f"`{key}` goes with `near`")
    if "at_least" in data and "any" not in data:
        raise document.error((*at, "at_least"), "`at_least` goes with `any`")


def _scoped(document: YamlDocument, at: KeyPath, raw: Any, node: Node) -> Node:
    values = [raw] if isinstance(raw, str) else raw
    choices = [f.value for f in ItemField]
    if not isinstance(values, list) or not values or any(v not in choices for v in values):
        raise document.error(at, f"`in` takes fields among {', '.join(choices)}")
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
