from __future__ import annotations

import itertools
import json
import re

import pytest

from monitor.text import sentences as sentences_module
from monitor.text.sentences import sentence_ends
from tests.conftest import ALJAZEERA, SEEDS

PLAIN_END = re.compile(r"[.!?\u061f\u06d4\u2026]+[\"'\u00bb\u201d\u2019)\]]*(?=\s|$)|\n")
"""Sentence ends as first written: terminal marks and closers before a space, or a newline."""


def sentences(text: str) -> list[str]:
    starts = [0, *sentence_ends(text)]
    return [text[a:b].strip() for a, b in itertools.pairwise(starts)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. military said it struck two sites. Iraq condemned it.",
            ["The U.S. military said it struck two sites.", "Iraq condemned it."],
        ),
        (
            "Gen. Austin met Sudani on Jan. 5 in Baghdad. He said so.",
            ["Gen. Austin met Sudani on Jan. 5 in Baghdad.", "He said so."],
        ),
        ("Prices rose 3.5 percent. Then fell", ["Prices rose 3.5 percent.", "Then fell"]),
        (
            "قال المتحدث، في بيان، إن القاعدة تعرضت لهجوم. وأضاف أن الدفاعات تصدت له؟ نعم",
            ["قال المتحدث، في بيان، إن القاعدة تعرضت لهجوم.", "وأضاف أن الدفاعات تصدت له؟", "نعم"],
        ),
        ("سطر أول\nسطر ثان", ["سطر أول", "سطر ثان"]),
        ('He said: "We hit them." Then left.', ['He said: "We hit them."', "Then left."]),
        ("", []),
    ],
)
def test_sentences_end_where_a_reader_ends_them(text: str, expected: list[str]) -> None:
    assert [s for s in sentences(text) if s] == expected


def test_the_sentence_end_pattern_finds_what_its_plain_form_does() -> None:
    texts = [seed.read_text(encoding="utf-8") for seed in SEEDS]
    texts += ["a.\nb", "a..b. c", "x?!» y", "\n\n.", "end.", "U.S.)", "3.5", "؟\n۔ …"]
    if ALJAZEERA.exists():
        with ALJAZEERA.open(encoding="utf-8") as corpus:
            for line, _ in zip(corpus, range(300), strict=False):
                article = json.loads(line)
                texts += [article["title"], article["content"]]
    spans = [[m.span() for m in PLAIN_END.finditer(text)] for text in texts]
    ends = sentences_module._END
    assert [[m.span() for m in ends.finditer(text)] for text in texts] == spans
    assert sum(map(len, spans)) > 1_000
