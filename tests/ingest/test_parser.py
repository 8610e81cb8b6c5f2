from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path

import pytest

from monitor.errors import InputError
from monitor.ingest.parser import canonical_link, parse_feed, parse_feed_report
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus" / "feedparser"
CORPUS_FILES = sorted(CORPUS.rglob("*.xml")) if CORPUS.is_dir() else []
PROBLEM_KINDS = ("encoding: ", "content-type: ", "markup: ", "item: ")
UNSAFE = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)

# Where feedparser's own verdict differs from ours on purpose.
NOT_BOZO_FOR_US = {
    # RFC 7303 dropped RFC 3023's us-ascii default for text/xml without a charset.
    "bozo_http_i18n.xml",
}
REFUSED_FOR_US = {
    # Declares an entity: every entity declaration is refused (billion laughs, XXE).
    "entity_in_doctype.xml",
}

AR_TITLE = "رئيس الوزراء العراقي يعلن حظر التجوال في بغداد بعد الاحتجاجات"
AR_SUMMARY = "«قال المتحدث باسم الحكومة»، إن القرار مؤقت؟"


def rss(items: str, prolog: str = "", title: str = "قناة") -> str:
    return f'{prolog}<rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


def arabic_feed(encoding: str = "") -> str:
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    summary = f"<description>{AR_SUMMARY}</description>"
    return rss(f"<item><guid>a1</guid><title>{AR_TITLE}</title>{summary}</item>", prolog)


def served_with(data: bytes) -> tuple[str, str]:
    """The Content-Type a corpus file is served with, and what feedparser expects of it."""
    text = data.replace(b"\x00", b"").decode("latin-1")
    header = re.search(r"^\s*Header:\s*Content-type:\s*(.*?)\s*$", text, re.MULTILINE | re.I)
    expect = re.search(r"^\s*Expect:\s*(.*?)\s*$", text, re.MULTILINE)
    return (header.group(1) if header else ""), (expect.group(1) if expect else "")


@pytest.mark.skipif(not CORPUS_FILES, reason=f"feedparser corpus not found at {CORPUS}")
@pytest.mark.parametrize(
    "path", CORPUS_FILES, ids=[str(p.relative_to(CORPUS)) for p in CORPUS_FILES]
)
def test_corpus_file(path: Path) -> None:
    data = path.read_bytes()
    content_type, expect = served_with(data)
    try:
        report = parse_feed_report(data, path.stem, content_type=content_type)
    except InputError as exc:
        assert str(exc).startswith(f"feed {path.stem}: not a feed (")
        assert not expect.startswith("not bozo") or path.name in REFUSED_FOR_US
        return
    ids = [item.id for item in report.items]
    assert len(ids) == len(set(ids)), "an item was read twice"
    assert all(problem.startswith(PROBLEM_KINDS) for problem in report.problems)
    assert not any(UNSAFE.match(item.link) for item in report.items)
    if re.match(r"bozo\b", expect) and path.name not in NOT_BOZO_FOR_US:
        assert report.problems, "a broken feed was read without a problem reported"


ARABIC_CASES = [
    # (name, body, content type, problem expected)
    ("cp1256 declared in the prolog", arabic_feed("windows-1256").encode("cp1256"), "", ""),
    (
        "cp1256 declared by the header alone",
        arabic_feed().encode("cp1256"),
        "application/rss+xml; charset=windows-1256",
        "",
    ),
    (
        "cp1256 prolog, header says latin-1",
        arabic_feed("windows-1256").encode("cp1256"),
        "text/xml; charset=ISO-8859-1",
        "encoding: header said ISO-8859-1, content is windows-1256",
    ),
    (
        "cp1256 prolog, header says utf-8",
        arabic_feed("windows-1256").encode("cp1256"),
        "text/xml; charset=utf-8",
        "encoding: header said utf-8, content is windows-1256",
    ),
    (
        "cp1256, header says windows-1252",
        arabic_feed().encode("cp1256"),
        "application/xml; charset=windows-1252",
        "encoding: header said windows-1252, content is windows-1256",
    ),
    (
        "cp1256, prolog says latin-1",
        arabic_feed("iso-8859-1").encode("cp1256"),
        "",
        "encoding: prolog said iso-8859-1, content is windows-1256",
    ),
    (
        "cp1256 undeclared",
        arabic_feed().encode("cp1256"),
        "",
        "encoding: none declared, content is windows-1256",
    ),
    (
        "utf-8, header says windows-1256",
        arabic_feed("utf-8").encode("utf-8"),
        'text/xml; charset="windows-1256"',
        "encoding: header said windows-1256, content is utf-8",
    ),
    (
        "utf-8, header says latin-1",
        arabic_feed().encode("utf-8"),
        "text/xml; charset=iso-8859-1",
        "encoding: header said iso-8859-1, content is utf-8",
    ),
    ("utf-8 undeclared", arabic_feed().encode("utf-8"), "", ""),
    ("utf-16 with BOM", arabic_feed("utf-16").encode("utf-16"), "", ""),
    ("utf-16-le without BOM", arabic_feed("utf-16").encode("utf-16-le"), "", ""),
    (
        "utf-16-be, header says utf-8",
        arabic_feed("utf-16").encode("utf-16-be"),
        "application/xml; charset=utf-8",
        "encoding: header said utf-8, content is utf-16-be",
    ),
    ("utf-8 with BOM", b"\xef\xbb\xbf" + arabic_feed("utf-8").encode("utf-8"), "", ""),
    (
        "utf-8, prolog says utf-16",
        arabic_feed("utf-16").encode("utf-8"),
        "",
        "encoding: prolog said utf-16, content is utf-8",
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [case[1:] for case in ARABIC_CASES],
    ids=[case[0] for case in ARABIC_CASES],
)
def test_arabic_reads_right_or_is_flagged(body: bytes, content_type: str, problem: str) -> None:
    report = parse_feed_report(body, "bbc-arabic", content_type=content_type)
    (item,) = report.items
    assert (item.title, item.summary) == (AR_TITLE, AR_SUMMARY)
    assert report.problems == ([problem] if problem else [])


LATIN_CASES = [
    # (name, text, codec, declared as, problem expected)
    ("German latin-1 declared", "Größe übermäßig Straße", "latin-1", "iso-8859-1", ""),
    ("French cp1252 declared", "élève « café » – été", "cp1252", "windows-1252", ""),
    ("Russian koi8-r declared", "Как пережить новогоднюю ночь", "koi8-r", "koi8-r", ""),
    (
        "German latin-1 undeclared",
        "Größe übermäßig Straße",
        "latin-1",
        "",
        "encoding: none declared, content is not utf-8; read as windows-1252, may be garbled",
    ),
]


@pytest.mark.parametrize(
    ("text", "codec", "declared", "problem"),
    [case[1:] for case in LATIN_CASES],
    ids=[case[0] for case in LATIN_CASES],
)
def test_other_scripts_are_not_taken_for_arabic(
    text: str, codec: str, declared: str, problem: str
) -> None:
    prolog = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    body = rss(f"<item><guid>1</guid><title>{text}</title></item>", prolog, "K").encode(codec)
    report = parse_feed_report(body, "f")
    assert report.items[0].title == text
    assert report.problems == ([problem] if problem else [])


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (
            b"<!DOCTYPE html><html><head><title>BBC</title></head><body>x</body></html>",
            "text/html; charset=utf-8",
            "text/html",
        ),
        (b"<html><head><title>BBC</title></head><body><p>x</p></body></html>", "", "an HTML page"),
        (b"", "application/rss+xml", "empty body"),
        (b" \r\n\t", "", "empty body"),
        (b"\xef\xbb\xbf", "", "empty body"),
        (b'{"items": []}', "application/json", "application/json"),
        (b"<!-- nothing here -->", "text/xml", "no RSS, Atom or RDF element"),
    ],
)
def test_not_a_feed(body: bytes, content_type: str, reason: str) -> None:
    expected = f"feed bbc-arabic: not a feed ({reason})"
    with pytest.raises(InputError, match=re.escape(expected)):
        parse_feed(body, "bbc-arabic", content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        rss(""),
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel><title>t</title></channel></rdf:RDF>',
    ],
    ids=["rss", "atom", "rdf"],
)
def test_well_formed_feed_without_items_is_empty(body: str) -> None:
    report = parse_feed_report(body.encode(), "f", content_type="application/xml")
    assert (report.items, report.problems) == ([], [])


def test_broken_feed_yields_readable_items_and_problems() -> None:
    body = rss("<item><guid>1</guid><title>A & B</title></item><item><guid>2</guid><title>C")
    report = parse_feed_report(body.encode(), "f")
    assert [(item.id, item.title) for item in report.items] == [("1", "A & B")]
    assert report.problems[0].startswith("markup: line 1, column ")
    assert report.problems[1:] == ["item: entry 2 is cut off by the end of the document"]


def test_broken_feed_keeps_a_last_item_that_is_whole() -> None:
    body = rss("<item><guid>1</guid><title>A & B</title></item><item><guid>2</guid></item>")
    report = parse_feed_report(body.encode()[:-10], "f")
    assert [item.id for item in report.items] == ["1", "2"]


def test_feed_served_as_html_is_read_with_a_problem() -> None:
    report = parse_feed_report(arabic_feed().encode(), "f", content_type="text/html")
    assert report.items[0].title == AR_TITLE
    assert report.problems == ["content-type: served as text/html, read as a feed anyway"]


def test_item_read_once_per_id() -> None:
    body = rss("<item><guid>1</guid><title>a</title></item>" * 2)
    report = parse_feed_report(body.encode(), "f")
    assert [item.id for item in report.items] == ["1"]
    assert report.problems == ["item: entry 2 repeats id '1', skipped"]


@pytest.mark.parametrize(
    ("item", "item_id"),
    [
        ("<guid isPermaLink='false'> g-1 </guid><link>http://x.iq/a</link>", "g-1"),
        ("<link>HTTP://X.IQ/a?utm_source=tw&amp;id=3#top</link>", "http://x.iq/a?id=3"),
        ("<title>t</title><description>d</description>", "sha1:"),
    ],
    ids=["guid", "canonical link", "content hash"],
)
def test_item_id(item: str, item_id: str) -> None:
    (first,) = parse_feed(rss(f"<item>{item}</item>").encode(), "f")
    (second,) = parse_feed(rss(f"<item>{item}</item>").encode(), "f")
    assert first.id.startswith(item_id) and first.id == second.id


def test_original_link_kept_and_relative_link_resolved() -> None:
    items = "".join(
        f"<item><guid>{n}</guid><link>{link}</link></item>"
        for n, link in enumerate(["http://x.iq/a?utm_medium=rss", "/news/2?x=1", "b.html"])
    )
    report = parse_feed_report(rss(items).encode(), "f", base_url="https://x.iq/feeds/ar.xml")
    links = [item.link for item in report.items]
    assert links == [
        "http://x.iq/a?utm_medium=rss",
        "https://x.iq/news/2?x=1",
        "https://x.iq/feeds/b.html",
    ]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTPS://Example.COM/a/b?utm_source=x&id=5&fbclid=abc#frag",
            "https://example.com/a/b?id=5",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/x?gclid=1", "http://example.com/x"),
        ("https://example.com:8443/x?UTM_Medium=a&b=2&b=3", "https://example.com:8443/x?b=2&b=3"),
        ("https://user:secret@example.com/x", "https://example.com/x"),
        ("http://[::1]:8080/a#b", "http://[::1]:8080/a"),
        ("  /relative/path?utm_x=1#x ", "/relative/path?utm_x=1"),
        ("http://[bad", "http://[bad"),
        ("", ""),
    ],
)
def test_canonical_link(url: str, canonical: str) -> None:
    assert canonical_link(url) == canonical


def hostile_item(n: int, link: str, title: str = "t", summary: str = "") -> str:
    fields = f"<title>{title}</title><link>{link}</link><description>{summary}</description>"
    return f"<item><guid>{n}</guid>{fields}</item>"


def test_hostile_markup_becomes_clean_text() -> None:
    summary = (
        "&lt;p&gt;نص&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt;&lt;style&gt;p{}&lt;/style&gt;"
        "&lt;iframe src='http://evil'&gt;inside&lt;/iframe&gt;&lt;p onclick='x()'&gt;ثان&lt;/p&gt;"
    )
    items = [
        hostile_item(1, "javascript:alert(1)", "\u202eعاجل\u2066 قصف\x07", summary),
        hostile_item(2, "java&#x09;script:alert(1)"),
        hostile_item(3, "data:text/html;base64,PHNjcmlwdD4="),
        hostile_item(4, " VBScript:msgbox(1)"),
        hostile_item(5, "https://x.iq/\u202egpj.exe"),
    ]
    report = parse_feed_report(rss("".join(items)).encode(), "f")
    first = report.items[0]
    assert (first.title, first.summary) == ("عاجل قصف", "نص\nثان")
    assert [item.link for item in report.items] == ["", "", "", "", "https://x.iq/gpj.exe"]


def test_ten_thousand_nested_tags_parse_quickly() -> None:
    deep_escaped = "&lt;div&gt;" * 10_000 + "x" + "&lt;/div&gt;" * 10_000
    deep_raw = "<div>" * 10_000 + "y"
    body = rss(hostile_item(1, "", "a", deep_escaped) + f"<item><guid>2</guid><title>{deep_raw}")
    started = time.process_time()
    report = parse_feed_report(body.encode(), "f")
    # CPU time, which a busy machine does not stretch; about 0.7 s here, and linear in the
    # depth: the bound is for a quadratic or worse parse, not a slower machine.
    assert time.process_time() - started < 10.0
    assert report.items[0].summary == "x"


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE rss [<!ENTITY a "lol">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + "]>",
        '<!DOCTYPE rss [<!ENTITY q "' + "x" * 100_000 + '">]>',
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!-- <a> --><!DOCTYPE rss [<!entity xxe SYSTEM "file:///etc/passwd">]>',
    ],
    ids=["billion laughs", "quadratic blowup", "external entity", "behind a comment"],
)
def test_entity_declarations_are_refused(prolog: str) -> None:
    body = rss(hostile_item(1, "", "&j; &q; &xxe;"), '<?xml version="1.0"?>' + prolog).encode()
    tracemalloc.start()
    started = time.process_time()  # CPU time: refused before any expansion, in well under 1 ms
    try:
        with pytest.raises(InputError, match=r"feed f: not a feed \(entity declarations refused\)"):
            parse_feed_report(body, "f")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.process_time() - started < 1.0
    assert peak < 20 * len(body) + 5_000_000


def test_body_naming_a_local_file_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text(rss("<item><guid>secret</guid></item>"), encoding="utf-8")
    with pytest.raises(InputError, match="not a feed"):
        parse_feed(str(secret).encode(), "f")
