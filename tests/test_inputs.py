from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.errors import InputError
from monitor.inputs import read_items, read_path
from monitor.text.html_text import html_to_text
from tests.conftest import SEEDS


def test_seed_text_headline_and_body() -> None:
    (item,) = read_path(SEEDS[0])
    assert item.id == SEEDS[0].stem
    assert item.title.startswith("رئيس الوزراء العراقي يرعى الجولة الأولى")
    assert item.content.startswith("انطلقت الجولة الأولى")


def test_jsonl_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a"}\n\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"items.jsonl:3: expected a JSON object"):
        list(read_path(path))


def test_jsonl_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a", "published": "not a date"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"items.jsonl:1: published:"):
        list(read_path(path))


def test_jsonl_markup_is_read_as_a_feed_s_would_be(tmp_path: Path) -> None:
    """A dump of an aggregator's items: entities decoded, a list of headlines a line each,
    so that the first is the lead; plain text untouched."""
    cluster = (
        '<ol><li><a href="https://news.example/1">US jets strike Jurf al-Sakhar</a>&nbsp;'
        '<font color="#6f6f6f">Wire</font></li><li><a href="https://news.example/2">'
        "Drone downed near Al-Asad</a></li></ol>"
    )
    lines = [
        {"id": "a", "title": "Talks &amp; drawdown &quot;on track&quot;", "summary": cluster},
        {"id": "b", "title": "Plain <3 title?", "content": "No markup here."},
    ]
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    first, second = read_path(path)
    assert first.title == 'Talks & drawdown "on track"'
    assert first.summary.splitlines() == [
        "US jets strike Jurf al-Sakhar Wire",
        "Drone downed near Al-Asad",
    ]
    assert (second.title, second.content) == ("Plain <3 title?", "No markup here.")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        list(read_items([str(tmp_path / "nope.txt")]))


def test_feed_items_are_clean_text_with_safe_links(tmp_path: Path) -> None:
    path = tmp_path / "feed.atom"
    path.write_text(
        """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><id>f</id><updated>2024-01-27T10:00:00Z</updated>
<entry><id>e1</id><title type="html">&lt;b&gt;عاجل&lt;/b&gt;: قصف</title>
<link href="javascript:alert(1)"/><updated>2024-01-27T10:00:00Z</updated>
<summary type="html">&lt;p&gt;فقرة&lt;/p&gt;&lt;script&gt;bad()&lt;/script&gt;
&lt;p&gt;ثانية \u202eمقلوبة&lt;/p&gt;</summary>
</entry></feed>""",
        encoding="utf-8",
    )
    (item,) = read_path(path)
    assert item.id == "e1"
    assert item.title == "عاجل: قصف"
    assert item.link == ""
    assert item.summary == "فقرة\nثانية مقلوبة"
    assert item.published is not None and item.published.isoformat() == "2024-01-27T10:00:00+00:00"


def test_html_that_is_not_a_feed(tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="page: not a feed"):
        list(read_path(path))


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>أ</p><p>ب</p>", "أ\nب"),
        ("a &amp; b", "a & b"),
        ("x<br>y", "x\ny"),
        ("<style>p{}</style>نص", "نص"),
        ("plain\x00text", "plaintext"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


BAD_LINES = [
    (b'{"id": "a", "title": "first"}', None),
    (b"{not json}", "invalid JSON: Expecting property name enclosed in double quotes"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"id": "c", "title": 5}', "title: 5 is not text"),
    (b'{"id": "d", "published": "soon"}', "published: 'soon' is not a date and time"),
    (b'{"id": "e", "title": "caf\xe9"}', "not UTF-8 text"),
    (b'{"title": "last"}', None),
]


def test_with_a_problem_list_every_bad_line_is_told_and_every_good_one_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in BAD_LINES) + b"\n")
    problems: list[str] = []
    items = list(read_items([str(path)], problems))
    assert [item.id for item in items] == ["a", "items:7"]
    expected = [(n, why) for n, (_, why) in enumerate(BAD_LINES, start=1) if why]
    assert len(problems) == len(expected)
    for problem, (number, why) in zip(problems, expected, strict=True):
        assert problem.startswith(f"{path}:{number}: {why}")


def test_with_a_problem_list_an_unreadable_file_is_told_and_the_next_read(
    tmp_path: Path,
) -> None:
    problems: list[str] = []
    items = list(read_items([str(tmp_path / "nope.jsonl"), str(tmp_path), str(SEEDS[0])], problems))
    assert [item.id for item in items] == [SEEDS[0].stem]
    assert problems[0].startswith(f"{tmp_path / 'nope.jsonl'}: cannot read")
    assert problems[1] == f"{tmp_path}: is a directory; name the files"


def test_without_a_problem_list_the_first_bad_line_raises(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b", "title": 5}\n{"id": "c"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"items.jsonl:2: title: 5 is not text"):
        list(read_items([str(path)]))
