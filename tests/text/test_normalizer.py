from __future__ import annotations

import pytest

from monitor.text.normalizer import normalize

FOLDS = [
    ("tashkeel", "مُفَاوَضَاتٌ", "مفاوضات"),
    ("shadda and sukun", "عيّنْ", "عين"),
    ("superscript alef", "هٰذا", "هذا"),
    ("tatweel", "العـــراق", "العراق"),
    ("hamza above alef", "أمريكا", "امريكا"),
    ("hamza below alef", "إضراب", "اضراب"),
    ("madda", "آلاف", "الاف"),
    ("wasla", "ٱلعراق", "العراق"),
    ("alef maqsura", "مستشفى", "مستشفي"),
    ("ta marbuta", "ضربة", "ضربه"),
    ("waw hamza", "مسؤول", "مسءول"),
    ("yeh hamza", "مسئول", "مسءول"),
    ("Persian yeh", "ایران", "ايران"),
    ("Persian kaf", "کرکوک", "كركوك"),
    ("Kurdish che", "چوارتا", "جوارتا"),
    ("Kurdish gaf", "شنگال", "شنكال"),
    ("Persian pe", "پنجوین", "بنجوين"),
    ("Kurdish ve", "ڤیان", "فيان"),
    ("Persian zhe", "ژیان", "زيان"),
    ("Arabic-Indic digits", "٢٠٢٤", "2024"),
    ("Persian digits", "۲۰۲۴", "2024"),
    ("zero-width non-joiner", "بغ\u200cداد", "بغداد"),
    ("zero-width space", "بغ\u200bداد", "بغداد"),
    ("right-to-left override", "\u202eبغداد\u202c", "بغداد"),
    ("bidi isolate", "\u2067بغداد\u2069", "بغداد"),
    ("Arabic letter mark", "بغداد\u061c", "بغداد"),
    ("presentation forms", "ﺑﻐﺪاﺩ", "بغداد"),
    ("lam-alef ligature", "ﻻ", "لا"),
    ("Latin casefold", "Ain AL-Asad", "ain al-asad"),
    ("fullwidth Latin", "ＩＲＡＱ", "iraq"),
    ("quranic mark", "الله\u06d6", "الله"),
]


@pytest.mark.parametrize(("name", "raw", "expected"), FOLDS, ids=[f[0] for f in FOLDS])
def test_fold(name: str, raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_idempotent() -> None:
    for _, raw, _ in FOLDS:
        assert normalize(normalize(raw)) == normalize(raw)
