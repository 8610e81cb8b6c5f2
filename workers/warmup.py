"""What a worker loads once, before its first job: the spellings of the words most news
items bring (the shipped vocabulary, with the matcher's character tables), so that its
matching starts knowing them; the gazetteer and word frequencies that story entries are
made with, so that its first alert does not wait for them (60 ms); and apprise's
services, so that its first delivery does not wait for them.

A worker warms up when it will work long enough to gain from it: always unless it works
in bursts, and then when a replay's worth of jobs waits."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from functools import cache
from importlib import resources

from monitor.heap import settle
from monitor.item import Item
from monitor.rules.matcher import Matcher
from monitor.sender import load_services
from monitor.text.fingerprint import inverse_frequencies
from monitor.text.gazetteer import gazetteer

WORDS_PER_ITEM = 200
"""Vocabulary words per item learned: about a feed item's length."""

WORTH_IT = 10
"""Match jobs (of 50 items) waiting that make warming up worth its two seconds in a
worker that works one burst."""


def warm_up(matcher: Matcher) -> float:
    """Learn the vocabulary into `matcher`, load the tables of story entries and apprise's
    services; the seconds it took."""
    began = time.perf_counter()
    matcher.learn(list(_vocabulary_items()))
    gazetteer()
    inverse_frequencies()
    load_services()
    # What lives as long as the worker is left out of every later collection's walk (and
    # of the pages a forked work-horse would copy by walking them).
    settle()
    return time.perf_counter() - began


@cache
def vocabulary() -> tuple[str, ...]:
    """The shipped vocabulary (tools/build_vocabulary.py), as written."""
    path = resources.files("monitor.data").joinpath("vocabulary.json.gz")
    return tuple(json.loads(gzip.decompress(path.read_bytes()))["words"])


def _vocabulary_items() -> Iterator[Item]:
    words = vocabulary()
    for start in range(0, len(words), WORDS_PER_ITEM):
        text = " ".join(words[start : start + WORDS_PER_ITEM])
        yield Item(id=f"vocabulary-{start}", title=text, source="vocabulary")
