from __future__ import annotations

from monitor.text.tokenizer import iter_words, words


def test_words_keep_marks_and_tatweel_inside() -> None:
    assert words("العـــراقُ و«أمريكا»، اليوم!") == ["العـــراقُ", "و", "أمريكا", "اليوم"]


def test_spans_point_into_the_original_text() -> None:
    text = "قصفٌ على «عين الأسد»."
    spans = [(m.start(), m.end()) for m in iter_words(text)]
    assert [text[a:b] for a, b in spans] == ["قصفٌ", "على", "عين", "الأسد"]


def test_unicode_word_boundaries_not_ascii() -> None:
    assert words("US-Iraq talks: Baghdad’s view; Iraq's army") == [
        "US",
        "Iraq",
        "talks",
        "Baghdad’s",
        "view",
        "Iraq's",
        "army",
    ]


def test_digits_of_every_script_are_words() -> None:
    assert words("عام ٢٠٢٤ و2025") == ["عام", "٢٠٢٤", "و2025"]
