"""What each dashboard page shows, read from Redis with the functions the CLI uses; plain
data (the page's JSON twin), rendered by the templates. No text from feeds is trusted:
the templates escape it, and links keep only http and https addresses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import redis

from monitor.alert_list import alert_list, public
from monitor.clock import span
from monitor.history import History
from monitor.ingest.feed_report import feed_rows
from monitor.ingest.feeds import FeedSpec, load_feeds
from monitor.ingest.poller_health import PollerRoster, describe
from monitor.keyspace import Keyspace
from monitor.notification import Quote
from monitor.queue import rq, rq_queue
from monitor.rules.model import Severity
from monitor.settings import Settings
from monitor.silence import Silence, SilenceBook
from monitor.status import iso, status_report
from monitor.stories.book import StoryBook
from monitor.stories.story import Story, StoryItem
from monitor.text.normalizer import normalize

HOURS = 24
"""Hours the overview's alerts sparkline spans."""

SEVERITIES = [severity.value for severity in Severity]
"""From quietest to loudest: the alerts page filters on the least one shown."""


@dataclass
class Board:
    """What every page reads: the monitor's Redis, keys and settings."""

    client: redis.Redis
    settings: Settings

    @property
    def keys(self) -> Keyspace:
        return Keyspace(self.settings.prefix)

    def history(self) -> History:
        return History(self.client, self.keys, self.settings.retention_seconds)

    def feeds(self) -> list[FeedSpec]:
        return load_feeds(self.settings.feeds) if self.settings.feeds.exists() else []


def overview(board: Board, now: float) -> dict[str, Any]:
    feeds = feed_rows(board.client, board.keys, board.feeds())
    history = board.history()
    active = SilenceBook(board.client, board.keys).active(now)
    return {
        "status": status_report(board.client, board.keys, now, bool(feeds)),
        "alerts_per_hour": alerts_per_hour(board.client, board.keys, now),
        "items_per_minute": items_per_minute(board.client, board.keys, now),
        "alerts_today": _alerts_since(board.client, board.keys, now - now % 86_400),
        "alerts_kept": history.alert_count(),
        "failing_feeds": [row["id"] for row in feeds if row["error"]],
        "feeds": len(feeds),
        "retrying": len(history.retrying(now, 1000)),
        "dead_letters": int(board.client.zcard(board.keys.dead_letters)),
        "silences": [silence_row(silence, now) for silence in active],
    }


def items_per_minute(client: redis.Redis, keys: Keyspace, now: float) -> list[int]:
    """Items matched in each of the last 24 h's minutes, oldest first."""
    minutes = range(int(now // 60) - HOURS * 60 + 1, int(now // 60) + 1)
    days = sorted({minute // 1440 for minute in minutes})
    with client.pipeline(transaction=False) as pipe:
        for day in days:
            pipe.hgetall(keys.items_per_minute(day))
        counts = {int(k): int(v) for found in pipe.execute() for k, v in found.items()}
    return [counts.get(minute, 0) for minute in minutes]


def alerts_per_hour(client: redis.Redis, keys: Keyspace, now: float) -> list[int]:
    """Notifications sent in each of the last HOURS hours, oldest first."""
    with client.pipeline(transaction=False) as pipe:
        for hour in range(HOURS, 0, -1):
            pipe.zcount(keys.alerts, now - hour * 3600, f"({now - (hour - 1) * 3600}")
        return [int(count) for count in pipe.execute()]


def _alerts_since(client: redis.Redis, keys: Keyspace, since: float) -> int:
    return int(client.zcount(keys.alerts, since, "+inf"))


def sparkline(counts: Sequence[int], width: int = 240, height: int = 40) -> str:
    """The points of an SVG polyline drawing `counts` left to right (numbers only)."""
    top = max(max(counts, default=0), 1)
    step = width / max(len(counts) - 1, 1)
    return " ".join(
        f"{index * step:.1f},{height - 2 - (height - 4) * count / top:.1f}"
        for index, count in enumerate(counts)
    )


def alerts(board: Board, now: float, filters: dict[str, str], limit: int) -> dict[str, Any]:
    """Sent notifications, newest first, each with its story's quote and sources, filtered
    by rule, channel, source and a search in the words rules match on; then retrying
    deliveries, dead letters and failed jobs."""
    found = alert_list(board.history(), now, limit)
    rows = found.rows()
    stories = _stories(board, {row["story"] for row in rows if row.get("story")})
    sent = [_with_story(row, stories) for row in rows if row["kind"] == "notification"]
    langs = sorted({lang for row in sent for lang in row["langs"]})
    sent = [row for row in reversed(sent) if _wanted(row, filters, now)]
    return {
        "filters": filters,
        "notifications": sent,
        "rules": sorted({rule for row in rows for rule in row.get("rules") or []}),
        "channels": sorted({row["channel"] for row in rows if row.get("channel")}),
        "langs": langs,
        "severities": SEVERITIES,
        "problems": [row for row in rows if row["kind"] != "notification"],
        "total": found.total,
    }


def _stories(board: Board, ids: set[str]) -> dict[str, Story]:
    book = StoryBook(board.client, board.keys, board.settings.retention_seconds)
    return {story_id: story for story_id in ids if (story := book.get(story_id)) is not None}


def _with_story(row: dict[str, Any], stories: dict[str, Story]) -> dict[str, Any]:
    story = stories.get(row["story"])
    items = [item for item in story.items if item.id in row["items"]] if story else []
    shown = items[0] if items else None
    return {
        **row,
        "quote": quote_parts(shown.quote) if shown else [(row["text"], False)],
        "quote_text": shown.quote.text if shown else row["text"],
        "links": [item_row(item) for item in items],
        "langs": sorted({item.lang for item in items if item.lang}),
    }


def quote_parts(quote: Quote) -> list[tuple[str, bool]]:
    """The quote cut into (text, matched) pieces, for <mark> around the matched words."""
    parts, at = [], 0
    for start, end in sorted(quote.highlights):
        if start < at or end > len(quote.text):
            continue  # overlapping or out of range: shown unmarked rather than garbled
        parts += [(quote.text[at:start], False), (quote.text[start:end], True)]
        at = end
    parts.append((quote.text[at:], False))
    return [(text, marked) for text, marked in parts if text]


def item_row(item: StoryItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "source": item.source,
        "title": item.title,
        "link": safe_link(item.link),
        "at": iso(item.at),
        "lang": item.lang,
    }


def safe_link(link: str) -> str:
    """The link when it is an http(s) address, else nothing: `javascript:` and the like
    never become an href."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return ""
    return link.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def _wanted(row: dict[str, Any], filters: dict[str, str], now: float) -> bool:
    if filters.get("lang") and filters["lang"] not in row["langs"]:
        return False
    hours = filters.get("hours", "")
    if hours.isdigit() and datetime.fromisoformat(row["at"]).timestamp() < now - 3600 * int(hours):
        return False
    if filters.get("rule") and filters["rule"] not in (row.get("rules") or [row["rule"]]):
        return False
    if filters.get("channel") and filters["channel"] != row["channel"]:
        return False
    if not _loud_enough(row.get("severity"), filters.get("severity", "")):
        return False
    if filters.get("source") and filters["source"] not in row["sources"]:
        return False
    wanted = normalize(filters.get("q", "")).strip()
    return not wanted or wanted in normalize(f"{row['title']}\n{row['quote_text']}")


def _loud_enough(severity: str | None, least: str) -> bool:
    """At `least` this severity (any, when the filter is empty or not a severity)."""
    if least not in SEVERITIES:
        return True
    return severity in SEVERITIES and SEVERITIES.index(severity) >= SEVERITIES.index(least)


def story(board: Board, story_id: str, now: float) -> dict[str, Any] | None:
    found = _stories(board, {story_id}).get(story_id)
    if found is None:
        return None
    rows = [r for r in alert_list(board.history(), now, 1000).rows() if r.get("story") == story_id]
    return {
        "id": found.id,
        "rule": found.rule,
        "rules": found.every_rule,
        "created": iso(found.created),
        "updated": iso(found.updated),
        "sources": found.sources,
        "items": [
            {**item_row(item), "quote": quote_parts(item.quote), "alert": item.alert}
            for item in found.items
        ],
        "deliveries": rows,
        "decisions": [
            {**d, "at": iso(d["at"]), "again_at": iso(d["again_at"]) if d["again_at"] else None}
            for d in (
                json.loads(raw)
                for raw in board.client.lrange(board.keys.decisions(story_id), 0, -1)
            )
        ],
    }


def silence_row(silence: Silence, now: float) -> dict[str, Any]:
    return {
        "id": silence.id,
        "fields": silence.fields,
        "ends": iso(silence.ends),
        "left": span(silence.ends - now),
        "comment": silence.comment,
        "by": silence.by,
    }


def silences(board: Board, now: float) -> dict[str, Any]:
    """The silences in force, each with the stories of recent notifications it covers;
    and those that ended in the last week, latest first."""
    book = SilenceBook(board.client, board.keys)
    active = book.active(now)
    sent = [public(record) for record in board.history().alerts(500)]
    return {
        "silences": [
            {**silence_row(s, now), "covers": _covered(s, sent, now)}
            for s in sorted(active, key=lambda s: s.ends)
        ],
        "ended": [{**silence_row(s, now), "ago": span(now - s.ends)} for s in book.ended(now)],
    }


def _covered(silence: Silence, sent: list[dict[str, Any]], now: float) -> list[str]:
    """The stories of `sent` notifications that `silence` quiets now."""
    stories: dict[str, None] = {}
    for row in sent:
        texts = [row["title"], row["text"]]
        rules = row.get("rules") or [row["rule"]]
        if any(silence.covers(rule, row["story"], row["sources"], texts, now) for rule in rules):
            stories[row["story"]] = None
    return list(stories)


def feed(board: Board, feed_id: str, limit: int = 50) -> dict[str, Any] | None:
    """A feed's health and its items kept, newest first; None for a feed not listed."""
    listed = [spec for spec in board.feeds() if spec.id == feed_id]
    if not listed:
        return None
    [row] = [_timed(row) for row in feed_rows(board.client, board.keys, listed)]
    kept = board.history().recent_items(days=board.settings.retention_days)
    mine = [item for item in kept if item.source == feed_id][:limit]
    return {
        **row,
        "items": [
            {"id": item.id, "title": item.title, "link": safe_link(item.link)} for item in mine
        ],
    }


def deliveries(board: Board, now: float) -> dict[str, Any]:
    """Deliveries still being retried and those that gave up, newest first, with every
    attempt and the destination's answers; failed jobs."""
    rows = alert_list(board.history(), now, 500).rows()
    return {
        "retrying": [row for row in reversed(rows) if row["kind"] == "retrying"],
        "dead_letters": [row for row in reversed(rows) if row["kind"] == "dead_letter"],
        "failed_jobs": [row for row in rows if row["kind"] == "failed_job"],
    }


def feeds(board: Board, errors_only: bool) -> dict[str, Any]:
    rows = [_timed(row) for row in feed_rows(board.client, board.keys, board.feeds())]
    shown = [row for row in rows if row["error"]] if errors_only else rows
    return {"feeds": shown, "count": len(rows), "errors_only": errors_only}


def _timed(row: dict[str, Any]) -> dict[str, Any]:
    """A feed row with its poll times also in ISO 8601."""
    return {
        **row,
        "last_poll_at": iso(row["last_poll"]) if row["last_poll"] else None,
        "next_due_at": iso(row["next_due"]) if row["next_due"] else None,
    }


def pipeline(board: Board, now: float) -> dict[str, Any]:
    return {
        "status": status_report(board.client, board.keys, now, bool(board.feeds())),
        "started": started_jobs(board),
        "pollers": [
            {**health.model_dump(), "said": describe(health, now)}
            for health in PollerRoster(board.client, board.keys).all()
        ],
        "failed_jobs": [
            {**job, "at_iso": iso(job["at"]) if job["at"] else None}
            for job in board.history().failed_jobs()
        ],
    }


def started_jobs(board: Board) -> list[dict[str, Any]]:
    """The jobs running now, each with what it carries in a few words (feed text: escaped
    by the template like the rest)."""
    found = []
    for name in (board.keys.match_queue, board.keys.deliver_queue):
        queue = rq_queue(board.client, name)
        for job_id in queue.started_job_registry.get_job_ids(cleanup=False):
            job = queue.fetch_job(job_id)
            if job is not None:
                found.append({"job": job.id, "queue": name, **_carries(job)})
    return found


def _carries(job: rq.job.Job) -> dict[str, Any]:
    payload = job.args[0] if job.args and isinstance(job.args[0], dict) else {}
    items = payload.get("items") or []
    note = payload.get("notification") or {}
    started = job.started_at.timestamp() if job.started_at else None
    return {
        "started": iso(started) if started else None,
        "worker": job.worker_name or "",
        "items": len(items),
        "first_title": str(items[0].get("title", ""))[:200] if items else "",
        "channel": payload.get("channel", ""),
        "story": note.get("story", ""),
    }
