"""Which rules' language and source filters let each item of a batch through, read for
all the candidates of the batch at once.

A rule's filters depend on nothing of an item but its language and its source, so the
answer of every rule is learned once for each language and source seen, as one row of
booleans, and a batch's candidates read their items' rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from monitor.item import Item
from monitor.rules.candidates import Candidates
from monitor.rules.rule import Rule

ROWS_KEPT = 256
"""Pairs of language and source whose rows are kept (10,000 rules: 10 KB each)."""

Row = npt.NDArray[np.bool_]


def accepts_every_item(rule: Rule) -> bool:
    """Whether no filter of the rule can keep an item out (see Rule.accepts)."""
    spec = rule.spec
    return spec.enabled and not (spec.languages or spec.sources or spec.exclude_sources)


class RuleFilters:
    """Every rule's filters, by the language and source of an item."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = rules
        self._filtered = [index for index, rule in enumerate(rules) if not accepts_every_item(rule)]
        self._rows: dict[tuple[str, str], Row] = {}

    def admitted(self, items: Sequence[Item], candidates: Candidates) -> Row:
        """Of each candidate, whether its rule's filters let its item through."""
        if not self._filtered:
            return np.ones(len(candidates.rules), bool)
        keys = [(item.language, item.source) for item in items]
        numbers = {key: number for number, key in enumerate(dict.fromkeys(keys))}
        table = np.stack([self._row(key, items[keys.index(key)]) for key in numbers])
        item_rows = np.array([numbers[key] for key in keys], np.intp)
        admitted: Row = table[item_rows[candidates.items], candidates.rules]
        return admitted

    def _row(self, key: tuple[str, str], item: Item) -> Row:
        row = self._rows.get(key)
        if row is None:
            if len(self._rows) >= ROWS_KEPT:
                self._rows.clear()
            row = self._rows[key] = np.ones(len(self._rules), bool)
            language = key[0]
            row[self._filtered] = [self._rules[i].accepts(item, language) for i in self._filtered]
        return row
