"""The vectorised word spans against the tokenizer's regex, which defines a word."""

from __future__ import annotations

import random

import pytest

from monitor.inputs import read_items
from monitor.text.tokenizer import WORD_RE
from monitor.text.word_spans import code_points, word_spans
from tests.conftest import ALJAZEERA, ROOT, SEEDS

FEEDPARSER = ROOT.parent / "shared" / "corpus" / "feedparser"

# Word characters, marks, tatweel, joiners, apostrophes, digits of two scripts, a lone
# surrogate, an emoji, a NUL and separators: every case the class table and the
# apostrophe rule must tell apart.
ALPHABET = "ab_'’ \u064b\u0640\u200c\u200dع٣3-\n\ud800\U0001f600\x00\u2028«»é"


def regex_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in WORD_RE.finditer(text)]


def spans_of(text: str) -> list[tuple[int, int]]:
    spans = word_spans(code_points(text))
    inside = spans.inside.tolist()
    assert inside == [i for a, b in zip(spans.starts, spans.ends, strict=True) for i in range(a, b)]
    return list(zip(spans.starts.tolist(), spans.ends.tolist(), strict=True))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "'",
        "a",
        "Iraq's army",
        "Baghdad’s view",
        "a''b 'c d' e'f'g",
        "العـــراقُ و«أمريكا»، اليوم!",
        "x\u200dy z\u200c",
        "\ud800a\ud800",
        "nul\x00inside",
    ],
)
def test_same_words_as_the_regex(text: str) -> None:
    assert spans_of(text) == regex_spans(text)


def test_same_words_as_the_regex_on_random_text() -> None:
    rng = random.Random(20240611)
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))
        assert spans_of(text) == regex_spans(text), repr(text)


def test_same_words_as_the_regex_on_real_text() -> None:
    # The shared corpora when they are beside the project; the seeds always.
    texts = [path.read_text(encoding="utf-8") for path in SEEDS]
    if ALJAZEERA.exists():
        for item in list(read_items([str(ALJAZEERA)]))[::20]:
            texts += [item.title, item.summary, item.content]
    for path in sorted(FEEDPARSER.rglob("*"))[::5] if FEEDPARSER.is_dir() else []:
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "surrogateescape"))
    assert len(texts) >= len(SEEDS) > 0
    for text in texts:
        assert spans_of(text) == regex_spans(text)
