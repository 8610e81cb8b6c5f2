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
from typing import cast

import numpy as np
import numpy.typing as npt

from monitor.text.keys import STEM_MARK, analyze
from monitor.text.tokenizer import words

TOP_TERMS = 80
"""Terms kept per fingerprint: enough to compare, small enough to store per item."""

Vector = dict[str, float]


STEMS_CACHED = 100_000
"""Words whose stems are kept: every alerting item is fingerprinted, and the commonest
hundred thousand words make up nearly all of the words of news text."""

_STEMS: dict[str, tuple[str, ...]] = {}
"""The stems of each word seen, by the word: a dict read in C costs a third of what an
LRU cache's bookkeeping did for the hundred words of each item."""


def _learned_stems(raw: str) -> tuple[str, ...]:
    """The most reduced stem of each word in `raw`, kept for the next time it is seen."""
    if len(_STEMS) >= STEMS_CACHED:
        _STEMS.clear()
    found = _STEMS[raw] = _reduced_stems(raw)
    return found


def _reduced_stems(raw: str) -> tuple[str, ...]:
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
    raw = words(text)
    known = list(map(_STEMS.get, raw))  # no Python call for each word seen before
    if None not in known:
        return chain.from_iterable(cast(list[tuple[str, ...]], known))
    return chain.from_iterable(
        stems if stems is not None else _learned_stems(word)
        for stems, word in zip(known, raw, strict=True)
    )


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
    top = sorted(weights)
    top.sort(key=weights.__getitem__, reverse=True)
    del top[TOP_TERMS:]
    heaviest = [weights[stem] for stem in top]
    norm = math.sqrt(sum(weight * weight for weight in heaviest)) or 1.0
    shares = rounded(np.array(heaviest) / norm)
    kept = zip(top, shares, heaviest, strict=True)
    return {stem: share for stem, share, weight in kept if weight > 0}


DIGITS = 5
"""Decimal places a fingerprint's weights keep: enough to compare, few to store."""

_SCALE = 10.0**DIGITS

_TIE_DOUBT = 1e-6
"""How near a scaled weight may come to half a unit before it is rounded one by one: the
scaling may have moved it across the half."""


def rounded(values: npt.NDArray[np.float64]) -> list[float]:
    """round(value, DIGITS) of each value, at once: Python's round, a weight at a time, was
    a third of a fingerprint's time. A scaled value away from a half rounds to the same
    whole number, and that over the scale is the nearest float to the decimal, as round's;
    one near a half is left to round itself."""
    scaled = values * _SCALE
    found: list[float] = (np.rint(scaled) / _SCALE).tolist()
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < _TIE_DOUBT).tolist():
        found[i] = round(float(values[i]), DIGITS)
    return found


def similarity(a: Vector, b: Vector) -> float:
    """Cosine similarity of two fingerprints. Only the few stems they share are summed (a
    story is compared with each of its items for every item placed), and fsum makes the
    result the same whatever order the set of them comes in."""
    return similarity_over(a, b, a.keys() & b.keys())


def similarity_over(a: Vector, b: Vector, shared: Iterable[str]) -> float:
    """similarity of two fingerprints whose `shared` stems are known."""
    return math.fsum(a[stem] * b[stem] for stem in shared)
