"""Benchmark: the compiled Matcher against a naive one-regex-per-rule baseline and an
Aho-Corasick automaton of every term, with a detailed report.

Run from the project root with the project's interpreter:

    .venv/bin/python bench/match_bench.py [--rules-count N] [--seconds S] [--corpus PATH]

The measuring lives in monitor.bench.match (and the rules in
monitor.bench.generated_rules); this script prints one run of it in detail, where
`monitor bench match` prints its figures.

What it does
------------
1. Reads the corpus (JSON lines of items) with monitor.inputs.read_items.
2. Builds a vocabulary from the corpus itself: mid-frequency surface words and the 2-3-word
   phrases a person would write as a term ("الأمن الغذائي", "مجلس الأمن الدولي").
3. Generates N rules deterministically (fixed seed), each written around a "seed" article:
   2-4 term groups composed with all / any (some with at_least) / near / none, a few
   scoped with `in`, about a third anchored.  They are written as YAML files and loaded,
   with the shipped rules/ directory, by monitor.rules.loader.load_rules, so the real
   loader and compiler run.
4. Times Matcher.match_many over the whole corpus, in jobs of monitor.queue.BATCH_SIZE
   items as a worker gets them: a cold first pass (analysis caches cleared), then warm:
   round the corpus again until the warm budget is spent.  Objects made during set-up are
   frozen out of garbage collection, as a warmed-up worker's are.
5. Times the baselines on a fixed shuffle of the corpus, as many items as fit their
   budgets, each text normalised with monitor.text.normalizer.normalize inside the timed
   region:
   * a regex per rule, an alternation of all its words and phrases, `search` per rule per
     item; substring (no boundaries: the fastest naive form, the headline ratio) and
     bounded (word boundaries, Arabic proclitics, light suffixes) variants;
   * pyahocorasick: one automaton of every distinct term, every occurrence found.
   Neither evaluates all/any/near/none or reports hits with places: they do strictly less
   than the matcher, so the comparison favours them.

Throughput is MB/s (10**6 bytes) of UTF-8 article text (title, summary and content),
single-threaded, over the process's CPU time (time.process_time), so that other load on
the machine does not count; wall-clock time is shown alongside.  Budgets are CPU seconds
too.  Peak memory is the whole process's ru_maxrss.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import table  # noqa: E402

from monitor.bench import match  # noqa: E402
from monitor.bench.figures import DEFAULT_CORPUS, Say, stderr_progress  # noqa: E402
from monitor.bench.generated_rules import (  # noqa: E402
    SEED,
    VOCAB_DF_BAND,
    Vocabulary,
    build_vocabulary,
    generate_rules,
    write_rules,
)
from monitor.bench.match import Timing  # noqa: E402
from monitor.text import keys as text_keys  # noqa: E402

SHIPPED_RULES = ROOT / "rules"
TARGET_MBPS = 5.0
TARGET_RATIO = 50.0


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


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules-count", type=int, default=1000, help="generated rules (1000)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=24.0,
        help="rough budget, in CPU seconds, for the timed runs after the cold pass: half "
        "for warm passes, a quarter for each regex variant, an eighth more for "
        "pyahocorasick (24)",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="items, .jsonl")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed for the rules")
    return parser.parse_args(argv)


@dataclass
class Runs:
    cold: Timing
    cold_alerts: int
    rules_hit: int
    warm: Timing
    same: Timing  # warm, over the items the regex baselines had time for
    base_sub: Timing
    base_bnd: Timing
    aho: Timing
    setup_peak_mb: float


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    step = stderr_progress()
    step(f"reading {args.corpus}")
    corpus = match.read_corpus(args.corpus)
    if not corpus.items:
        print(f"no items in {args.corpus}", file=sys.stderr)
        return 1
    step(f"{len(corpus.items):,} items, {corpus.total_bytes / 1e6:.2f} MB; building vocabulary")
    vocab = build_vocabulary([match.item_text(item) for item in corpus.items])
    step(f"{len(vocab.words):,} mid-frequency words, {len(vocab.phrases):,} phrases")
    generated = generate_rules(vocab, args.rules_count, args.seed)
    with tempfile.TemporaryDirectory(prefix="match-bench-") as tmp:
        files = write_rules(generated, Path(tmp))
        step(f"loading shipped rules + {len(generated):,} generated rules")
        compiled = match.compile_matcher([SHIPPED_RULES, *files])
    runs = measure(compiled, corpus, args, step)
    step("done")
    print_setup(args, corpus, vocab, compiled, len(generated))
    print_runs(runs, len(corpus.items), len(compiled.rules))
    print(f"\ntotal run time {time.perf_counter() - started:.1f}s")
    return 0


def measure(
    compiled: match.Compiled, corpus: match.Corpus, args: argparse.Namespace, step: Say
) -> Runs:
    rules, matcher = compiled.rules, compiled.matcher
    substring = match.regex_count([match.baseline_pattern(r, bounded=False) for r in rules])
    bounded = match.regex_count([match.baseline_pattern(r, bounded=True) for r in rules])
    automaton = match.automaton_count(match.term_automaton(rules))
    order = match.sample_order(len(corpus.items), None, args.seed)
    quarter, eighth = args.seconds / 4, args.seconds / 8
    setup_peak = peak_mb()
    with match.frozen_heap():
        step("matcher: cold first pass over the corpus")
        text_keys.analyze.cache_clear()
        everything = range(len(corpus.items))
        cold, alerts, hit = match.time_matcher("ours, cold first pass", matcher, corpus, everything)
        step(f"matcher: warm passes (budget {args.seconds * 0.5:g}s)")
        warm = match.time_matcher_warm(matcher, corpus, order, args.seconds * 0.5)
        step(f"baseline, substring (budget {quarter:g}s)")
        sub = match.time_baseline("baseline re, substring", substring, corpus, order, quarter, 5)
        step(f"baseline, bounded (budget {quarter:g}s)")
        bnd = match.time_baseline("baseline re, bounded", bounded, corpus, order, quarter, 5)
        step(f"baseline, pyahocorasick (budget {eighth:g}s)")
        aho = match.time_baseline("pyahocorasick", automaton, corpus, order, eighth)
        sample = order[: max(sub.items, bnd.items)]
        same, _, _ = match.time_matcher("ours, warm, baseline sample", matcher, corpus, sample)
    return Runs(cold, alerts, len(hit), warm, same, sub, bnd, aho, setup_peak)


def print_setup(
    args: argparse.Namespace,
    corpus: match.Corpus,
    vocab: Vocabulary,
    compiled: match.Compiled,
    generated: int,
) -> None:
    rules = compiled.rules
    distinct_terms = {t.keys for r in rules for g in r.groups for t in g.terms}
    term_entries = sum(len(g.terms) for r in rules for g in r.groups)
    n_patterns = sum(len(g.patterns) for r in rules for g in r.groups)
    phrase_terms = sum(1 for keys in distinct_terms if len(keys) > 1)
    print()
    print(
        f"corpus        {args.corpus} ({len(corpus.items):,} items, "
        f"{corpus.total_bytes / 1e6:.2f} MB of title+summary+content, UTF-8)"
    )
    print(
        f"rules         {len(rules):,} ({len(rules) - generated} shipped + "
        f"{generated:,} generated, seed {args.seed}); loaded in {compiled.load_s:.2f}s, "
        f"matcher built in {compiled.build_s:.2f}s (CPU)"
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


def print_runs(runs: Runs, items: int, rules: int) -> None:
    notes = {
        runs.cold.label: f"matches ({runs.cold_alerts:,} alerts; {runs.rules_hit:,} rules matched)",
        runs.warm.label: "matches",
        runs.same.label: "matches",
        runs.base_sub.label: "rule x item term hits",
        runs.base_bnd.label: "rule x item term hits",
        runs.aho.label: "term occurrences",
    }
    warm = runs.warm
    print_table([runs.cold, warm, runs.same, runs.base_sub, runs.base_bnd, runs.aho], notes)
    ratio_sub = warm.ratio_to(runs.base_sub)
    print()
    print(
        f"ratio ours/baseline (per byte, warm): {ratio_sub:,.0f}x vs substring, "
        f"{warm.ratio_to(runs.base_bnd):,.0f}x vs bounded, "
        f"{warm.ratio_to(runs.aho):.2f}x vs pyahocorasick"
    )
    found = runs.cold.found
    print(f"matches per item: {found / items:.2f} ({found:,} per pass over {items:,} items)")
    print(
        f"peak memory (ru_maxrss): {peak_mb():,.0f} MB (after setup: {runs.setup_peak_mb:,.0f} MB)"
    )
    print()
    print(f"targets (single core, 1,000 rules; this run {rules:,} rules):")
    mark = {True: "MET", False: "MISSED"}
    print(
        f"  throughput >= {TARGET_MBPS:g} MB/s        warm {warm.mbps:6.2f} MB/s "
        f"(cold {runs.cold.mbps:.2f})  {mark[warm.mbps >= TARGET_MBPS]}"
    )
    print(
        f"  speed-up   >= {TARGET_RATIO:g}x vs baseline  {ratio_sub:6.0f}x (substring baseline)"
        f"        {mark[ratio_sub >= TARGET_RATIO]}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
