"""What the poll benchmark's feeds are made of: headlines and passages of real articles (or
of a word list when the corpus is absent), and the RSS documents rendered from them."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

ITEMS_PER_FEED = 50
"""Items of every version of a feed but the first."""

SUMMARY_CHARS = 300
"""Length of an item's summary, about."""

BASE_TIME = 1_717_000_000
"""pubDate of the first item of version 0 (June 2024)."""

_FALLBACK_TEXT = (
    "الحكومة العراقية بغداد البرلمان رئيس الوزراء وزير الخارجية مجلس الأمن الأمم المتحدة "
    "المفاوضات الاتفاق الولايات المتحدة القوات الأمريكية التحالف الدولي إيران تركيا سوريا "
    "الانتخابات المحافظة البصرة أربيل الموصل النفط الاقتصاد الموازنة الدولار الأسعار "
    "الكهرباء المياه الجفاف الزراعة الصحة التعليم الجامعة المواطنين الاحتجاجات المتظاهرين "
    "الشرطة الجيش الحشد الشعبي هجوم صاروخ طائرة مسيرة قاعدة عين الأسد بيان مصدر مسؤول "
    "أعلن أكد قال أفاد مقتل إصابة اعتقال مشروع قانون جلسة تصويت قرار زيارة لقاء اجتماع "
    "الأسبوع المقبل اليوم أمس مساء صباح خلال بعد قبل وفق حسب في من على إلى عن مع"
)
"""Words of the generated texts, when there is no corpus."""


@dataclass(frozen=True)
class Texts:
    """What feed items are made of: headlines and ~300-character passages."""

    titles: list[str]
    passages: list[str]
    source: str


def load_texts(path: Path, seed: int) -> Texts:
    """Headlines and passages of the corpus; generated ones when it is missing."""
    titles: list[str] = []
    passages: list[str] = []
    if path.is_file():
        with path.open(encoding="utf-8") as lines:
            for article in (json.loads(line) for line in lines if line.strip()):
                title = " ".join(str(article.get("title", "")).split())
                titles += [title] if title else []
                passages += _passages(str(article.get("content", "")))
    if titles and passages:
        return Texts(titles, passages, f"{path} ({len(titles):,} headlines)")
    return _generated(random.Random(seed))


def _passages(text: str, size: int = SUMMARY_CHARS, limit: int = 4) -> list[str]:
    """Up to `limit` runs of whole words of about `size` characters."""
    found: list[str] = []
    run: list[str] = []
    length = 0
    for word in text.split():
        run.append(word)
        length += len(word) + 1
        if length >= size:
            found.append(" ".join(run))
            run, length = [], 0
            if len(found) >= limit:
                break
    return found


def _generated(rng: random.Random) -> Texts:
    vocabulary = _FALLBACK_TEXT.split()

    def sentence(chars: int) -> str:
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < chars:
            words.append(rng.choice(vocabulary))
        return " ".join(words)

    return Texts(
        [sentence(60) for _ in range(500)],
        [sentence(SUMMARY_CHARS) for _ in range(1500)],
        "generated from a word list (no corpus)",
    )


def feed_path(number: int) -> str:
    return f"/feed/{number}.xml"


def item_guid(run: str, number: int, version: int, index: int) -> str:
    """Unique to the run too: RQ names a job after its items, and RQ's keys may be shared."""
    return f"bench-{run}-{number}-v{version}-{index}"


@dataclass(frozen=True)
class Rendering:
    """How every feed of a run is rendered."""

    run: str
    first: int
    """Items of version 0, served to the warm-up round."""
    html: bool
    """Summaries as an HTML fragment in CDATA (the parser hands those to BeautifulSoup)."""


def render_feed(number: int, version: int, texts: Texts, how: Rendering) -> bytes:
    """Feed `number` as it reads at `version`: 50 items, newest first (`first` at version 0)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0"><channel>'
        f"<title>موقع إخباري {number}</title>"
        f"<link>https://news{number}.example/</link>"
        f"<description>آخر الأخبار من الموقع {number}</description>"
        "<language>ar</language>"
        f"<lastBuildDate>{formatdate(BASE_TIME + version * 3600, usegmt=True)}</lastBuildDate>"
    ]
    count = how.first if version == 0 else ITEMS_PER_FEED
    parts += [_item(number, version, index, texts, how) for index in range(count)]
    parts.append("</channel></rss>\n")
    return "".join(parts).encode("utf-8")


def _item(number: int, version: int, index: int, texts: Texts, how: Rendering) -> str:
    # A headline repeated across items would read as a repeat to the seen-set: the item's
    # number makes every title new.
    serial = (number * 7919 + version * 104_729 + index * 131) & 0x7FFFFFFF
    title = f"{texts.titles[serial % len(texts.titles)]} ({number}-{version}-{index})"
    passage = texts.passages[(serial * 31 + index) % len(texts.passages)]
    link = f"https://news{number}.example/{version}/{index}/article.html"
    if how.html:
        image = f"https://news{number}.example/img/{version}-{index}.jpg"
        text = passage.replace("]]>", "]] >")
        summary = f'<![CDATA[<p><img src="{image}" alt="" /></p><p>{text}</p>]]>'
    else:
        summary = escape(passage)
    when = formatdate(BASE_TIME + version * 3600 - index * 300, usegmt=True)
    guid = item_guid(how.run, number, version, index)
    return (
        f"<item><title>{escape(title)}</title><link>{link}</link>"
        f'<guid isPermaLink="false">{guid}</guid><pubDate>{when}</pubDate>'
        f"<category>أخبار</category><description>{summary}</description></item>"
    )
