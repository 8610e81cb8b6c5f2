"""Rendering for Slack, Telegram, Discord and plain text, checked on what apprise sends.

apprise's HTTP layer is replaced in these tests: every request is recorded and answered
200 here, so nothing leaves the machine, and a guard refuses any other connection.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from monitor import template
from monitor.notification import Notification, Quote, Source
from monitor.rules.model import Severity
from monitor.sender import kind_of, send
from monitor.template import Rendered, render

SLACK = "slack://T1ABC/B2DEF/C3ghijkl"
SLACK_BLOCKS = SLACK + "/?blocks=yes"
TELEGRAM = "tgram://123456789:AAbbCCddEE/12345"
DISCORD = "discord://1234567/abcdefTOKEN"
DISCORD_EMBEDS = DISCORD + "/?format=markdown"
FSI, PDI = "\u2068", "\u2069"
OUR_LINK = "https://news.example/"

INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "@everyone",
    "@here",
    "<@U123>",
    "<@&456>",
    "<#C123>",
    "<https://evil.example|click>",
    "[x](https://evil.example)",
    "**bold**",
    "<b>html</b>",
    "`code`",
    "~strike~",
    "_it_",
    "||spoiler||",
    "&lt;!channel&gt;",
    "\\<!here\\>",
    '<a href="https://evil.example">x</a>',
]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[requests.PreparedRequest]:
    """Every request apprise makes, recorded and answered 200 "ok" without leaving the process."""
    sent: list[requests.PreparedRequest] = []

    def fake_send(adapter: HTTPAdapter, request: requests.PreparedRequest, **_: Any) -> Any:
        sent.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = b"ok"
        response.request = request
        response.url = request.url or ""
        return response

    monkeypatch.setattr(HTTPAdapter, "send", fake_send)
    return sent


def note(
    *,
    headline: str = "US forces leave Mosul",
    quote: str = "Officials said the forces left Mosul on Tuesday.",
    term: str = "Mosul",
    source: str = "News Agency",
    title: str = "Forces leave",
    rule_title: str = "US forces in Iraq",
    update: int = 0,
    sources: list[Source] | None = None,
) -> Notification:
    at = quote.find(term) if term else -1
    return Notification(
        rule="us-forces",
        rule_title=rule_title,
        severity=Severity.HIGH,
        story="story-1",
        update=update,
        headline=headline,
        quote=Quote(text=quote, highlights=[(at, at + len(term))] if at >= 0 else []),
        sources=sources
        if sources is not None
        else [Source(item="i1", source=source, title=title, link=OUR_LINK + "a/1")],
    )


def sent_payload(url: str, notification: Notification, wire: list[Any]) -> dict[str, Any]:
    """The decoded JSON body apprise sent for `notification` rendered for `url`."""
    outcome = send(url, render(notification, kind_of(url)), 5.0)
    assert outcome.ok, outcome.detail
    assert wire, "apprise sent nothing"
    body = wire[-1].body
    payload: dict[str, Any] = json.loads(body.decode() if isinstance(body, bytes) else body)
    return payload


def slack_text(payload: dict[str, Any]) -> str:
    attachment = payload["attachments"][0]
    if "blocks" in attachment:
        sections = [b for b in attachment["blocks"] if b["type"] == "section"]
        return str(sections[0]["text"]["text"])
    return str(attachment["text"])


def slack_title(payload: dict[str, Any]) -> str:
    attachment = payload["attachments"][0]
    if "blocks" in attachment:
        return str(attachment["blocks"][0]["text"]["text"])
    return str(attachment["title"])


def discord_text(payload: dict[str, Any]) -> str:
    if "embeds" in payload:
        embed = payload["embeds"][0]
        return f"{embed['title']}\r\n{embed['description']}"
    return str(payload["content"])


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TelegramHTML(HTMLParser):
    """The tags, links and visible text of a Telegram HTML message."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text = ""
        self.depth = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.depth += 1
        self.hrefs += [value or "" for name, value in attrs if name == "href"]

    def handle_endtag(self, tag: str) -> None:
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        self.text += data


def unescaped(markdown: str, specials: str) -> list[str]:
    """Markdown characters in `specials` that no backslash escapes."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\":
            i += 2
            continue
        if markdown[i] in specials:
            found.append(markdown[i])
        i += 1
    return found


# --- injection: no live mention, markup or link from feed text, on each service's wire ---


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("url", [SLACK, SLACK_BLOCKS])
def test_slack_feed_text_is_inert(payload: str, url: str, wire: list[Any]) -> None:
    sent = sent_payload(url, injected(payload), wire)
    text = slack_text(sent)
    assert all(link.startswith(OUR_LINK) for link in re.findall(r"<([^>]*)>", text))
    assert re.findall(r"&(?!amp;|lt;|gt;)", text) == []
    assert re.search(r"@(?!\u200b)", text) is None
    ours = text.replace(f"*{FSI}", "").replace(f"{PDI}*", "").replace("*Mosul*", "Mosul")
    ours = re.sub(r"<https://news\.example/[^|>]*\|[^>]*>", "", ours)
    assert not set(ours) & set("*_~`"), ours
    assert "<" not in slack_title(sent)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_telegram_feed_text_is_inert(payload: str, wire: list[Any]) -> None:
    sent = sent_payload(TELEGRAM, injected(payload), wire)
    assert sent["parse_mode"] == "HTML"
    html = TelegramHTML(sent["text"])
    assert set(html.tags) <= {"b", "a", "blockquote"}
    assert html.depth == 0
    assert html.hrefs == [OUR_LINK + "a/1"]
    assert payload.replace("@", "@\u200b") in html.text
    assert re.search(r"@(?!\u200b)", html.text) is None


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("url", [DISCORD, DISCORD_EMBEDS])
def test_discord_feed_text_is_inert(payload: str, url: str, wire: list[Any]) -> None:
    sent = sent_payload(url, injected(payload), wire)
    assert "allow_mentions" not in sent and "allowed_mentions" not in sent
    text = discord_text(sent)
    assert re.search(r"@(?!\u200b)", text) is None
    links = re.findall(r"\[\u2068[^\u2069]*\u2069\]\(([^)]*)\)", text)
    assert links == [OUR_LINK + "a/1"]
    ours = re.sub(r"\[\u2068[^\u2069]*\u2069\]\([^)]*\)", "", text)
    ours = ours.replace(f"**{FSI}", "").replace(f"{PDI}**", "").replace("**Mosul**", "Mosul")
    ours = ours.replace(f"\n> {FSI}", "\n")
    assert unescaped(ours, "*_~`|<>[]()") == [], ours


def injected(payload: str) -> Notification:
    """A notification with `payload` in every piece of feed text."""
    return note(
        headline=f"Mosul {payload} headline",
        quote=f"They said {payload} in Mosul, then {payload} again.",
        source=f"Agency {payload}",
        title=f"Item {payload}",
        rule_title=f"Rule {payload}",
    )


# --- limits: a 100 KB summary renders within every service's limit ---


def huge(unit: str, term: str = "Mosul", at: float = 0.6) -> Notification:
    body = unit * (100_000 // len(unit))
    cut = int(len(body) * at)
    sources = [
        Source(item=f"i{n}", source=f"Agency {n}", title=unit * 20, link=f"{OUR_LINK}a/{n}")
        for n in range(40)
    ]
    return note(
        headline=unit * 500,
        quote=f"{body[:cut]} {term} {body[cut:]}",
        term=term,
        rule_title=unit * 50,
        sources=sources,
        update=3,
    )


UNITS = [
    "Breaking: forces leave the base near Ain al-Asad. ",
    "قالت مصادر إن القوات الأمريكية غادرت قاعدة عين الأسد. ",
    "&<>@*_[](): ",
    "\u202e\u2066x\u200f ",
]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("url", [SLACK, SLACK_BLOCKS])
def test_slack_huge_summary_fits(unit: str, url: str, wire: list[Any]) -> None:
    sent = sent_payload(url, huge(unit), wire)
    text = slack_text(sent)
    assert u16(text) <= template.SLACK_BODY_MAX
    assert u16(slack_title(sent)) <= template.SLACK_TITLE_MAX
    assert "*Mosul*" in text
    assert re.findall(r"&(?!amp;|lt;|gt;)", text) == []
    assert text.endswith("more")


@pytest.mark.parametrize("unit", UNITS)
def test_telegram_huge_summary_fits(unit: str, wire: list[Any]) -> None:
    sent = sent_payload(TELEGRAM, huge(unit), wire)
    assert u16(sent["text"]) <= template.TELEGRAM_MAX
    html = TelegramHTML(sent["text"])
    assert html.depth == 0
    assert "<b>Mosul</b>" in sent["text"]
    assert sent["text"].endswith("more")


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("url", [DISCORD, DISCORD_EMBEDS])
def test_discord_huge_summary_fits(unit: str, url: str, wire: list[Any]) -> None:
    text = discord_text(sent_payload(url, huge(unit), wire))
    assert u16(text) <= template.DISCORD_MAX
    assert "**Mosul**" in text
    assert text.endswith("more")


@pytest.mark.parametrize("unit", UNITS)
def test_text_huge_summary_fits(unit: str) -> None:
    rendered = render(huge(unit), "text")
    assert u16(rendered.body) <= template.TEXT_BODY_MAX
    assert u16(rendered.title) <= template.TITLE_MAX
    assert "*Mosul*" in rendered.body


# --- cuts fall between what a reader sees as characters ---

GRAPHEMES = [
    ["🇮🇶", "e\u0301", "👨\u200d👩\u200d👧", "👍🏽", "❤\ufe0f"],
    ["بِ", "سْ", "مِ", "ا", "ل", "لّٰ", "هِ"],
]


@pytest.mark.parametrize("clusters", GRAPHEMES)
@pytest.mark.parametrize("kind", ["slack", "telegram", "discord", "text"])
def test_cuts_keep_whole_graphemes(clusters: list[str], kind: str) -> None:
    unit = "".join(clusters)
    rendered = render(note(headline=unit * 300, quote=unit * 5000, term=""), kind)
    excerpts = re.findall(f"{FSI}([^{PDI}]*){PDI}", rendered.body)
    cut = [e for e in excerpts if e.endswith("…")]
    assert len(cut) == 2, "the headline and the quote are both cut"
    prefixes = {"".join(clusters[:n]) for n in range(len(clusters) + 1)}
    for excerpt in cut:
        assert excerpt[:-1].replace(unit, "") in prefixes


@pytest.mark.parametrize("kind", ["slack", "telegram", "discord"])
def test_cut_is_never_inside_an_entity_or_an_escape(kind: str) -> None:
    body = render(note(headline="&<>*\\" * 500, quote="&<>*\\" * 30_000, term=""), kind).body
    assert body.count("…") == 2
    if kind == "telegram":
        assert re.findall(r"&(?!amp;|lt;|gt;)", body) == []
        return
    assert re.search(r"(?<!\\)(\\\\)*\\…", body) is None, "no escape is split"


# --- bidi: each piece of feed text is isolated; the feed's own controls are gone ---


@pytest.mark.parametrize("url", [SLACK, TELEGRAM, DISCORD])
def test_mixed_arabic_and_english_is_isolated(url: str, wire: list[Any]) -> None:
    notification = note(
        headline="\u202eالموصل: US forces leave\u202c",
        quote="قال مسؤول \u2067إن\u2069 US forces غادرت Mosul \u200fاليوم\u200e.",
        source="BBC \u2066عربي\u2069",
        title="\u061cعنوان English",
    )
    sent = sent_payload(url, notification, wire)
    text = json.dumps(sent, ensure_ascii=False)
    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u200e\u200f\u061c":
        assert control not in text
    shown = {SLACK: slack_text, TELEGRAM: lambda p: p["text"], DISCORD: discord_text}[url](sent)
    assert f"{FSI}الموصل" in shown
    assert "BBC عربي" in shown
    assert shown.count(FSI) == shown.count(PDI) > 0
    assert re.search(f"{FSI}[^{PDI}]*{FSI}", shown) is None, "isolates never nest"


# --- content ---


def test_body_holds_headline_quote_rule_severity_and_sources() -> None:
    rendered = render(note(update=2, sources=four_sources()), "text")
    assert rendered == Rendered(
        title=f"HIGH · {FSI}US forces in Iraq{PDI}",
        body="\n".join(
            [
                f"*{FSI}US forces leave Mosul{PDI}*",
                f"> {FSI}Officials said the forces left *Mosul* on Tuesday.{PDI}",
                f"Rule: {FSI}US forces in Iraq{PDI} · severity HIGH",
                "Update 2: now reported by 4 sources",
                "Sources:",
                *(f"• {FSI}{n}{PDI} <{OUR_LINK}{n}>: {FSI}t{PDI}" for n in "ABCD"),
            ]
        ),
        body_format="text",
    )


def test_a_story_of_several_rules_names_the_others() -> None:
    plain = note().model_copy(update={"rules": ["us-forces", "coalition-withdrawal"]})
    body = render(plain, "text").body
    assert "Rule: \u2068US forces in Iraq\u2069 · severity HIGH · also coalition-withdrawal" in body


def four_sources() -> list[Source]:
    return [Source(item=n, source=n, title="t", link=OUR_LINK + n) for n in "ABCD"]


@pytest.mark.parametrize(
    ("update", "sources", "line"),
    [
        (0, 4, None),
        (1, 1, "Update 1: now reported by 1 source"),
        (2, 4, "Update 2: now reported by 4 sources"),
    ],
)
def test_update_line(update: int, sources: int, line: str | None) -> None:
    body = render(note(update=update, sources=four_sources()[:sources]), "text").body
    assert [x for x in body.splitlines() if x.startswith("Update")] == ([line] if line else [])


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ("https://news.example/a?b=1&c=2", "https://news.example/a?b=1&c=2"),
        ("HTTP://news.example/a", "http://news.example/a"),
        ("https://news.example/a)|>\"'<b>", "https://news.example/a%29%7C%3E%22%27%3Cb%3E"),
        ("https://news.example/@user (x)", "https://news.example/%40user%20%28x%29"),
        ("https://news.example/خبر", "https://news.example/%D8%AE%D8%A8%D8%B1"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("ftp://news.example/a", None),
        ("https://news.example@evil.example/", None),
        ("https://user:pw@news.example/", None),
        ("https:///path", None),
        ("", None),
        ("https://news.example/" + "a" * 2000, None),
    ],
)
def test_only_http_item_links_are_links(link: str, shown: str | None) -> None:
    source = Source(item="i", source="Agency", title="t", link=link)
    body = render(note(sources=[source]), "telegram").body
    hrefs = TelegramHTML(body).hrefs
    assert hrefs == ([shown] if shown else [])


def test_slack_link_survives_apprise(wire: list[Any]) -> None:
    source = Source(item="i", source="Agency", title="t", link="https://news.example/a?b=1&c=2|x")
    text = slack_text(sent_payload(SLACK, note(sources=[source]), wire))
    assert f"<https://news.example/a?b=1&amp;c=2%7Cx|{FSI}Agency{PDI}>" in text


def test_far_match_is_shown_with_what_precedes_it() -> None:
    notification = note(quote="word " * 20_000 + "Mosul and the rest " * 100)
    body = render(notification, "discord").body
    quote = next(line for line in body.splitlines() if line.startswith(">"))
    assert quote.startswith(f"> {FSI}…word")
    assert "**Mosul**" in quote


@pytest.mark.parametrize(
    "highlights",
    [[(-5, 3)], [(40, 10)], [(0, 10_000)], [(3, 8), (5, 12), (11, 14)], [(1000, 2000)]],
)
def test_odd_highlights_do_not_break_rendering(highlights: list[tuple[int, int]]) -> None:
    notification = note().model_copy(
        update={"quote": Quote(text="Officials said Mosul.", highlights=highlights)}
    )
    for kind in template.KINDS:
        body = render(notification, kind).body
        assert "Off" in body and "said" in body


def test_slack_bolds_whole_words() -> None:
    text = "والموصل كانت"
    body = render(note(quote=text, term="الموصل"), "slack").body
    assert "**والموصل**" in body


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown channel kind 'sms'"):
        render(note(), "sms")


@pytest.fixture(params=template.KINDS)
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    yield str(request.param)


def test_empty_feed_text_still_renders(kind: str) -> None:
    rendered = render(
        note(headline="", quote="", term="", source="", title="", rule_title=""), kind
    )
    assert rendered.title == "HIGH"
    assert "Rule:" in rendered.body


def _slow_clean(text: str) -> tuple[str, list[int]]:
    unclean = template._UNCLEAN
    template._UNCLEAN = re.compile("(?=)")  # matches everywhere: always the full walk
    try:
        return template._clean_mapped(text)
    finally:
        template._UNCLEAN = unclean


def test_text_is_left_alone_exactly_when_the_full_cleaning_would_change_nothing() -> None:
    for code in range(0x10000):
        text = f"a{chr(code)}b"
        changed = _slow_clean(text)[0] != text
        assert (template._UNCLEAN.search(text) is not None) == changed, hex(code)
    rng = random.Random(7)
    alphabet = "ab عرب \t\n\u00a0\u200f\u2066\x00\x85  "
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert template._clean_mapped(text) == _slow_clean(text), repr(text)
