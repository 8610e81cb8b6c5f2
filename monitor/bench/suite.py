"""Which benchmarks `monitor bench` runs, with what, and in what order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.bench import match, memory, pipeline, poll
from monitor.bench.figures import Figure, Say
from monitor.bench.scratch_redis import scratch_redis
from monitor.errors import InputError


@dataclass(frozen=True)
class BenchOptions:
    quick: bool
    corpus: Path
    rules: Path
    redis_url: str | None = None
    """A Redis to measure against; none means an embedded one of the benchmark's own."""


Runner = Callable[[BenchOptions, str, Say], list[Figure]]


def _match(options: BenchOptions, url: str, say: Say) -> list[Figure]:
    return match.figures(options.corpus, quick=options.quick, say=say, given=options.rules)


def _pipeline(options: BenchOptions, url: str, say: Say) -> list[Figure]:
    plan = pipeline.QUICK if options.quick else pipeline.FULL
    return pipeline.figures(url, options.rules, options.corpus, plan, say)


def _poll(options: BenchOptions, url: str, say: Say) -> list[Figure]:
    return poll.figures(quick=options.quick, say=say, redis_url=url, corpus=options.corpus)


def _memory(options: BenchOptions, url: str, say: Say) -> list[Figure]:
    plan = memory.QUICK if options.quick else memory.FULL
    return memory.figures(url, options.rules, options.corpus, plan, say)


BENCHES: dict[str, Runner] = {
    "match": _match,
    "pipeline": _pipeline,
    "poll": _poll,
    "memory": _memory,
}
"""Every benchmark by name, in the order `all` runs them."""


def run(names: Sequence[str], options: BenchOptions, say: Say) -> list[Figure]:
    """The figures of the benchmarks named, measured one after the other."""
    if not options.corpus.is_file():
        raise InputError(
            f"{options.corpus}: no such corpus; give --corpus a .jsonl file of articles "
            "(one JSON object a line, with title and content)"
        )
    found: list[Figure] = []
    with scratch_redis(options.redis_url) as url:
        for name in names:
            found += BENCHES[name](options, url, say)
    return found
