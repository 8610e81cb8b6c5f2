from __future__ import annotations

import itertools

import pytest

from monitor.text.sentences import sentence_ends


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
