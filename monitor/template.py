"""Renders a notification for one kind of channel, escaped for it and cut to its limits.
Feed text is untrusted: each piece is cleaned, escaped and bidi-isolated, so only the
monitor's own markup (bold, the items' links) is live."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote, urlsplit, urlunsplit

from monitor.notification import Notification, Quote, Source
from monitor.text.graphemes import breakable, cut

SLACK_BODY_MAX = 3000
"""Slack's limit on a section block's text, counted after apprise's mrkdwn conversion;
apprise's own slack body_maxlen (35,000) is never reached, so it never cuts."""

SLACK_TITLE_MAX = 150
"""Slack's limit on a header block (apprise's slack title_maxlen is 250)."""

TELEGRAM_MAX = 4096
"""Telegram's message limit and apprise's telegram body_maxlen. apprise's title_maxlen
is 0 there: it writes the title into the body, so both share this limit."""

DISCORD_MAX = 2000
"""Discord's content limit and apprise's discord body_maxlen, which counts the title too."""

TEXT_BODY_MAX = 8000
"""Plain text (json://, form://, e-mail, the console)."""

TITLE_MAX = 250
"""apprise's default title_maxlen; no title is longer."""

HEADLINE_MAX = 400
"""Longest headline, as the channel counts it."""

RULE_TITLE_MAX = 150
"""Longest rule title shown."""

SOURCE_NAME_MAX = 60
"""Longest source name shown."""

SOURCE_TITLE_MAX = 160
"""Longest item title shown after its source."""

QUOTE_MIN = 300
"""Room kept for the quote before sources are listed; the sources that do not fit are counted."""

URL_MAX = 1000
"""An item link longer than this is left out, since a URL cannot be cut."""

_FSI, _PDI = "\u2068", "\u2069"
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_AT = {"@": "@\u200b"}
_UNCLEAN = re.compile(
    "[^\\S ]|  |^ | $|[\x00-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(_BIDI_CONTROLS)) + "]"
)
"""What _clean_mapped changes: whitespace other than one space between words, bidi and
control characters (category Cc) and lone surrogates (Cs)."""
"""A zero-width space after every @, so no @everyone, @here or <@id> in feed text can ping."""


@dataclass(frozen=True)
class Rendered:
    """One notification as one kind of channel shows it, ready for apprise's notify()."""

    title: str
    body: str
    body_format: str


@dataclass(frozen=True)
class _Part:
    """Text as apprise is given it, and its length as the channel counts it (an upper bound)."""

    src: str = ""
    width: int = 0

    def __add__(self, other: _Part) -> _Part:
        return _Part(self.src + other.src, self.width + other.width)


def _u16(text: str) -> int:
    # The services count UTF-16 code units, which is never less than Python's len().
    return len(text.encode("utf-16-le")) // 2


def _lit(text: str) -> _Part:
    """The monitor's own words, which hold no markup character of any dialect."""
    return _Part(text, _u16(text))


def _isolate(part: _Part) -> _Part:
    return _Part(_FSI + part.src + _PDI, part.width + 2)


@dataclass(frozen=True)
class _Dialect:
    """How one channel escapes feed text and writes the monitor's own markup."""

    body_format: str
    escapes: Mapping[int, str]
    """str.translate table: feed character -> what apprise is given."""
    link: Callable[[str, _Part], _Part]
    grows: Mapping[str, int] = field(default_factory=dict)
    """Characters apprise writes longer than it is given them, and by how much."""
    bold: tuple[str, str] = ("", "")
    quote: tuple[str, str] = ("> ", "")
    newline: _Part = _Part("\n", 1)
    word_highlights: bool = False

    def text(self, clean: str) -> _Part:
        src = clean.translate(self.escapes)
        return _Part(src, _u16(src) + sum(n * clean.count(ch) for ch, n in self.grows.items()))

    def strong(self, part: _Part) -> _Part:
        return _lit(self.bold[0]) + part + _lit(self.bold[1])

    @property
    def quote_width(self) -> int:
        # Telegram's HTML reducer may add a line break on either side of a blockquote.
        return _u16("".join(self.quote)) + (4 if self.quote[1] else 0)

    def quoted(self, part: _Part) -> _Part:
        return _Part(self.quote[0] + part.src + self.quote[1], part.width + self.quote_width)


def _escapes(table: Mapping[str, str]) -> Mapping[int, str]:
    return str.maketrans(dict(table))


def _slack_link(url: str, label: _Part) -> _Part:
    # apprise turns [label](<url>) into <url|label> and writes each & of the url as &amp;.
    return _Part(f"[{label.src}](<{url}>)", label.width + len(url) + 5 + 4 * url.count("&"))


def _html_link(url: str, label: _Part) -> _Part:
    return _lit(f'<a href="{escape(url)}">') + label + _lit("</a>")


def _markdown_link(url: str, label: _Part) -> _Part:
    return _lit("[") + label + _lit(f"]({url})")


def _text_link(url: str, label: _Part) -> _Part:
    return label + _lit(f" <{url}>")


_SLACK = _Dialect(
    body_format="markdown",
    # Slack mrkdwn has no escape for * _ ~ ` (nor a safe one for \): look-alikes keep them inert.
    escapes=_escapes(
        {
            **_AT,
            **dict(zip("*_~`\\", "\u2217\u02cd\u223c\u02cb\u2216", strict=True)),
            **{ch: "\\" + ch for ch in "<>[]()"},
        }
    ),
    grows={"&": 4, "<": 2, ">": 2},
    link=_slack_link,
    bold=("**", "**"),
    word_highlights=True,
)
_SLACK_TITLE = _Dialect("text", _escapes(_AT), _text_link, grows={"&": 4, "<": 3, ">": 3})
_TELEGRAM = _Dialect(
    body_format="html",
    escapes=_escapes({**_AT, "&": "&amp;", "<": "&lt;", ">": "&gt;"}),
    link=_html_link,
    bold=("<b>", "</b>"),
    quote=("<blockquote>", "</blockquote>"),
    newline=_Part("\n", 2),
)
_DISCORD = _Dialect(
    body_format="markdown",
    escapes=_escapes({**_AT, **{ch: "\\" + ch for ch in "\\*_~`|[]()<>#:"}}),
    link=_markdown_link,
    bold=("**", "**"),
)
_TEXT = _Dialect("text", _escapes(_AT), _text_link, bold=("*", "*"))


@dataclass(frozen=True)
class _Layout:
    """A kind of channel: its dialects and its limits."""

    body: _Dialect
    title: _Dialect
    body_max: int
    title_max: int
    joined: int = 0
    """Characters apprise adds when it writes the title into the body, which then share body_max."""


_LAYOUTS: Mapping[str, _Layout] = {
    "slack": _Layout(_SLACK, _SLACK_TITLE, SLACK_BODY_MAX, SLACK_TITLE_MAX),
    "telegram": _Layout(_TELEGRAM, _TELEGRAM, TELEGRAM_MAX, TITLE_MAX, len("<b></b><br />\r\n")),
    "discord": _Layout(_DISCORD, _DISCORD, DISCORD_MAX, TITLE_MAX, len("\r\n")),
    "text": _Layout(_TEXT, _TEXT, TEXT_BODY_MAX, TITLE_MAX),
}

KINDS = tuple(_LAYOUTS)
"""The kinds of channel `render` knows."""


def render(notification: Notification, kind: str) -> Rendered:
    """The notification as a channel of `kind` (one of KINDS) shows it."""
    layout = _LAYOUTS.get(kind)
    if layout is None:
        raise ValueError(f"unknown channel kind {kind!r}; expected one of {', '.join(KINDS)}")
    title = _title(notification, layout)
    budget = layout.body_max - (title.width + layout.joined if layout.joined else 0)
    body = _body(notification, layout.body, budget)
    return Rendered(title.src, body.src, layout.body.body_format)


def _title(note: Notification, layout: _Layout) -> _Part:
    head = _lit(note.severity.value.upper())
    rule = _fit(note.rule_title, layout.title_max - head.width - 5, layout.title)
    return head + _lit(" · ") + _isolate(rule) if rule.src else head


def _body(note: Notification, d: _Dialect, budget: int) -> _Part:
    lines = [_headline(note, d), _facts(note, d), *_update(note, d)]
    used = sum(line.width + d.newline.width for line in lines)
    short = _quote(note.quote, d, QUOTE_MIN)
    reserve = short.width + d.newline.width if short.src else 0
    sources = _sources(note.sources, d, budget - used - reserve)
    used += sum(line.width + d.newline.width for line in sources)
    quote = _quote(note.quote, d, budget - used - d.newline.width) if short.src else short
    shown = [lines[0], quote, *lines[1:], *sources]
    return _join([line for line in shown if line.src], d.newline)


def _join(parts: Sequence[_Part], sep: _Part) -> _Part:
    out = _Part()
    for i, part in enumerate(parts):
        out = out + (sep if i else _Part()) + part
    return out


def _headline(note: Notification, d: _Dialect) -> _Part:
    text = _fit(note.headline, HEADLINE_MAX - 2 - _u16("".join(d.bold)), d)
    return d.strong(_isolate(text)) if text.src else _Part()


def _facts(note: Notification, d: _Dialect) -> _Part:
    rule = _isolate(_fit(note.rule_title, RULE_TITLE_MAX, d))
    others = [other for other in note.rules if other != note.rule]
    also = f" · also {', '.join(others)}" if others else ""
    return _lit("Rule: ") + rule + _lit(f" · severity {note.severity.value.upper()}{also}")


def _update(note: Notification, d: _Dialect) -> list[_Part]:
    if note.update <= 0:
        return []
    count = len(note.source_names)
    sources = f": now reported by {count} source{'' if count == 1 else 's'}" if count else ""
    return [_lit(f"Update {note.update}{sources}")]


def _sources(sources: Sequence[Source], d: _Dialect, room: int) -> list[_Part]:
    lines = [_source_line(source, d) for source in sources]
    header = _lit("Sources:")
    used = header.width + d.newline.width
    shown: list[_Part] = []
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        more = _lit(f"… and {rest} more").width + d.newline.width if rest else 0
        if used + line.width + d.newline.width + more > room:
            break
        shown.append(line)
        used += line.width + d.newline.width
    if not shown:
        return []
    left = len(lines) - len(shown)
    return [header, *shown, *([_lit(f"… and {left} more")] if left else [])]


def _source_line(source: Source, d: _Dialect) -> _Part:
    name = _fit(source.source, SOURCE_NAME_MAX, d)
    label = _isolate(name if name.src else _lit("source"))
    url = _safe_url(source.link)
    line = _lit("• ") + (d.link(url, label) if url else label)
    title = _fit(source.title, SOURCE_TITLE_MAX, d)
    return line + _lit(": ") + _isolate(title) if title.src else line


_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")
_URL_SAFE = "/:?#=&+,;!$%-._~"
"""URL characters that open or close no markup in any dialect; the rest are percent-encoded."""


def _safe_url(link: str) -> str | None:
    """The link if it is http(s) without credentials, encoded so no dialect reads markup in it."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(parts.netloc):
        return None
    tail = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    url = f"{parts.scheme.lower()}://{parts.netloc}{quote(tail, safe=_URL_SAFE)}"
    return url if len(url) <= URL_MAX else None


def _fit(raw: str, budget: int, d: _Dialect) -> _Part:
    """Untrusted text cleaned and escaped, cut with an ellipsis to at most `budget`."""
    text = _clean(raw)
    whole = d.text(text)
    if whole.width <= budget:
        return whole
    n = _longest(0, min(len(text), budget), lambda n: d.text(text[:n]).width < budget)
    return d.text(text[: cut(text, n)].rstrip()) + _lit("…")


def _quote(quote: Quote, d: _Dialect, budget: int) -> _Part:
    text, spans = _flatten(quote)
    if d.word_highlights:
        spans = _merge([_word(text, start, end) for start, end in spans])
    room = budget - d.quote_width - 2
    if not text or room <= 2:
        return _Part()
    start = _window(text, spans, d, room)
    excerpt = _excerpt(text, spans, start, len(text), d)
    if excerpt.width > room:
        hi = min(len(text) - 1, start + room)
        end = _longest(start, hi, lambda e: _excerpt(text, spans, start, e, d).width <= room)
        end = cut(text, end, start)
        if end <= start:
            return _Part()
        excerpt = _excerpt(text, spans, start, end, d)
    return d.quoted(_isolate(excerpt))


def _window(text: str, spans: list[tuple[int, int]], d: _Dialect, room: int) -> int:
    """Where the excerpt starts: at the beginning, unless that would leave the first match out."""
    if not spans or d.text(text[: spans[0][1]]).width <= room * 2 // 3:
        return 0
    first = spans[0][0]
    lead = room // 3
    back = _longest(0, min(first, lead), lambda k: d.text(text[first - k : first]).width <= lead)
    start = first - back
    space = text.find(" ", start, min(first, start + 24))
    if space != -1:
        return space + 1
    while not breakable(text, start):
        start -= 1
    return start


def _excerpt(text: str, spans: list[tuple[int, int]], start: int, end: int, d: _Dialect) -> _Part:
    out = _lit("…") if start > 0 else _Part()
    pos = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s < e:
            out = out + d.text(text[pos:s]) + d.strong(d.text(text[s:e]))
            pos = e
    out = out + d.text(text[pos:end])
    return out + _lit("…") if end < len(text) else out


def _flatten(quote: Quote) -> tuple[str, list[tuple[int, int]]]:
    """The quote's text cleaned, with its highlights as spans of the cleaned text."""
    text, where = _clean_mapped(quote.text)
    spans = [(bisect_left(where, s), bisect_left(where, e)) for s, e in quote.highlights]
    return text, _merge(spans)


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(span for span in spans if span[0] < span[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _word(text: str, start: int, end: int) -> tuple[int, int]:
    # Slack only reads *bold* at word edges, so a match inside a word bolds the whole word.
    while start > 0 and _wordish(text[start - 1]):
        start -= 1
    while end < len(text) and _wordish(text[end]):
        end += 1
    return start, end


def _wordish(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc")


def _clean(text: str) -> str:
    return _clean_mapped(text)[0]


def _clean_mapped(text: str) -> tuple[str, list[int]]:
    """Text without bidi or control characters, its whitespace runs made single spaces,
    and for each character kept, where it was in the original."""
    if _UNCLEAN.search(text) is None:  # most quotes: nothing to do, so no loop in Python
        return text, list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if not out or out[-1] == " ":
                continue
            ch = " "
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        out.append(ch)
        where.append(i)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def _longest(lo: int, hi: int, fits: Callable[[int], bool]) -> int:
    """The largest n in [lo, hi] for which `fits` holds, `fits` being true up to some n."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
