"""Benchmark: the compiled Matcher against a naive one-regex-per-rule baseline.

Run from the project root with the project's interpreter:

    .venv/bin/python bench/match_bench.py [--rules-count N] [--seconds S] [--corpus PATH]

What it does
------------
1. Reads the corpus (JSON lines of items) with monitor.inputs.read_items.
2. Builds a vocabulary from the corpus itself: surface words (as the project's
   tokenizer splits them) whose document frequency lies in a middle band
   (VOCAB_DF_BAND, as fractions of the corpus), and 2-3-word phrases of
   words separated by single spaces, found in PHRASE_MIN_DF or more articles,
   holding a vocabulary word, and neither starting nor ending with a function
   word (short and very frequent: في من على التي ...), the way a person would
   write a phrase term ("الأمن الغذائي", "مجلس الأمن الدولي").
3. Generates N rules deterministically (fixed seed).  Each rule is written
   around a "seed" article, the way a person writes a rule about a story:
   2-4 term groups, each of 2-8 words/phrases drawn mostly from the seed
   article's mid-frequency words and phrases and partly from the whole
   vocabulary; groups are `mode: exact` or stem; expressions compose the
   groups with all / any (some with at_least) / near (within 4-20 words) /
   none, a few scoped with `in`; about a third carry `anchor`.  The rules
   are written as YAML files into a temporary directory and loaded, together
   with the shipped rules/ directory, with monitor.rules.loader.load_rules, so
   the real loader and compiler run.
4. Times Matcher.match_many over the whole corpus, in jobs of
   monitor.queue.BATCH_SIZE items as a worker gets them: a cold first pass
   (fresh matcher, analysis caches cleared), then warm: round the corpus again
   and again until the warm time budget is spent (the last pass may be
   partial).
5. Times the baseline on a sample of items (a fixed shuffle of the corpus, as
   many items as fit the time budget).  The baseline compiles one Python `re`
   pattern per rule: an alternation of every word and phrase of every group
   of the rule (positive and `none` groups alike, plus the rule's own
   regexes), and runs `pattern.search(text)` for every rule on every item.
   Terms and text are normalised with monitor.text.normalizer.normalize
   (NFKC, Arabic letter folding, tashkeel removal, case folding) - the text
   once per item, inside the timed region.  A phrase's words are joined by
   `\\s+`.  Two variants are timed:

   * substring: no boundaries at all.  Clitics (و ب ل ال ...) and suffixes
     then match for free, as substrings; it over-matches (a term inside a
     longer word) but is the fastest naive form `re` offers, since the
     pattern starts with a plain alternation and `re` can use its
     first-character check.  The headline ratio is taken against this one,
     the stronger baseline.
   * bounded: Unicode-aware boundaries without `\\b`: `(?<!\\w)` before,
     an optional Arabic proclitic chain `[وف]?[بكل]?(?:ال|ل)?` (with a leading
     ال stripped from Arabic terms), then `(?!\\w)` after exact terms or
     `\\w{0,3}(?!\\w)` after stem terms (a light suffix).  Closer to what the
     rules mean, and slower.

   The baseline only answers "does some term of the rule occur"; it does
   not evaluate all/any/near/none, find positions, or report hits, so it
   does strictly less work than the matcher - the comparison favours it.

Throughput is MB/s (10**6 bytes) of UTF-8 article text (title, summary and
content), single-threaded, over the process's CPU time (time.process_time), so
that other load on the machine does not count; wall-clock time is shown
alongside.  Time budgets are CPU seconds too.  Peak memory is
resource.getrusage(RUSAGE_SELF).ru_maxrss of the whole process (corpus,
vocabulary and the matcher's word caches included).
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import table  # noqa: E402

from monitor.inputs import read_items  # noqa: E402
from monitor.item import Item  # noqa: E402
from monitor.queue import BATCH_SIZE  # noqa: E402
from monitor.rules.loader import load_rules  # noqa: E402
from monitor.rules.matcher import Matcher  # noqa: E402
from monitor.rules.model import TermMode  # noqa: E402
from monitor.rules.rule import Rule  # noqa: E402
from monitor.text import keys as text_keys  # noqa: E402
from monitor.text.normalizer import normalize  # noqa: E402
from monitor.text.tokenizer import WORD_RE  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus/aljazeera/articles.jsonl")
SHIPPED_RULES = ROOT / "rules"
SEED = 20240611

VOCAB_DF_BAND = (0.003, 0.03)
"""Mid-frequency: a word is in the vocabulary when 0.3%-3% of articles hold it."""

PHRASE_MIN_DF = 3
"""A corpus phrase is used when at least this many articles hold it."""

PHRASE_MAX_DF = 0.05
"""... and at most this fraction of them (no boilerplate)."""

FUNCTION_TOP, FUNCTION_MAX_LEN = 200, 4
"""Function words: among the 200 most frequent words and at most 4 letters long."""

TARGET_MBPS = 5.0
TARGET_RATIO = 50.0

_WORDISH = re.compile(r"[^\W\d_]{2,}")
_ARABIC_PREFIX = "[وف]?[بكل]?(?:ال|ل)?"
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d"
_RUN_BREAK = re.compile(rf"[^\w{_MARKS}'\u2019 ]+| {{2,}}")
"""What ends a run of words for phrases: punctuation, line breaks, double spaces."""


# --------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    items: list[Item]
    texts: list[str]  # title, summary and content, for the vocabulary (dropped after it)
    sizes: list[int]  # UTF-8 bytes per item

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)


def read_corpus(path: Path) -> Corpus:
    items = list(read_items([str(path)]))
    texts = [f"{item.title}\n{item.summary}\n{item.content}" for item in items]
    sizes = [
        len(item.title.encode()) + len(item.summary.encode()) + len(item.content.encode())
        for item in items
    ]
    return Corpus(items, texts, sizes)


# --------------------------------------------------------------------------- vocabulary


@dataclass
class Vocabulary:
    words: list[str]  # mid-frequency words, most frequent first
    word_set: frozenset[str]
    phrases: list[str]  # corpus phrases of 2-3 words
    doc_words: list[list[str]]  # per article: its vocabulary words, sorted
    doc_phrases: list[list[str]]  # per article: its phrases, sorted


def _is_wordish(word: str) -> bool:
    return len(word) >= 3 and _WORDISH.fullmatch(word) is not None


def _runs(text: str) -> Iterator[list[str]]:
    """Runs of words separated by single spaces only (no punctuation, no line break)."""
    for chunk in _RUN_BREAK.split(text):
        run = WORD_RE.findall(chunk)
        if len(run) >= 2:
            yield run


def build_vocabulary(texts: Sequence[str]) -> Vocabulary:
    n_docs = len(texts)
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(WORD_RE.findall(text)))
    low, high = (max(2, round(f * n_docs)) for f in VOCAB_DF_BAND)
    # function words: short and among the most frequent (في من على التي الذي ...)
    function = {w for w, _ in df.most_common(FUNCTION_TOP) if len(w) <= FUNCTION_MAX_LEN}
    vocab = sorted(
        (w for w, n in df.items() if low <= n <= high and _is_wordish(w)),
        key=lambda w: (-df[w], w),
    )
    vocab_set = frozenset(vocab)
    # words a phrase may hold: none rarer than the vocabulary (keeps the count small)
    known = {w for w, n in df.items() if n >= low and _WORDISH.fullmatch(w)}
    df.clear()

    def candidates(text: str) -> set[str]:
        """Phrases of 2-3 adjacent words as a rule writer would write them.

        Every word at least as frequent as the vocabulary, one of them in it, and the
        first and last not function words.  Per word: 0 rare, 1 known, 2 function
        word (only inside a phrase of three), 4 in the vocabulary.
        """
        found: set[str] = set()
        for run in _runs(text):
            kinds = [
                4 if w in vocab_set else 2 if w in function else 1 if w in known else 0 for w in run
            ]
            for i in range(len(run) - 1):
                a, b = kinds[i], kinds[i + 1]
                if a & 5 and b & 5 and (a | b) & 4:
                    found.add(f"{run[i]} {run[i + 1]}")
                c = kinds[i + 2] if i + 2 < len(run) else 0
                if a & 5 and b and c & 5 and (a | b | c) & 4:
                    found.add(f"{run[i]} {run[i + 1]} {run[i + 2]}")
        return found

    phrase_df: Counter[str] = Counter()
    for text in texts:
        phrase_df.update(candidates(text))
    phrase_high = max(PHRASE_MIN_DF, round(PHRASE_MAX_DF * n_docs))
    phrases = sorted(
        (p for p, n in phrase_df.items() if PHRASE_MIN_DF <= n <= phrase_high),
        key=lambda p: (-phrase_df[p], p),
    )
    phrase_df.clear()
    phrase_set = frozenset(phrases)
    doc_words = [sorted(set(WORD_RE.findall(text)) & vocab_set) for text in texts]
    doc_phrases = [sorted(candidates(text) & phrase_set) for text in texts]
    return Vocabulary(vocab, vocab_set, phrases, doc_words, doc_phrases)


# --------------------------------------------------------------------------- rules


def _pick_terms(rng: random.Random, vocab: Vocabulary, doc: int, count: int) -> list[str]:
    topic_words, topic_phrases = vocab.doc_words[doc], vocab.doc_phrases[doc]
    terms: list[str] = []
    for _ in range(count * 3):
        if len(terms) >= count:
            break
        roll = rng.random()
        if roll < 0.15 and topic_phrases:
            term = rng.choice(topic_phrases)
        elif roll < 0.20:
            term = rng.choice(vocab.phrases)
        elif roll < 0.75 and topic_words:
            term = rng.choice(topic_words)
        else:
            term = rng.choice(vocab.words)
        if term not in terms:
            terms.append(term)
    return terms


def _expression(rng: random.Random, names: list[str]) -> dict[str, Any]:
    """Compose the groups `names` with all / any / near / none."""

    def within() -> int:
        return rng.randint(4, 20)

    if len(names) == 2:
        a, b = names
        options: list[dict[str, Any]] = [
            {"all": [a, b]},
            {"near": [a, b], "within": within()},
            {"near": [a, b], "within": within()},
            {"all": [a, b], "in": ["title", "lead"]},
        ]
    elif len(names) == 3:
        a, b, c = names
        options = [
            {"all": [a, b, c]},
            {"all": [a, b], "none": [c]},
            {"near": [a, b], "within": within(), "none": [c]},
            {"all": [a, {"near": [b, c], "within": within()}]},
            {"all": [a, {"any": [b, c]}], "in": ["title", "lead"]},
            {"near": [a, b, c], "within": within()},
        ]
    else:
        a, b, c, d = names
        options = [
            {"all": [a, b, {"any": [c, d]}]},
            {"all": [a, b, c], "none": [d]},
            {"near": [a, b, c], "within": within(), "none": [{"near": [d, a], "within": 5}]},
            {"all": [{"near": [a, b], "within": within()}, c], "none": [d]},
            {"any": [a, b, c, d], "at_least": 3},
            {"all": [a, b, {"any": [c, d], "in": ["title", "lead"]}]},
        ]
    return rng.choice(options)


def generate_rules(vocab: Vocabulary, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    seeds = [i for i, words in enumerate(vocab.doc_words) if len(words) >= 20]
    rules = []
    for number in range(count):
        doc = rng.choice(seeds)
        names = [f"g{k}" for k in range(rng.choice((2, 2, 3, 3, 3, 4)))]
        terms: dict[str, Any] = {}
        for name in names:
            words = _pick_terms(rng, vocab, doc, rng.randint(2, 7))
            group: dict[str, Any] = {"words": words}
            if rng.random() < 0.4:
                group["mode"] = "exact"
            terms[name] = group
        rule: dict[str, Any] = {
            "id": f"gen-{number:04d}",
            "title": f"Generated rule {number} (from article {doc})",
            "severity": rng.choice(("low", "medium", "high", "critical")),
            "terms": terms,
            "match": _expression(rng, names),
        }
        if rng.random() < 0.2:
            rule["languages"] = ["ar"]
        if rng.random() < 0.35:
            rule["anchor"] = rng.choice((["title", "lead"], ["title", "lead"], ["title"]))
        rules.append(rule)
    return rules


def write_rules(rules: Iterable[dict[str, Any]], directory: Path) -> None:
    for rule in rules:
        text = yaml.safe_dump(rule, allow_unicode=True, sort_keys=False, width=1000)
        (directory / f"{rule['id']}.yaml").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- baseline


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
    """One regex for the rule: any of its words, phrases or regexes."""
    alternatives: list[str] = []
    for group in rule.groups:
        stem = group.mode is TermMode.STEM
        alternatives += [_term_pattern(t.text, bounded=bounded, stem=stem) for t in group.terms]
    alternatives = list(dict.fromkeys(alternatives))
    body = "|".join(alternatives)
    if bounded:
        body = rf"(?<!\w){_ARABIC_PREFIX}(?:{body})"
    regexes = [f"(?:{p.source})" for group in rule.groups for p in group.patterns]
    return re.compile("|".join(([body] if alternatives else []) + regexes))


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


def time_baseline(
    label: str,
    patterns: Sequence[re.Pattern[str]],
    corpus: Corpus,
    order: Sequence[int],
    budget: float,
    min_items: int = 5,
) -> Timing:
    done = nbytes = found = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for index in order:
        item = corpus.items[index]
        text = normalize(f"{item.title}\n{item.summary}\n{item.content}")
        for pattern in patterns:
            if pattern.search(text):
                found += 1
        done += 1
        nbytes += corpus.sizes[index]
        if done >= min_items and time.process_time() - cpu0 >= budget:
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Timing(label, done, nbytes, wall, cpu, found)


# --------------------------------------------------------------------------- matcher


def clear_analysis_caches() -> None:
    text_keys.analyze.cache_clear()


def jobs(indexes: Sequence[int]) -> Iterator[Sequence[int]]:
    """`indexes` in runs of BATCH_SIZE, as the poller queues items for the workers."""
    for start in range(0, len(indexes), BATCH_SIZE):
        yield indexes[start : start + BATCH_SIZE]


def time_matcher(
    label: str, matcher: Matcher, corpus: Corpus, indexes: Sequence[int]
) -> tuple[Timing, int, set[str]]:
    found = alerts = nbytes = 0
    rules_hit: set[str] = set()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for job in jobs(indexes):
        for matches in matcher.match_many([corpus.items[index] for index in job]):
            found += len(matches)
            for m in matches:
                alerts += m.alert
                rules_hit.add(m.rule)
        nbytes += sum(corpus.sizes[index] for index in job)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Timing(label, len(indexes), nbytes, wall, cpu, found), alerts, rules_hit


def time_matcher_warm(
    matcher: Matcher, corpus: Corpus, order: Sequence[int], budget: float
) -> Timing:
    """Go round the corpus in `order` until `budget` CPU seconds are spent (the last pass
    may be partial, hence the shuffled order: a partial pass is still a fair sample)."""
    looped = [*order, *order[:BATCH_SIZE]]  # so that a job may run past the end
    done = found = nbytes = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.process_time() - cpu0 < budget:
        start = done % len(order)
        job = looped[start : start + BATCH_SIZE]
        found += sum(map(len, matcher.match_many([corpus.items[index] for index in job])))
        nbytes += sum(corpus.sizes[index] for index in job)
        done += len(job)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    passes = done / len(order)
    return Timing(f"ours, warm ({passes:.1f} passes)", done, nbytes, wall, cpu, found)


# --------------------------------------------------------------------------- report


def peak_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1 << 20) if sys.platform == "darwin" else rss / 1024


def print_table(rows: Sequence[Timing], note: dict[str, str]) -> None:
    head = ("run", "items", "MB", "wall s", "cpu s", "MB/s cpu", "items/s", "found")
    lines = [
        (
            r.label,
            f"{r.items:,}",
            f"{r.nbytes / 1e6:.2f}",
            f"{r.seconds:.2f}",
            f"{r.cpu:.2f}",
            f"{r.mbps:.3f}" if r.mbps < 1 else f"{r.mbps:.2f}",
            f"{r.items_per_s:,.1f}",
            f"{r.found:,} {note.get(r.label, '')}".rstrip(),
        )
        for r in rows
    ]
    table.print_table(head, lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules-count", type=int, default=1000, help="generated rules (1000)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=24.0,
        help="rough budget, in CPU seconds, for the timed runs after the cold pass: half "
        "for warm passes, a quarter for each baseline variant (24)",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="items, .jsonl")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed for the rules")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def step(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    step(f"reading {args.corpus}")
    corpus = read_corpus(args.corpus)
    if not corpus.items:
        print(f"no items in {args.corpus}", file=sys.stderr)
        return 1
    step(f"{len(corpus.items):,} items, {corpus.total_bytes / 1e6:.2f} MB; building vocabulary")
    vocab = build_vocabulary(corpus.texts)
    corpus.texts = []
    step(f"{len(vocab.words):,} mid-frequency words, {len(vocab.phrases):,} phrases")

    generated = generate_rules(vocab, args.rules_count, args.seed)
    with tempfile.TemporaryDirectory(prefix="match-bench-") as tmp:
        write_rules(generated, Path(tmp))
        step(f"loading shipped rules + {len(generated):,} generated rules")
        t0 = time.perf_counter()
        rules = load_rules([SHIPPED_RULES, Path(tmp)])
        load_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    matcher = Matcher(rules)
    compile_seconds = time.perf_counter() - t0
    distinct_terms = {t.keys for r in rules for g in r.groups for t in g.terms}
    term_entries = sum(len(g.terms) for r in rules for g in r.groups)
    n_patterns = sum(len(g.patterns) for r in rules for g in r.groups)
    phrase_terms = sum(1 for keys in distinct_terms if len(keys) > 1)
    setup_peak = peak_mb()

    step("matcher: cold first pass over the corpus")
    clear_analysis_caches()
    everything = range(len(corpus.items))
    cold, cold_alerts, rules_hit = time_matcher(
        "ours, cold first pass", matcher, corpus, everything
    )
    step(f"matcher: warm passes (budget {args.seconds * 0.5:.0f}s)")
    order = list(everything)
    random.Random(args.seed).shuffle(order)
    warm = time_matcher_warm(matcher, corpus, order, args.seconds * 0.5)

    substring = [baseline_pattern(rule, bounded=False) for rule in rules]
    bounded = [baseline_pattern(rule, bounded=True) for rule in rules]
    step(f"baseline, substring (budget {args.seconds * 0.25:.0f}s)")
    base_sub = time_baseline("baseline re, substring", substring, corpus, order, args.seconds / 4)
    step(f"baseline, bounded (budget {args.seconds * 0.25:.0f}s)")
    base_bnd = time_baseline("baseline re, bounded", bounded, corpus, order, args.seconds / 4)
    sample = order[: max(base_sub.items, base_bnd.items)]
    same, _, _ = time_matcher("ours, warm, baseline sample", matcher, corpus, sample)
    step("done")

    print()
    print(
        f"corpus        {args.corpus} ({len(corpus.items):,} items, "
        f"{corpus.total_bytes / 1e6:.2f} MB of title+summary+content, UTF-8)"
    )
    print(
        f"rules         {len(rules):,} ({len(rules) - len(generated)} shipped + "
        f"{len(generated):,} generated, seed {args.seed}); loaded in {load_seconds:.2f}s, "
        f"matcher built in {compile_seconds:.2f}s"
    )
    print(
        f"terms         {len(distinct_terms):,} distinct ({phrase_terms:,} of them phrases), "
        f"{term_entries:,} term entries, {n_patterns} regexes"
    )
    print(
        f"vocabulary    {len(vocab.words):,} words with document frequency "
        f"{VOCAB_DF_BAND[0]:.1%}-{VOCAB_DF_BAND[1]:.0%}, {len(vocab.phrases):,} phrases"
    )
    print()
    notes = {
        cold.label: f"matches ({cold_alerts:,} alerts; {len(rules_hit):,} rules matched)",
        warm.label: "matches",
        same.label: "matches",
        base_sub.label: "rule x item term hits",
        base_bnd.label: "rule x item term hits",
    }
    print_table([cold, warm, same, base_sub, base_bnd], notes)

    ratio_sub = warm.mbps / base_sub.mbps if base_sub.mbps else float("inf")
    ratio_bnd = warm.mbps / base_bnd.mbps if base_bnd.mbps else float("inf")
    print()
    print(
        f"ratio ours/baseline (per byte, warm): {ratio_sub:,.0f}x vs substring, "
        f"{ratio_bnd:,.0f}x vs bounded"
    )
    print(
        f"matches per item: {cold.found / len(corpus.items):.2f} "
        f"({cold.found:,} per pass over {len(corpus.items):,} items)"
    )
    print(f"peak memory (ru_maxrss): {peak_mb():,.0f} MB (after setup: {setup_peak:,.0f} MB)")
    print()
    print(f"targets (single core, 1,000 rules; this run {len(rules):,} rules):")
    mark = {True: "MET", False: "MISSED"}
    print(
        f"  throughput >= {TARGET_MBPS:g} MB/s        warm {warm.mbps:6.2f} MB/s "
        f"(cold {cold.mbps:.2f})  {mark[warm.mbps >= TARGET_MBPS]}"
    )
    print(
        f"  speed-up   >= {TARGET_RATIO:g}x vs baseline  {ratio_sub:6.0f}x (substring baseline)"
        f"        {mark[ratio_sub >= TARGET_RATIO]}"
    )
    print(f"\ntotal run time {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
