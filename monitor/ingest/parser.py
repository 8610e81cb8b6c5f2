"""Feed documents (RSS, Atom, RDF) into items through feedparser, with the problems met.

Well-formed RSS 2.0 and Atom 1.0 take a fast path (fast_feed) that reads as feedparser does.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit
from xml.sax import SAXParseException

import feedparser

from monitor.errors import InputError
from monitor.ingest.encoding import (
    DecodedDocument,
    as_utf8_xml,
    decode_document,
    display_name,
    media_type_of,
)
from monitor.ingest.fast_feed import FeedData, read_fast_feed
from monitor.item import Item
from monitor.text.html_text import html_to_text, strip_controls

_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")
_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Browsers ignore tabs and newlines inside URLs, so "java\tscript:" still runs code.
_URL_INVISIBLES = re.compile(r"[\x00-\x20\x7f]")
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_ENTRY_OPEN = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)(?=[\s>/])[^>]*>")
_ENTRY_CLOSE = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_HTML_ROOT = re.compile(r"<(!doctype\s+html|html)[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class FeedReport:
    """The readable items of one feed document, and what was wrong with it.

    Each problem reads `kind: detail`, kind being encoding, content-type, markup or item;
    `encoding` is what the document was read as, `version` feedparser's name for its format.
    """

    items: list[Item]
    problems: list[str]
    encoding: str
    version: str
    ttl: float | None = None
    """Seconds the feed's <ttl> says it stays fresh, if it says."""


def parse_feed(
    data: bytes, source: str, *, content_type: str = "", base_url: str = ""
) -> list[Item]:
    """The items of a feed document; a document with no feed in it raises InputError."""
    return parse_feed_report(data, source, content_type=content_type, base_url=base_url).items


def parse_feed_report(
    data: bytes, source: str, *, content_type: str = "", base_url: str = "", fast: bool = True
) -> FeedReport:
    """Items and problems of a feed document; one that is not a feed raises InputError.

    `content_type` is the HTTP Content-Type header, `base_url` the address the feed came from.
    `fast` lets ElementTree read a well-formed RSS 2.0 or Atom 1.0 document whose reading by
    feedparser it reproduces (fast_feed); False has feedparser read every document.
    """
    decoded = decode_document(data, content_type)
    _refuse_non_feed(decoded.text, source)
    reading = read_fast_feed(decoded.text) if fast else None
    if reading is not None:
        problems = _document_problems(decoded, content_type)
        return _report(reading, problems, decoded, source, base_url)
    return _feedparser_report(decoded, source, content_type, base_url)


def _feedparser_report(
    decoded: DecodedDocument, source: str, content_type: str, base_url: str
) -> FeedReport:
    parsed = _feedparser_parse(decoded, source)
    if not parsed.get("version") and not parsed.entries:
        raise InputError(
            f"feed {source}: not a feed ({_not_a_feed_reason(decoded.text, content_type)})"
        )
    problems = _document_problems(decoded, content_type)
    if parsed.get("bozo"):
        problems.append(f"markup: {_markup_problem(parsed.get('bozo_exception'))}")
    entries = list(parsed.entries)
    if parsed.get("bozo") and entries and _last_entry_cut_off(decoded.text):
        # A document cut off inside an item: its text is partial and its id may be a hash of it.
        entries.pop()
        problems.append(f"item: entry {len(entries) + 1} is cut off by the end of the document")
    reading = FeedData(str(parsed.get("version") or ""), parsed.feed, entries)
    return _report(reading, problems, decoded, source, base_url)


def _report(
    reading: FeedData, problems: list[str], decoded: DecodedDocument, source: str, base_url: str
) -> FeedReport:
    lang = str(reading.feed.get("language", "") or "")
    items, item_problems = _items(reading.entries, source, lang, base_url)
    return FeedReport(
        items=items,
        problems=problems + item_problems,
        encoding=display_name(decoded.encoding),
        version=reading.version,
        ttl=_ttl(reading.feed),
    )


def _ttl(feed: Any) -> float | None:
    raw = str(feed.get("ttl", "") or "").strip()
    return float(raw) * 60 if raw.isdigit() else None


def _refuse_non_feed(text: str, source: str) -> None:
    if not text.strip(" \t\r\n\ufeff"):
        raise InputError(f"feed {source}: not a feed (empty body)")
    # Expansion is how billion-laughs and external-entity attacks work, and feeds need no
    # entities; the whole text is searched, as a comment can hide where the prolog ends.
    if _ENTITY_DECLARATION.search(text):
        raise InputError(f"feed {source}: not a feed (entity declarations refused)")


def _feedparser_parse(decoded: DecodedDocument, source: str) -> Any:
    # A stream, never bytes: feedparser opens bytes that name a local file and reads that file.
    stream = io.BytesIO(as_utf8_xml(decoded.text))
    try:
        # html_to_text, not feedparser's sanitizer, cleans markup: the sanitizer keeps the text
        # inside the iframes and objects it removes, and relative URIs inside markup are moot.
        return feedparser.parse(stream, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser's loose parser has crashed on hostile input before
        raise InputError(f"feed {source}: not a feed (parser failed: {exc!r})") from exc


def _not_a_feed_reason(text: str, content_type: str) -> str:
    media_type = media_type_of(content_type)
    if media_type and not _is_feed_media_type(media_type):
        return media_type
    if _HTML_ROOT.search(text[:4096]):
        return "an HTML page"
    return "no RSS, Atom or RDF element"


def _is_feed_media_type(media_type: str) -> bool:
    return "xml" in media_type


def _document_problems(decoded: DecodedDocument, content_type: str) -> list[str]:
    """The problems of a document's bytes and Content-Type, whatever reads its markup."""
    problems = []
    if decoded.problem:
        problems.append(f"encoding: {decoded.problem}")
    media_type = media_type_of(content_type)
    if media_type and not _is_feed_media_type(media_type):
        problems.append(f"content-type: served as {media_type}, read as a feed anyway")
    return problems


def _markup_problem(exc: object) -> str:
    if isinstance(exc, SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return str(exc or "not well-formed")


def _last_entry_cut_off(text: str) -> bool:
    opens = list(_ENTRY_OPEN.finditer(text))
    if not opens or opens[-1].group().endswith("/>"):
        return False
    return _ENTRY_CLOSE.search(text, opens[-1].end()) is None


def _items(
    entries: Sequence[Any], source: str, lang: str, base_url: str
) -> tuple[list[Item], list[str]]:
    """Each readable entry once; an entry that repeats an earlier id is dropped and reported."""
    items: dict[str, Item] = {}
    problems = []
    for number, entry in enumerate(entries, start=1):
        try:
            item = _item(entry, source, lang, base_url)
        except (ValueError, TypeError) as exc:
            problems.append(f"item: entry {number} unreadable: {exc}")
            continue
        if item.id in items:
            problems.append(f"item: entry {number} repeats id {item.id!r}, skipped")
            continue
        items[item.id] = item
    return list(items.values()), problems


def _item(entry: Any, source: str, lang: str, base_url: str) -> Item:
    title = html_to_text(_field(entry, "title"))
    summary = html_to_text(_field(entry, "summary"))
    content = "\n".join(
        html_to_text(str(part.get("value", ""))) for part in entry.get("content", [])
    )
    if content == summary:
        content = ""
    link = safe_link(_field(entry, "link"), base_url)
    return Item(
        id=_item_id(_field(entry, "id"), link, title, summary or content),
        title=title,
        summary=summary,
        content=content,
        link=link,
        source=source,
        lang=str(entry.get("language", "") or lang),
        published=_published(entry),
    )


def _field(entry: Any, name: str) -> str:
    value = entry.get(name, "")
    return value if isinstance(value, str) else ""


def _item_id(guid: str, link: str, title: str, text: str) -> str:
    """A stable id: the guid, else the canonical link, else a hash of title and text."""
    guid = strip_controls(guid).strip()
    if guid:
        return guid
    if link:
        return canonical_link(link)
    return "sha1:" + hashlib.sha1(f"{title}\x1f{text}".encode()).hexdigest()


def safe_link(link: str, base_url: str = "") -> str:
    """The link resolved against `base_url`, or "" when its scheme could run code in a browser."""
    link = strip_controls(link).strip()
    if base_url and link:
        link = _joined(base_url, link)
    visible = _URL_INVISIBLES.sub("", link).lower()
    return "" if visible.startswith(_UNSAFE_SCHEMES) else link


def _joined(base_url: str, link: str) -> str:
    try:
        return urljoin(base_url, link)
    except ValueError:
        return link


def canonical_link(url: str) -> str:
    """`url` as dedup compares it: lowercase scheme and host, no fragment, no tracking params."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.netloc:
        return urlunsplit(parts._replace(fragment=""))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    query = "&".join(param for param in parts.query.split("&") if param and not _tracking(param))
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def _tracking(param: str) -> bool:
    name = unquote_plus(param.split("=", 1)[0]).lower()
    return name.startswith("utm_") or name in _TRACKING_PARAMS


def _published(entry: Any) -> datetime | None:
    # Asked only when there: feedparser answers a missing updated_parsed with published_parsed,
    # and a DeprecationWarning.
    updated = entry.get("updated_parsed") if "updated_parsed" in entry else None
    parsed = entry.get("published_parsed") or updated
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
