from __future__ import annotations

import pytest

from monitor.text.keys import STEM_MARK, analyze, term_key
from monitor.text.normalizer import normalize


def exact_match(term: str, word: str) -> bool:
    return term_key(normalize(term), stemmed=False) in analyze(word)[0].keys


def stem_match(term: str, word: str) -> bool:
    return term_key(normalize(term), stemmed=True) in analyze(word)[0].keys


CLITICS = [
    ("الحوار", "الحوار"),
    ("الحوار", "حوار"),
    ("الحوار", "والحوار"),
    ("الحوار", "فالحوار"),
    ("الحوار", "بالحوار"),
    ("الحوار", "كالحوار"),
    ("الحوار", "للحوار"),
    ("الحوار", "وللحوار"),
    ("الحوار", "وبالحوار"),
    ("بغداد", "وبغداد"),
    ("بغداد", "ببغداد"),
    ("بغداد", "لبغداد"),
    ("واشنطن", "وواشنطن"),
    ("واشنطن", "لواشنطن"),
    ("لبنان", "للبنان"),
    ("العراق", "فالعراق"),
    ("المفاوضات", "مفاوضات"),
    ("مفاوضات", "المفاوضات"),
    ("الأسد", "والاسد"),
]


@pytest.mark.parametrize(("term", "word"), CLITICS)
def test_exact_terms_match_clitic_variants(term: str, word: str) -> None:
    assert exact_match(term, word)


SUFFIXES = [
    ("مفاوضات", "مفاوضات"),
    ("مفاوضات", "المفاوضات"),
    ("ضربة", "ضربات"),
    ("ضربة", "الضربات"),
    ("ضربة", "ضربته"),
    ("أمريكي", "الأمريكية"),
    ("أمريكي", "الأمريكيين"),
    ("أمريكي", "أمريكيون"),
    ("أمريكي", "والأمريكيات"),
    ("معلم", "معلمون"),
    ("معلم", "المعلمين"),
    ("مسؤول", "المسئولين"),
    ("قوات", "قواتها"),
    ("قيادة", "قيادتها"),
    ("حكومة", "حكومته"),
    ("مسيرة", "بمسيرتين"),
    ("مسيرة", "مسيرتان"),
    ("غارة", "غارتين"),
    ("هجوم", "هجوماً"),
    ("تنسحب", "ستنسحب"),
    ("talks", "Talks"),
    ("talk", "talking"),
    ("negotiation", "negotiations"),
    ("attack", "attacked"),
]


@pytest.mark.parametrize(("term", "word"), SUFFIXES)
def test_stemmed_terms_match_light_suffixes(term: str, word: str) -> None:
    assert stem_match(term, word)


APART = [
    ("ضربة", "إضراب", "a strike is not a labour strike"),
    ("إضراب", "ضربة", "nor the other way"),
    ("السودان", "السوداني", "Sudan is not al-Sudani"),
    ("السوداني", "السودان", "al-Sudani is not Sudan"),
    ("العراق", "العراقي", "exact names keep their nisba apart"),
    ("الأسد", "أسود", "Assad is not lions"),
    ("حوار", "محاور", "no root stemming"),
    ("كتب", "مكتبة", "no root stemming"),
    ("حث", "بحث", "a clitic needs three letters left"),
    ("امريك", "أمريكي", "the accusative alef is not a nisba"),
]


@pytest.mark.parametrize(("term", "word", "why"), APART, ids=[a[2] for a in APART])
def test_pairs_that_stay_apart(term: str, word: str, why: str) -> None:
    assert not exact_match(term, word)
    assert not stem_match(term, word)


def test_exact_terms_do_not_drop_suffixes() -> None:
    assert not exact_match("مفاوضة", "مفاوضات")
    assert not exact_match("talk", "talks")


def test_stem_keys_are_kept_apart_from_exact_keys() -> None:
    assert term_key("talk", stemmed=True) == STEM_MARK + "talk"
    assert term_key("talk", stemmed=False) == "talk"


@pytest.mark.parametrize(
    "word", ["الحوار", "مفاوضات", "الولايات", "أمريكية", "بغداد", "Iraq's", "strikes", "واشنطن"]
)
def test_every_term_matches_its_own_spelling(word: str) -> None:
    assert exact_match(word, word)
    assert stem_match(word, word)


def test_possessive_is_dropped() -> None:
    assert exact_match("Iraq", "Iraq's")
    assert exact_match("Baghdad", "Baghdad’s")


def test_ligature_that_expands_gives_several_words() -> None:
    assert [word.word for word in analyze("ﷺ")] == ["صلي", "الله", "عليه", "وسلم"]


def test_english_stems_come_from_snowball_in_c_and_are_its_python_ones() -> None:
    from snowballstemmer.english_stemmer import EnglishStemmer

    from monitor.text import keys

    assert type(keys._ENGLISH).__module__ == "Stemmer"  # PyStemmer: a hundred times faster
    written = "talks talked talking strikes struck militias militia's agreed agreement bases"
    sample = [*written.split(), "generously", "dying", "skies", "news", "communism", "arsenal"]
    assert [keys._ENGLISH.stemWord(w) for w in sample] == [
        EnglishStemmer().stemWord(w) for w in sample
    ]
