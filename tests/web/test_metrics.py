"""/metrics from what the real code paths counted in a real Redis: a poll of feeds served
on 127.0.0.1, a batch through the pipeline, deliveries to an HTTP sink, a forked worker;
no label ever carries feed text or a URL."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

import redis
from prometheus_client.parser import text_string_to_metric_families

from monitor.channels import Channel
from monitor.clock import SystemClock
from monitor.delivery import Deliverer, DeliveryJob
from monitor.heartbeat import Heartbeat
from monitor.history import History
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Fetcher
from monitor.ingest.poller import Poller, PollOutcome
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.pipeline import Pipeline
from monitor.rules.matcher import Matcher
from monitor.rules.reloader import RuleReloader
from monitor.web.metrics import CONTENT_TYPE, render_metrics
from tests.conftest import RULES_DIR
from tests.feed_server import feed_server
from tests.processes import env_for, monitor, submit
from tests.sink import http_sink

T0 = 1_706_000_000.0

HOSTILE = (
    'هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية "quoted" {le="1"}\nhttps://evil.example/x?a=1'
)
"""A title that alerts and carries quotes, braces, a newline and a URL."""

MENTION_TITLE = "السوداني يستقبل وفدا أمريكيا لبحث التعاون الأمني"
MENTION_BODY = (
    "استقبل رئيس الوزراء العراقي وفدا من وزارة الدفاع الأمريكية وبحث الجانبان سبل تطوير "
    "التعاون في مجالات التدريب والتسليح وتبادل المعلومات الاستخبارية، وأكد ضرورة احترام "
    "السيادة العراقية والعمل ضمن الأطر القانونية المتفق عليها بين البلدين في الاتفاقية "
    "الاستراتيجية الموقعة عام 2008 وما تلاها من تفاهمات. "
    "وكانت قاعدة عين الأسد قد تعرضت لهجوم صاروخي الشهر الماضي."
)
"""A text the Ain al-Asad rule's own tests hold for a mention only."""

LEAKS = ("evil.example", "news.example", "quoted", "127.0.0.1", "عين", "://")
"""What must never show in a label: parts of feed text, links and destinations."""

LABEL_VALUE = re.compile(r"^[A-Za-z0-9_.+-]+$")
"""Rule ids, channel names, queue names, outcome words and bucket bounds."""


def scrape(
    client: redis.Redis, keys: Keyspace
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of one scrape by (name, labels), after checking no label leaks."""
    text = render_metrics(client, keys).decode("utf-8")
    samples = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("monitor_") and family.documentation
        for sample in family.samples:
            for value in sample.labels.values():
                assert LABEL_VALUE.match(value), value
                assert not any(leak in value for leak in LEAKS), value
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def poll(client: redis.Redis, keys: Keyspace, feeds: list[FeedSpec]) -> list[PollOutcome]:
    async def run() -> list[PollOutcome]:
        fetcher = Fetcher()
        try:
            poller = Poller(client, keys, feeds, fetcher, {}, 3600, SystemClock())
            return await poller.poll_all_once()
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


def test_polls_count_items_errors_and_their_time(redis_client: redis.Redis, keys: Keyspace) -> None:
    with feed_server() as server:
        server.items[1] = [("a1", HOSTILE), ("a2", "خبر ثان")]
        server.items[2] = [("b1", "خبر ثالث"), ("a1", HOSTILE)]
        server.broken[3] = (200, "text/html", b"<html><body>not a feed</body></html>")
        server.broken[4] = (500, "text/plain", b"oops")
        feeds = [
            FeedSpec(
                id=f"feed-{n}", url=server.url(n), lang="ar", allow_private=True, baseline=False
            )
            for n in (1, 2, 3, 4)
        ]
        poll(redis_client, keys, feeds)
        first = scrape(redis_client, keys)
        poll(redis_client, keys, feeds[:2])
        second = scrape(redis_client, keys)
    assert value(first, "monitor_items_fetched_total") == 4
    assert value(first, "monitor_items_new_total") == 3
    assert value(first, "monitor_polls_total", status="ok") == 2
    assert value(first, "monitor_polls_total", status="error") == 2
    assert value(first, "monitor_feed_errors_total", kind="not_a_feed") == 1
    assert value(first, "monitor_feed_errors_total", kind="http_status") == 1
    assert value(first, "monitor_poll_duration_seconds_count") == 4
    assert value(first, "monitor_poll_duration_seconds_bucket", le="+Inf") == 4
    assert 0 < value(first, "monitor_poll_duration_seconds_sum") < 4 * 60
    assert value(first, "monitor_queue_jobs", queue="match", state="queued") == 2
    assert value(second, "monitor_polls_total", status="not_modified") == 2
    assert value(second, "monitor_items_fetched_total") == 4
    assert value(second, "monitor_poll_duration_seconds_count") == 6


def test_matching_deciding_and_delivering_are_counted(
    redis_client: redis.Redis, keys: Keyspace, shipped_matcher: Matcher
) -> None:
    items = [
        Item(id="a1", title=HOSTILE, source="one", link="https://evil.example/a1"),
        Item(id="m1", title=MENTION_TITLE, content=MENTION_BODY, source="two"),
        Item(id="n1", title="طقس معتدل في بغداد", source="three"),
    ]
    found = shipped_matcher.match_many(items)
    alerts = Counter(match.rule for matches in found for match in matches if match.alert)
    mentions = Counter(match.rule for matches in found for match in matches if not match.alert)
    assert alerts["ain-al-asad-strike"] == 1 and mentions["ain-al-asad-strike"] == 1
    jobs: list[DeliveryJob] = []
    with http_sink() as sink:
        channels = {
            "hook": Channel("hook", sink.url()),
            "flaky": Channel("flaky", sink.url(path="/hook/status/503")),
            "refusing": Channel("refusing", sink.url(path="/hook/status/400")),
        }
        rules = RuleReloader([RULES_DIR])
        pipeline = Pipeline(redis_client, keys, rules, channels, 3600, jobs.append)
        pipeline.process(items, [T0] * len(items), SystemClock())
        pipeline.flush_due(T0, waited=True)
        deliverer = Deliverer(redis_client, keys, History(redis_client, keys, 3600), channels)
        results = [deliverer.deliver(job, T0).result.value for job in jobs]
        again = deliverer.deliver(jobs[0], T0 + 1).result.value
        Heartbeat(redis_client, keys, "worker").beat()
        samples = scrape(redis_client, keys)
    assert value(samples, "monitor_items_checked_total") == 3
    assert value(samples, "monitor_items_matched_total") == sum(1 for m in found if m)
    assert value(samples, "monitor_match_duration_seconds_count") == 1
    for rule, number in alerts.items():
        assert value(samples, "monitor_alerts_total", rule=rule) == number
    for rule, number in mentions.items():
        assert value(samples, "monitor_mentions_total", rule=rule) == number
    stories = len(jobs) // len(channels)
    assert stories >= 1 and value(samples, "monitor_decisions_total", reason="new_story") == stories
    for name, number in Counter(job.channel for job in jobs).items():
        assert number == stories
        assert value(samples, "monitor_notifications_total", channel=name) == number
    outcomes = Counter(zip((job.channel for job in jobs), results, strict=True))
    assert outcomes == {
        ("hook", "sent"): stories,
        ("flaky", "retry"): stories,
        ("refusing", "dead"): stories,
    }
    outcomes[jobs[0].channel, again] += 1
    for (channel, outcome), number in outcomes.items():
        assert (
            value(samples, "monitor_deliveries_total", channel=channel, outcome=outcome) == number
        )
    assert again == "already"
    assert value(samples, "monitor_dead_letters") == stories
    assert value(samples, "monitor_processes_alive", role="worker") == 1
    assert value(samples, "monitor_processes_alive", role="poller") == 0


def test_a_forked_worker_counts_and_the_queue_drains(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    env = env_for(tmp_path, redis_url, keys.prefix)
    items = [
        {"id": "a1", "title": "هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية", "source": "one"},
        {"id": "a2", "title": "هجوم بطائرة مسيرة على قاعدة عين الأسد الجوية", "source": "two"},
    ]
    assert submit(items, env) == 2
    before = scrape(redis_client, keys)
    assert value(before, "monitor_queue_jobs", queue="match", state="queued") == 1
    assert value(before, "monitor_items_checked_total") == 0
    result = monitor("work", "--burst", env=env)
    assert result.returncode == 0, result.stderr
    after = scrape(redis_client, keys)
    assert value(after, "monitor_queue_jobs", queue="match", state="queued") == 0
    assert value(after, "monitor_items_checked_total") == 2
    assert value(after, "monitor_alerts_total", rule="ain-al-asad-strike") == 2
    assert value(after, "monitor_match_duration_seconds_count") == 1
    assert value(after, "monitor_notifications_total", channel="console") == 1
    assert value(after, "monitor_deliveries_total", channel="console", outcome="sent") == 1


def test_an_empty_keyspace_shows_every_family(redis_client: redis.Redis, keys: Keyspace) -> None:
    body = render_metrics(redis_client, keys)
    assert CONTENT_TYPE.startswith("text/plain")
    samples = scrape(redis_client, keys)
    assert value(samples, "monitor_items_fetched_total") == 0
    assert value(samples, "monitor_match_duration_seconds_bucket", le="+Inf") == 0
    assert b"# HELP monitor_deliveries_total" in body
