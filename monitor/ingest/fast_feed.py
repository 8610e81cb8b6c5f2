"""Well-formed RSS 2.0 and Atom 1.0 read by ElementTree into the entries feedparser would make.

It answers only for shapes whose feedparser reading it reproduces exactly; for any other
document it answers None, and the document is left to feedparser.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# feedparser's own rules for values (dates, URI clean-up, windows-1252 code points), so that
# every value read here is the value feedparser reads.
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.urls import _urljoin

from monitor.ingest.encoding import as_utf8_xml

MAX_DEPTH = 4
"""Deepest nesting of the shapes read here (rss, channel, item, field); deeper is left alone."""

MAX_ELEMENTS = 20_000
"""Most elements read here; a document with more is left to feedparser."""

CHUNK_BYTES = 64 * 1024
"""Bytes handed to the XML parser between checks of depth and size."""

_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_MEDIA = ("{http://search.yahoo.com/mrss/}", "{http://search.yahoo.com/mrss}")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# DOCTYPE can name a version (rss091n) and declare entities: feedparser's business alone.
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
# feedparser takes `&name;` left in a link for a mangled query string and drops the `;`.
_LINK_REFERENCE = re.compile("&([A-Za-z0-9_]+);")
_SPACE = re.compile(r"\s")
# The C1 controls, which feedparser maps to what the same bytes mean in windows-1252.
_C1_CONTROLS = re.compile("[\x80-\x9f]")
# feedparser tracks xml:base and xml:lang, and `base` and `lang` of no namespace, everywhere.
_SCOPE_ATTRIBUTES = frozenset({"base", "lang"})
_TEXT_TYPES = frozenset({"text", "html"})
_ATOM_LINK_ATTRIBUTES = frozenset({"href", "rel", "type", "hreflang", "title", "length"})
_ATOM_OTHER_RELS = frozenset({"enclosure", "related", "replies", "self", "edit", "via"})


@dataclass(frozen=True)
class FeedData:
    """What a feed reading gives parse_feed_report: version, feed-level fields and entries.

    Keys are feedparser's: `language` and `ttl` of the feed; `id`, `title`, `summary`,
    `content` (a list of {"value": ...}), `link`, `published_parsed` and `updated_parsed`
    of an entry.
    """

    version: str
    feed: Mapping[str, Any]
    entries: Sequence[Mapping[str, Any]]


class _Unusual(Exception):
    """The document has a shape whose feedparser reading is not reproduced here."""


def read_fast_feed(text: str) -> FeedData | None:
    """The reading feedparser would give the decoded document `text`, or None if unusual."""
    if _DOCTYPE.search(text):
        return None
    data = as_utf8_xml(text)
    # feedparser takes the last `encoding=` of the first line for the document's encoding.
    first_line = data.find(b"\n")
    if data.count(b"encoding=", 0, first_line if first_line >= 0 else len(data)) != 1:
        return None
    try:
        root = _parse(data)
        if root.tag == "rss":
            return _rss(root)
        if root.tag == _ATOM + "feed":
            return _atom(root)
    except (ET.ParseError, _Unusual):
        return None
    return None


def _parse(data: bytes) -> ET.Element:
    """The root of `data`, parsed a chunk at a time so that deep or huge documents stop early."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end", "start-ns"))
    limits = _Limits()
    view = memoryview(data)
    for offset in range(0, len(data), CHUNK_BYTES):
        parser.feed(view[offset : offset + CHUNK_BYTES])
        limits.check(parser.read_events())
    parser.close()
    limits.check(parser.read_events())
    if limits.root is None:
        raise _Unusual
    return limits.root


class _Limits:
    """Depth and count of the elements parsed so far, and the first of them."""

    def __init__(self) -> None:
        self.depth = self.elements = 0
        self.root: ET.Element | None = None

    def check(self, events: Iterable[tuple[Any, ...]]) -> None:
        for event, value in events:
            if event == "start-ns":
                _check_namespace(*value)
            elif event == "start":
                self.depth, self.elements = self.depth + 1, self.elements + 1
                if self.depth > MAX_DEPTH or self.elements > MAX_ELEMENTS:
                    raise _Unusual
                self.root = value if self.root is None else self.root
            else:
                self.depth -= 1


def _check_namespace(prefix: str, uri: str) -> None:
    """Refuse the namespaces whose declaration sets feedparser's version (rss10, rss090), and
    those with a space, which expat refuses under feedparser (its separator is a space)."""
    lowered = uri.lower()
    if (
        lowered == "http://purl.org/rss/1.0/"
        or (not prefix and lowered == "http://my.netscape.com/rdf/simple/0.9/")
        or _SPACE.search(uri)
    ):
        raise _Unusual


# --------------------------------------------------------------------------- RSS 2.0


def _rss(root: ET.Element) -> FeedData:
    version = root.get("version", "")
    if set(root.attrib) != {"version"} or not version.startswith("2."):
        raise _Unusual
    channel = _only_child(root, "channel")
    fields = _children(channel, {"language", "ttl", "item"}, _RSS_CHANNEL_IGNORED)
    feed = {name: _value(_leaf(element)) for name, element in _singles(fields, "language", "ttl")}
    return FeedData("rss20", feed, [_rss_entry(item) for item in fields.get("item", [])])


def _rss_entry(item: ET.Element) -> dict[str, Any]:
    fields = _children(item, {"guid", "title", "link", "description", "pubDate"}, _RSS_IGNORED)
    found = dict(_singles(fields, "guid", "title", "link", "description", "pubDate"))
    entry: dict[str, Any] = {}
    if "guid" in found:
        guid = found["guid"]
        # feedparser compares the attribute as written: only "true" makes the guid a link.
        is_link = guid.get("isPermaLink", "true") == "true"
        entry["id"] = _value(_leaf(guid, frozenset({"isPermaLink"})), uri=is_link)
        if is_link:
            entry["link"] = entry["id"]
    if "link" in found:
        link = _value(_leaf(found["link"]), uri=True).replace("&amp;", "&")
        entry["link"] = _LINK_REFERENCE.sub(r"&\g<1>", link)
    _texts(entry, found, {"title": "title", "description": "summary"})
    if "pubDate" in found:
        entry["published_parsed"] = _parse_date(_value(_leaf(found["pubDate"])))
    return entry


def _image(image: ET.Element) -> None:
    _children(image, (), _IMAGE_IGNORED)


# --------------------------------------------------------------------------- Atom 1.0


def _atom(root: ET.Element) -> FeedData:
    if not {_XML_LANG}.issuperset(root.attrib):
        raise _Unusual
    lang = root.get(_XML_LANG, "")
    fields = _children(root, {_ATOM + "entry"}, _ATOM_FEED_IGNORED, own_attributes=True)
    # feedparser takes the feed's language from xml:lang on the root, "" meaning none.
    feed = {"language": lang.replace("_", "-")} if lang else {}
    entries = [_atom_entry(entry) for entry in fields.get(_ATOM + "entry", [])]
    return FeedData("atom10", feed, entries)


def _atom_entry(element: ET.Element) -> dict[str, Any]:
    fields = _children(element, _ATOM_ENTRY_FIELDS, _ATOM_ENTRY_IGNORED)
    found = {name[len(_ATOM) :]: one for name, one in _singles(fields, *_ATOM_SINGLE_FIELDS)}
    entry: dict[str, Any] = {}
    if "id" in found:
        entry["id"] = entry["link"] = _value(_leaf(found["id"]), uri=True)
    alternate = _atom_alternate(fields.get(_ATOM + "link", []))
    if alternate is not None:
        entry["link"] = alternate
    for name in ("title", "summary", "content"):
        if name in found and found[name].get("type", "text") not in _TEXT_TYPES:
            raise _Unusual
    if "content" in found:
        content = _value(_leaf(found["content"], frozenset({"type"})))
        # feedparser copies text and html content to a summary the entry does not have.
        entry["content"], entry["summary"] = [{"value": content}], content
    _texts(entry, found, {"title": "title", "summary": "summary"}, frozenset({"type"}))
    for name in ("published", "updated"):
        if name in found:
            entry[f"{name}_parsed"] = _parse_date(_value(_leaf(found[name])))
    return entry


def _atom_alternate(links: list[ET.Element]) -> str | None:
    """The href of the one alternate HTML link among `links`, as feedparser resolves it."""
    alternates = []
    for link in links:
        _leaf(link, _ATOM_LINK_ATTRIBUTES)
        rel, href = link.get("rel", "alternate"), link.get("href", "")
        if not href:
            raise _Unusual  # feedparser reads a link without href from its text, into `link`
        if rel == "alternate" and link.get("type", "text/html") == "text/html":
            alternates.append(_urljoin("", href))
        elif rel not in _ATOM_OTHER_RELS:
            raise _Unusual
    if len(alternates) > 1:
        raise _Unusual
    return alternates[0] if alternates else None


def _person(person: ET.Element) -> None:
    """An author or contributor: name, email and uri, which feedparser keeps apart."""
    for elements in _children(person, _PERSON_FIELDS, {}).values():
        for element in elements:
            _leaf(element)


# --------------------------------------------------------------------------- elements


def _children(
    parent: ET.Element,
    wanted: Iterable[str],
    ignored: Mapping[str, Callable[[ET.Element], None]],
    *,
    own_attributes: bool = False,
) -> dict[str, list[ET.Element]]:
    """The children of `parent` named in `wanted`, by name; any other must be ignorable.

    `parent` may have attributes only when `own_attributes` says its caller checked them.
    """
    if (parent.attrib and not own_attributes) or _has_text(parent.text):
        raise _Unusual
    wanted = frozenset(wanted)
    found: dict[str, list[ET.Element]] = {}
    for child in parent:
        if _has_text(child.tail):
            raise _Unusual
        if child.tag in wanted:
            found.setdefault(child.tag, []).append(child)
        else:
            ignored.get(child.tag, _refuse)(child)
    return found


def _singles(fields: dict[str, list[ET.Element]], *names: str) -> list[tuple[str, ET.Element]]:
    """The fields of `names` that are there, each of which must be there at most once."""
    if any(len(fields.get(name, ())) > 1 for name in names):
        raise _Unusual
    return [(name, fields[name][0]) for name in names if name in fields]


def _only_child(parent: ET.Element, tag: str) -> ET.Element:
    found = _children(parent, {tag}, {}, own_attributes=True).get(tag, [])
    if len(found) != 1:
        raise _Unusual
    return found[0]


def _texts(
    entry: dict[str, Any],
    found: dict[str, ET.Element],
    keys: dict[str, str],
    attributes: frozenset[str] = frozenset(),
) -> None:
    """Each element of `found` named in `keys` as a value of `entry`, under the key it maps to."""
    for name, key in keys.items():
        if name in found:
            entry[key] = _value(_leaf(found[name], attributes))


def _leaf(element: ET.Element, attributes: frozenset[str] = frozenset()) -> str:
    """The text of an element that has no children and no attributes but `attributes`."""
    if len(element) or not attributes.issuperset(element.attrib):
        raise _Unusual
    return element.text or ""


def _ignored(element: ET.Element) -> None:
    """An element that feedparser keeps out of every value read here."""
    if len(element) or any(_local(name) in _SCOPE_ATTRIBUTES for name in element.attrib):
        raise _Unusual


def _refuse(element: ET.Element) -> None:
    raise _Unusual


def _local(name: str) -> str:
    return name.rpartition("}")[2].lower()


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip())


def _value(text: str, *, uri: bool = False) -> str:
    """`text` as feedparser's pop() leaves it when it neither sanitizes nor resolves markup."""
    value = text.strip()
    if uri and ":///" in value:
        value = _urljoin("", value)  # with no base, all it does is mend "http:///x"
    if not value.isascii():
        with contextlib.suppress(UnicodeError):
            # feedparser's repair of UTF-8 that was read as latin-1 somewhere upstream.
            value = value.encode("iso-8859-1").decode("utf-8")
    return str(value.translate(_cp1252)) if _C1_CONTROLS.search(value) else value


_RSS_CHANNEL_IGNORED: dict[str, Callable[[ET.Element], None]] = {
    **dict.fromkeys(
        (
            "title",
            "link",
            "description",
            "copyright",
            "managingEditor",
            "webMaster",
            "pubDate",
            "lastBuildDate",
            "category",
            "generator",
            "docs",
            _ATOM + "link",
            _SY + "updatePeriod",
            _SY + "updateFrequency",
        ),
        _ignored,
    ),
    "image": _image,
}
_IMAGE_IGNORED: dict[str, Callable[[ET.Element], None]] = dict.fromkeys(
    ("url", "title", "link", "width", "height", "description"), _ignored
)
_RSS_IGNORED: dict[str, Callable[[ET.Element], None]] = dict.fromkeys(
    (
        "category",
        "author",
        "comments",
        "enclosure",
        _DC + "creator",
        *(media + name for media in _MEDIA for name in ("thumbnail", "content")),
    ),
    _ignored,
)
_ATOM_SINGLE_FIELDS = tuple(
    _ATOM + name for name in ("id", "title", "summary", "content", "published", "updated")
)
_ATOM_ENTRY_FIELDS = frozenset({*_ATOM_SINGLE_FIELDS, _ATOM + "link"})
_PERSON_FIELDS = tuple(_ATOM + name for name in ("name", "email", "uri"))
_ATOM_PEOPLE: dict[str, Callable[[ET.Element], None]] = {
    _ATOM + "author": _person,
    _ATOM + "contributor": _person,
}
_ATOM_ENTRY_IGNORED = {**_ATOM_PEOPLE, _ATOM + "category": _ignored}
_ATOM_FEED_IGNORED: dict[str, Callable[[ET.Element], None]] = {
    **_ATOM_PEOPLE,
    **dict.fromkeys(
        (
            _ATOM + name
            for name in (
                "title",
                "subtitle",
                "id",
                "updated",
                "link",
                "generator",
                "icon",
                "logo",
                "rights",
                "category",
            )
        ),
        _ignored,
    ),
}
