"""Feed documents (RSS, Atom, RDF) into items, through feedparser."""

from __future__ import annotations

import calendar
import hashlib
from datetime import UTC, datetime
from typing import Any

import feedparser

from monitor.errors import InputError
from monitor.item import Item
from monitor.text.html_text import html_to_text

_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")


def parse_feed(data: bytes, source: str) -> list[Item]:
    """The items of a feed document; a document with no feed in it raises InputError."""
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    if not parsed.entries and not parsed.feed:
        problem = parsed.get("bozo_exception")
        raise InputError(f"{source}: not a feed" + (f" ({problem})" if problem else ""))
    lang = str(parsed.feed.get("language", "") or "")
    return [_item(entry, source, lang) for entry in parsed.entries]


def _item(entry: Any, source: str, lang: str) -> Item:
    title = html_to_text(entry.get("title", "") or "")
    summary = html_to_text(entry.get("summary", "") or "")
    content = "\n".join(html_to_text(part.get("value", "")) for part in entry.get("content", []))
    if content == summary:
        content = ""
    link = safe_link(entry.get("link", "") or "")
    return Item(
        id=str(entry.get("id") or link or _content_hash(title, summary, content)),
        title=title,
        summary=summary,
        content=content,
        link=link,
        source=source,
        lang=str(entry.get("language", "") or lang),
        published=_published(entry),
    )


def safe_link(link: str) -> str:
    """The link, or "" when its scheme could run code in a reader's browser."""
    return "" if link.strip().lower().startswith(_UNSAFE_SCHEMES) else link.strip()


def _content_hash(*parts: str) -> str:
    return "sha1:" + hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def _published(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
