"""A worker's warm-up: the vocabulary learned once, so that matching items of common
words learns nothing more (what a forked work-horse would otherwise learn and forget),
the tables of story entries and apprise's services loaded, and a `monitor work` that
warms up still matching as before."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import redis

from monitor import counters
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.sender import load_services
from monitor.text.fingerprint import inverse_frequencies
from monitor.text.gazetteer import gazetteer
from tests.conftest import ALJAZEERA, RULES_DIR
from tests.processes import env_for, start_monitor, stop, submit, wait_until
from workers.warmup import vocabulary, warm_up


def test_the_vocabulary_is_words_only() -> None:
    words = vocabulary()
    assert len(words) > 20_000 and len(set(words)) == len(words)
    assert all(word and not any(ch.isspace() for ch in word) for word in words)
    assert "العراق" in words and "والعراق" in words  # as written, clitics and all


def test_after_warming_up_common_words_are_known_already() -> None:
    matcher = Matcher(load_rules([RULES_DIR]))
    thresholds = gc.get_threshold()
    gazetteer.cache_clear()
    inverse_frequencies.cache_clear()
    took = warm_up(matcher)
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    assert took > 0 and frozen > 0
    assert load_services.cache_info().currsize == 1
    assert gazetteer.cache_info().currsize == inverse_frequencies.cache_info().currsize == 1
    known = len(matcher._spellings)
    common = vocabulary()[1000:1400]
    matcher.match_many([Item(id="common", title=" ".join(common), source="x")])
    assert len(matcher._spellings) == known


def test_a_warmed_up_worker_matches_what_is_queued(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    env = env_for(tmp_path, redis_url, keys.prefix)
    items = [{"id": "w1", "title": "هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية", "source": "a"}]
    if ALJAZEERA.exists():
        with ALJAZEERA.open(encoding="utf-8") as corpus:
            for n, line in zip(range(60), corpus, strict=False):
                items.append({**json.loads(line), "id": f"w-aj-{n}"})
    worker = start_monitor("work", env=env)  # not a burst: it warms up first
    try:
        assert submit(items, env) == len(items)

        def checked() -> float:
            return counters.read(redis_client, keys).counters[counters.ITEMS_CHECKED].get((), 0)

        wait_until(lambda: checked() == len(items), "the worker to match every item")
        alerts = counters.read(redis_client, keys).counters[counters.ALERTS]
        assert alerts.get(("ain-al-asad-strike",), 0) == 1
    finally:
        stop(worker)
