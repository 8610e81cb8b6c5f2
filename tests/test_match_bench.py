"""The matcher benchmark gives every figure `monitor bench match` prints, on a slice of the
corpus; its Aho-Corasick baseline counts what it should, and the matcher works out the
leads of new items, as a worker does."""

from __future__ import annotations

from pathlib import Path

import pytest

import monitor.item
from monitor.bench.match import (
    Corpus,
    automaton_count,
    automaton_terms,
    figures,
    term_automaton,
    time_matcher,
    time_matcher_warm,
)
from monitor.item import Item
from monitor.queue import BATCH_SIZE
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.text.normalizer import normalize
from tests.conftest import ALJAZEERA, RULES_DIR

TEXT_FIGURES = {"mb_per_s", "items_per_s", "ratio_vs_regex", "ratio_vs_ahocorasick"}
TEXTS = ("full", "feed")


@pytest.mark.skipif(not ALJAZEERA.exists(), reason="needs the shared Al Jazeera corpus")
def test_quick_figures_on_a_corpus_slice(tmp_path: Path) -> None:
    with ALJAZEERA.open(encoding="utf-8") as corpus:
        lines = [corpus.readline() for _ in range(60)]
    (tmp_path / "slice.jsonl").write_text("".join(lines), encoding="utf-8")
    said: list[str] = []

    found = figures(
        tmp_path / "slice.jsonl",
        quick=True,
        say=said.append,
        rule_counts=(10, 200),
        given=RULES_DIR,
    )

    assert said
    assert all(f.bench == "match" and f.value > 0 for f in found)
    shipped = len(load_rules([RULES_DIR]))
    sets = [("generated", 10), ("generated", 200), ("given", shipped)]
    got = {(f.figure, f.params["rule_set"], f.params["rules"], f.params.get("text")) for f in found}
    expected = {("compile_s", *rules, None) for rules in sets}
    expected |= {(name, *rules, t) for name in TEXT_FIGURES for rules in sets for t in TEXTS}
    assert got == expected and len(found) == len(expected)
    assert {f.unit for f in found if f.figure.startswith("ratio")} == {"ratio"}


def test_the_automaton_finds_every_occurrence_of_every_term(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r\ntitle: T\nterms:\n  a: [غزة, وقف إطلاق النار]\n  b: [Gaza, غزة]\n"
        "match: {all: [a, b]}\n",
        encoding="utf-8",
    )
    rules = load_rules([tmp_path])
    text = "وقف إطلاق النار في غزة. Ceasefire in GAZA, and talks بغزة"

    count = automaton_count(term_automaton(rules))(normalize(text))

    assert automaton_terms(rules) == {normalize("غزة"), normalize("وقف إطلاق النار"), "gaza"}
    # غزة twice (once inside بغزة: no clitics, no boundaries), the phrase once, gaza once
    assert count == 4


def test_each_job_of_a_warm_pass_works_out_its_items_leads_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r\ntitle: T\nterms:\n  a: [talks]\n  b: [Baghdad]\nmatch: {all: [a, b]}\n",
        encoding="utf-8",
    )
    items = [
        Item(id=f"i{n}", title=f"Report {n}", summary=f"Talks in Baghdad, round {n}. More later.")
        for n in range(BATCH_SIZE + 50)
    ]
    matcher = Matcher(load_rules([tmp_path]))
    order = list(range(len(items)))
    time_matcher("cold", matcher, Corpus.of(items), order)
    leads: list[str] = []

    def counted(body: str) -> int:
        leads.append(body)
        return 20

    monkeypatch.setattr(monitor.item, "opening_length", counted)

    timing = time_matcher_warm(matcher, Corpus.of(items), order, budget=0.05)

    assert timing.items >= BATCH_SIZE
    assert len(leads) == timing.items
