"""What an item is about, as a weighted bag of word stems, for grouping items into stories.

Weights are TF-IDF with document frequencies from a background corpus of
Arabic news shipped with the monitor, so that words every article uses
(العراق, قال) count for little and the event's own words for much.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from importlib import resources
from itertools import chain
from operator import itemgetter

from monitor.text.keys import STEM_MARK, analyze
from monitor.text.tokenizer import words

TOP_TERMS = 80
"""Terms kept per fingerprint: enough to compare, small enough to store per item."""

Vector = dict[str, float]


STEMS_CACHED = 100_000
"""Words whose stems are kept: every alerting item is fingerprinted, and the commonest
hundred thousand words make up nearly all of the words of news text."""


@functools.lru_cache(maxsize=STEMS_CACHED)
def stem_of(raw: str) -> tuple[str, ...]:
    """The most reduced stem of each word in `raw`."""
    found = []
    for word in analyze(raw):
        stems = [key for key in word.keys if key.startswith(STEM_MARK)]
        if stems:
            found.append(min(stems, key=lambda key: (len(key), key))[1:])
    return tuple(found)


def features(text: str) -> list[str]:
    """The stems of every word of `text`, in order."""
    return list(_stems(text))


def _stems(text: str) -> Iterator[str]:
    return chain.from_iterable(map(stem_of, words(text)))


@functools.lru_cache(maxsize=1)
def background() -> tuple[int, dict[str, int]]:
    """(documents, document frequency per stem) of the shipped background corpus."""
    path = resources.files("monitor.data").joinpath("background_df.json.gz")
    data = json.loads(gzip.decompress(path.read_bytes()))
    return int(data["documents"]), dict(data["df"])


@functools.lru_cache(maxsize=1)
def inverse_frequencies() -> tuple[dict[str, float], float]:
    """(IDF per background stem, IDF of a stem the background lacks), worked out once rather
    than for each stem of each item; under 1 MB."""
    documents, df = background()
    idf = {stem: _idf(documents, found) for stem, found in df.items()}
    return idf, _idf(documents, 0)


def _idf(documents: int, found: int) -> float:
    return math.log((documents + 1) / (found + 1))


def fingerprint(text: str) -> Vector:
    """The unit-length TF-IDF vector of `text`'s TOP_TERMS heaviest stems."""
    idf, unseen = inverse_frequencies()
    counts = Counter(_stems(text))
    weights = {
        stem: (1 + math.log(count)) * idf.get(stem, unseen) for stem, count in counts.items()
    }
    # Heaviest first, equal weights by stem: a stable sort by weight of the stems in order
    # sorts the same as one key of both, without a key tuple for each stem.
    ranked = sorted(weights.items())
    ranked.sort(key=itemgetter(1), reverse=True)
    top = ranked[:TOP_TERMS]
    norm = math.sqrt(sum(weight * weight for _, weight in top)) or 1.0
    return {stem: round(weight / norm, 5) for stem, weight in top if weight > 0}


def similarity(a: Vector, b: Vector) -> float:
    """Cosine similarity of two fingerprints. Only the few stems they share are summed (a
    story is compared with each of its items for every item placed), and fsum makes the
    result the same whatever order the set of them comes in."""
    return similarity_over(a, b, a.keys() & b.keys())


def similarity_over(a: Vector, b: Vector, shared: Iterable[str]) -> float:
    """similarity of two fingerprints whose `shared` stems are known."""
    return math.fsum(a[stem] * b[stem] for stem in shared)
