"""The poll benchmark runs end to end on a hundred feeds: a real poller against its feed
server, every figure measured and its checks passed, and none of its keys left behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
import redis

from monitor.bench.feed_texts import ITEMS_PER_FEED, Rendering, item_guid, load_texts, render_feed
from monitor.bench.poll import PREFIX, PollBenchFailed, costs, figures
from monitor.bench.poll_round import Bench, Kind, Round
from monitor.ingest.parser import parse_feed_report


def bench_keys(client: redis.Redis) -> set[bytes]:
    """Keys of any poll benchmark run: its own prefix, and its RQ queue by name."""
    queue_names = PREFIX.replace(":", "-")
    return set(client.scan_iter(match=f"{PREFIX}:*", count=1000)) | set(
        client.scan_iter(match=f"*{queue_names}*", count=1000)
    )


def test_a_quick_run_gives_every_figure(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    before = bench_keys(client)
    said: list[str] = []
    found = figures(quick=True, say=said.append, redis_url=redis_url, feeds=100)
    left = bench_keys(client) - before
    client.close()
    named = {(f.figure, f.params.get("round"), f.unit) for f in found}
    assert named == {
        ("polls_per_s", "mixed", "polls/s"),
        ("polls_per_s", "all_304", "polls/s"),
        ("cpu_ms_per_304", None, "ms"),
        ("cpu_ms_per_200", None, "ms"),
        ("items_per_s", None, "items/s"),
    }
    assert len(found) == len(named)
    for figure in found:
        assert figure.bench == "poll" and figure.value > 0, figure
        params = {k: v for k, v in figure.params.items() if k != "round"}
        assert params == {"feeds": 100, "per_host": 50, "changed": 0.1}, figure
    assert said and all("\n" not in line for line in said)
    assert not left, f"the benchmark left {sorted(left)[:5]}"


def test_an_item_queued_but_not_expected_fails_the_run(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected_items = Bench.expected_items

    def one_short(bench: Bench, numbers: Sequence[int]) -> set[str]:
        return set(sorted(expected_items(bench, numbers))[1:])

    monkeypatch.setattr(Bench, "expected_items", one_short)
    with pytest.raises(PollBenchFailed, match=r"mixed.*1 unexpected, 0 missing"):
        figures(quick=True, say=lambda line: None, redis_url=redis_url, feeds=10)


def test_without_a_corpus_items_are_made_of_a_word_list(tmp_path: Path) -> None:
    texts = load_texts(tmp_path / "absent.jsonl", seed=1)
    document = render_feed(7, 2, texts, Rendering("run", first=5, html=False))
    report = parse_feed_report(document, "feed-7", content_type="application/rss+xml")
    assert "word list" in texts.source
    assert [item.id for item in report.items] == [
        item_guid("run", 7, 2, index) for index in range(ITEMS_PER_FEED)
    ]
    assert all(item.title for item in report.items)


def _round(kind: Kind, changed: int, cpu: float) -> Round:
    return Round(
        kind,
        kind,
        50,
        100,
        changed,
        1.0,
        cpu,
        Counter(),
        0,
        Counter(),
        0,
        0.0,
        0.0,
        0,
    )


def test_a_changed_feed_costs_at_least_a_304_however_noisy_the_rounds() -> None:
    steady = costs([_round("all_304", 0, 0.100), _round("mixed", 10, 0.150)], 50)
    assert steady.ms_304 == pytest.approx(1.0) and steady.ms_200 == pytest.approx(6.0)
    # A mixed round that ran quicker than its 304s alone would: the difference is noise.
    noisy = costs([_round("all_304", 0, 0.100), _round("mixed", 10, 0.080)], 50)
    assert noisy.ms_200 == pytest.approx(noisy.ms_304)
