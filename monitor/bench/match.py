"""The matcher timed over a corpus against two baselines measured in the same run, one regex
per rule and one Aho-Corasick automaton of every term, and the figures `monitor bench
match` prints from them."""

from __future__ import annotations

import gc
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Protocol

import ahocorasick

from monitor.bench.figures import Figure, Param, Say
from monitor.bench.generated_rules import (
    SEED,
    Vocabulary,
    build_vocabulary,
    generate_rules,
    write_rules,
)
from monitor.heap import settle
from monitor.inputs import read_items
from monitor.item import Item, forget_leads
from monitor.queue import BATCH_SIZE
from monitor.rules.loader import load_rules, rule_files
from monitor.rules.matcher import Matcher
from monitor.rules.model import TermMode
from monitor.rules.rule import Rule
from monitor.text import keys as text_keys
from monitor.text.normalizer import normalize

BENCH = "match"

RULE_COUNTS = (10, 1_000, 10_000)
"""Generated rules measured: a small hand-written set's size, the target's, ten times it."""

FEED_SUMMARY_CHARS = 600
"""A feed item carries the article's opening as its summary, this many characters."""

_ARABIC_PREFIX = "[وف]?[بكل]?(?:ال|ل)?"

Count = Callable[[str], int]
"""A baseline: the hits it finds in one normalised text."""


@dataclass(frozen=True)
class Budget:
    """CPU seconds for each timed run, and how many items are warmed up and timed."""

    matcher: float
    regex: float
    automaton: float
    sample: int | None
    """Items of a fixed shuffle of the corpus; None: all of them."""


ROUNDS = 5
"""Turns the matcher and its baselines take at the corpus, each with a share of its
budget."""

QUICK = Budget(matcher=1.0, regex=0.75, automaton=0.5, sample=100)
"""About 40 s on an idle 2-core machine, a third of it writing and loading 10,000 rules."""

FULL = Budget(matcher=10.0, regex=6.0, automaton=3.0, sample=None)
"""About 4 minutes on an idle 2-core machine."""


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Corpus:
    items: list[Item]
    sizes: list[int]  # UTF-8 bytes of title, summary and content, per item

    @classmethod
    def of(cls, items: list[Item]) -> Corpus:
        fields = ((item.title, item.summary, item.content) for item in items)
        return cls(items, [sum(len(text.encode()) for text in texts) for texts in fields])

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)

    def as_feed(self) -> Corpus:
        """The items as a feed carries them: the title and the opening as the summary."""
        return Corpus.of([feed_item(item) for item in self.items])


@cache
def corpus_vocabulary(path: Path) -> Vocabulary:
    """The vocabulary rules are generated from, built once per corpus in a process: the
    matcher and memory benchmarks of one run share it."""
    return build_vocabulary([item_text(item) for item in read_corpus(path).items])


@contextmanager
def generated_rule_files(corpus: Path, count: int, say: Say) -> Iterator[list[Path]]:
    """The files of `count` rules generated from the corpus, kept while the block runs; the
    first n are the same whatever the count, so one writing serves every smaller count."""
    with tempfile.TemporaryDirectory(prefix="monitor-bench-rules-") as directory:
        if not count:
            yield []
            return
        say(f"writing {count:,} rules generated from {corpus.name}")
        yield write_rules(generate_rules(corpus_vocabulary(corpus), count), Path(directory))


def read_corpus(path: Path) -> Corpus:
    return Corpus.of(list(read_items([str(path)])))


def item_text(item: Item) -> str:
    """Every field a rule may read, one per line, as the baselines search them."""
    return f"{item.title}\n{item.summary}\n{item.content}"


def feed_item(item: Item) -> Item:
    opening = (item.content or item.summary)[:FEED_SUMMARY_CHARS]
    return item.model_copy(update={"summary": opening, "content": ""})


def sample_order(items: int, sample: int | None, seed: int = SEED) -> list[int]:
    """A fixed shuffle, so that a partial pass or a sample is a fair one."""
    order = list(range(items))
    random.Random(seed).shuffle(order)
    return order[:sample]


# --------------------------------------------------------------------------- baselines


def _term_pattern(text: str, *, bounded: bool, stem: bool) -> str:
    words = normalize(text).split()
    if bounded and words and text_keys.is_arabic(words[0]):
        first = words[0]
        if first.startswith("ال") and len(first) >= 4:
            words[0] = first[2:]
    body = r"\s+".join(re.escape(word) for word in words)
    if not bounded:
        return body
    return body + (r"\w{0,3}(?!\w)" if stem else r"(?!\w)")


def baseline_pattern(rule: Rule, *, bounded: bool) -> re.Pattern[str]:
    """One regex for the rule: any of its words, phrases or regexes, normalised, a phrase's
    words joined by `\\s+`.

    Substring (not bounded): no boundaries, so clitics and suffixes match for free and a
    term inside a longer word over-matches; the fastest naive form `re` offers, its pattern
    starting with a plain alternation. Bounded: `(?<!\\w)`, an optional Arabic proclitic
    chain (a term's own ال stripped), then `(?!\\w)`, or a light suffix `\\w{0,3}(?!\\w)`
    for stem terms: closer to what the rules mean, and slower.
    """
    alternatives: list[str] = []
    for group in rule.groups:
        stem = group.mode is TermMode.STEM
        alternatives += [_term_pattern(t.text, bounded=bounded, stem=stem) for t in group.terms]
    body = "|".join(dict.fromkeys(alternatives))
    if bounded:
        body = rf"(?<!\w){_ARABIC_PREFIX}(?:{body})"
    regexes = [f"(?:{p.source})" for group in rule.groups for p in group.patterns]
    return re.compile("|".join(([body] if alternatives else []) + regexes))


def regex_count(patterns: Sequence[re.Pattern[str]]) -> Count:
    """The rules some term of which occurs: strictly less than the matcher does, since it
    evaluates no all / any / near / none, finds no positions and reports no hits."""

    def count(text: str) -> int:
        return sum(1 for pattern in patterns if pattern.search(text))

    return count


def automaton_terms(rules: Sequence[Rule]) -> set[str]:
    """Every distinct word and phrase of the rules, normalised as the regex baseline's."""
    terms = (t.text for rule in rules for group in rule.groups for t in group.terms)
    return {" ".join(normalize(text).split()) for text in terms}


def term_automaton(rules: Sequence[Rule]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for term in automaton_terms(rules):
        automaton.add_word(term, term)
    automaton.make_automaton()
    return automaton


def automaton_count(automaton: ahocorasick.Automaton) -> Count:
    """Every occurrence of every term: no clitics, fields or boolean structure, the bar set
    for speed rather than an equal."""

    def count(text: str) -> int:
        return sum(1 for _ in automaton.iter(text))

    return count


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    label: str
    items: int
    nbytes: int
    seconds: float
    cpu: float
    found: int

    @property
    def mbps(self) -> float:
        """Per core: bytes over CPU time (the same as wall time on an idle machine)."""
        return self.nbytes / 1e6 / self.cpu if self.cpu else 0.0

    @property
    def items_per_s(self) -> float:
        return self.items / self.cpu if self.cpu else 0.0

    def ratio_to(self, other: Timing) -> float:
        """How many times faster per byte than `other`."""
        return self.mbps / other.mbps if other.mbps else float("inf")

    def __add__(self, other: Timing) -> Timing:
        """Two runs of the same thing as one."""
        return Timing(
            self.label,
            self.items + other.items,
            self.nbytes + other.nbytes,
            self.seconds + other.seconds,
            self.cpu + other.cpu,
            self.found + other.found,
        )


@dataclass
class _Stopwatch:
    """Wall and CPU time since it was made; budgets are CPU time, which other load on the
    machine does not spend."""

    wall: float = field(default_factory=time.perf_counter)
    cpu: float = field(default_factory=time.process_time)

    def spent(self) -> float:
        return time.process_time() - self.cpu

    def timing(self, label: str, items: int, nbytes: int, found: int) -> Timing:
        return Timing(label, items, nbytes, time.perf_counter() - self.wall, self.spent(), found)


def time_baseline(
    label: str,
    count: Count,
    corpus: Corpus,
    order: Sequence[int],
    budget: float,
    min_items: int = 1,
    start: int = 0,
) -> Timing:
    """Round the items in `order`, from the `start`th on, until `budget` CPU seconds are
    spent; each text is normalised inside the timed region, as the matcher normalises its
    own."""
    done = nbytes = found = 0
    clock = _Stopwatch()
    while done < min_items or clock.spent() < budget:
        index = order[(start + done) % len(order)]
        found += count(normalize(item_text(corpus.items[index])))
        done += 1
        nbytes += corpus.sizes[index]
    return clock.timing(label, done, nbytes, found)


def jobs(indexes: Sequence[int]) -> Iterator[Sequence[int]]:
    """`indexes` in runs of BATCH_SIZE, as the poller queues items for the workers."""
    for start in range(0, len(indexes), BATCH_SIZE):
        yield indexes[start : start + BATCH_SIZE]


def time_matcher(
    label: str, matcher: Matcher, corpus: Corpus, indexes: Sequence[int]
) -> tuple[Timing, int, set[str]]:
    """One pass over `indexes`; with the alerts among the matches and the rules matched."""
    found = alerts = nbytes = 0
    rules_hit: set[str] = set()
    clock = _Stopwatch()
    for job in jobs(indexes):
        for matches in matcher.match_many([corpus.items[index] for index in job]):
            found += len(matches)
            alerts += sum(m.alert for m in matches)
            rules_hit.update(m.rule for m in matches)
        nbytes += sum(corpus.sizes[index] for index in job)
    return clock.timing(label, len(indexes), nbytes, found), alerts, rules_hit


def time_matcher_warm(
    matcher: Matcher, corpus: Corpus, order: Sequence[int], budget: float, start: int = 0
) -> Timing:
    """Go round the items in `order`, from the `start`th on, until `budget` CPU seconds are
    spent (the last pass may be partial: hence a shuffled order). Each job works out its
    items' leads afresh, as a worker does with new items: a sample smaller than the
    leads kept (the quick one) would otherwise find them all worked out already."""
    looped = [*order, *order[:BATCH_SIZE]]  # so that a job may run past the end
    done = found = nbytes = 0
    clock = _Stopwatch()
    while clock.spent() < budget:
        forget_leads()
        at = (start + done) % len(order)
        job = looped[at : at + BATCH_SIZE]
        found += sum(map(len, matcher.match_many([corpus.items[index] for index in job])))
        nbytes += sum(corpus.sizes[index] for index in job)
        done += len(job)
    passes = done / len(order)
    return clock.timing(f"ours, warm ({passes:.1f} passes)", done, nbytes, found)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """As in a worker once warmed up (monitor.heap): the objects made so far, rules and
    matcher among them, are left out of collections, which would otherwise walk them all,
    and more often the more rules there are; the young are collected in larger runs."""
    thresholds = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@dataclass(frozen=True)
class Compiled:
    rules: list[Rule]
    matcher: Matcher
    load_s: float
    build_s: float


def compile_matcher(paths: Sequence[Path]) -> Compiled:
    """Load the rules in `paths` and build their matcher, each timed in CPU seconds."""
    clock = _Stopwatch()
    rules = load_rules(paths)
    loaded = clock.spent()
    matcher = Matcher(rules)
    return Compiled(rules, matcher, loaded, clock.spent() - loaded)


# --------------------------------------------------------------------------- figures


def figures(
    corpus: Path,
    *,
    quick: bool,
    say: Say,
    rule_counts: Sequence[int] = RULE_COUNTS,
    given: Path | None = None,
) -> list[Figure]:
    """Per count of generated rules, and for the `given` rules: the matcher's build time,
    then per text (an article whole, or as a feed carries it) its warm speed and its ratios
    to both baselines. Generated rules hold words and phrases only; rules people write, as
    the shipped ones, hold regular expressions too, which cost as much as the rest."""
    budget = QUICK if quick else FULL
    say(f"reading {corpus}")
    articles = read_corpus(corpus)
    say(f"{len(articles.items):,} items; building the vocabulary")
    texts = {"full": articles, "feed": articles.as_feed()}
    run = _Run(budget, sample_order(len(articles.items), budget.sample), say)
    found: list[Figure] = []
    with generated_rule_files(corpus, max(rule_counts), say) as files:
        for count in rule_counts:
            found += run.rule_set_figures(files[:count], texts, "generated")
    if given is not None:
        found += run.rule_set_figures(rule_files([given]), texts, "given")
    return found


@dataclass(frozen=True)
class _Baselines:
    regex: Count
    automaton: Count

    @classmethod
    def of(cls, rules: Sequence[Rule]) -> _Baselines:
        patterns = [baseline_pattern(rule, bounded=False) for rule in rules]
        return cls(regex_count(patterns), automaton_count(term_automaton(rules)))


@dataclass(frozen=True)
class _Run:
    budget: Budget
    order: list[int]
    say: Say

    def rule_set_figures(
        self, files: Sequence[Path], texts: Mapping[str, Corpus], rule_set: str
    ) -> list[Figure]:
        """One matcher and its baselines, built once and measured on every text."""
        self.say(f"{len(files):,} {rule_set} rule files: loading them and building the matcher")
        compiled = compile_matcher(files)
        self.say(f"{len(compiled.rules):,} {rule_set} rules: compiling the baselines")
        baselines = _Baselines.of(compiled.rules)
        params: dict[str, Param] = {"rules": len(compiled.rules), "rule_set": rule_set}
        seconds = compiled.load_s + compiled.build_s
        found = [Figure(BENCH, "compile_s", seconds, "s", params)]
        with frozen_heap():
            for text, corpus in texts.items():
                found += self.text_figures(compiled.matcher, baselines, corpus, params, text)
        return found

    def text_figures(
        self,
        matcher: Matcher,
        baselines: _Baselines,
        corpus: Corpus,
        params: dict[str, Param],
        text: str,
    ) -> list[Figure]:
        step = f"{params['rules']:,} {params['rule_set']} rules, {text} text"
        self.say(f"{step}: a first pass, to warm the matcher up")
        time_matcher("cold", matcher, corpus, self.order)
        budget, order = self.budget, self.order
        self.say(
            f"{step}: the matcher ({budget.matcher:g}s), a regex per rule ({budget.regex:g}s)"
            f" and pyahocorasick ({budget.automaton:g}s), by turns in {ROUNDS} rounds"
        )
        ours, regex, automaton = _by_turns(
            [
                (partial(time_matcher_warm, matcher, corpus, order), budget.matcher),
                (partial(time_baseline, "regex", baselines.regex, corpus, order), budget.regex),
                (
                    partial(time_baseline, "ahocorasick", baselines.automaton, corpus, order),
                    budget.automaton,
                ),
            ]
        )
        params = {**params, "text": text}
        return [
            Figure(BENCH, "mb_per_s", ours.mbps, "MB/s", params),
            Figure(BENCH, "items_per_s", ours.items_per_s, "items/s", params),
            Figure(BENCH, "ratio_vs_regex", ours.ratio_to(regex), "ratio", params),
            Figure(BENCH, "ratio_vs_ahocorasick", ours.ratio_to(automaton), "ratio", params),
        ]


class Run(Protocol):
    """One of the timed runs: for `budget` CPU seconds, from the `start`th item of the
    order on."""

    def __call__(self, budget: float, *, start: int) -> Timing: ...


def _by_turns(runs: Sequence[tuple[Run, float]]) -> list[Timing]:
    """Each run given its CPU seconds in ROUNDS shares, by turns, each share going on from
    where its last stopped: a machine whose speed drifts over a run (a shared one does, by
    a tenth or more within a minute) then drifts under them all alike."""
    totals = [run(seconds / ROUNDS, start=0) for run, seconds in runs]
    for _ in range(ROUNDS - 1):
        totals = [
            total + run(seconds / ROUNDS, start=total.items)
            for total, (run, seconds) in zip(totals, runs, strict=True)
        ]
    return totals
