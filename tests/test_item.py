from __future__ import annotations

import pytest

from monitor.item import Item, field_texts


def test_short_body_is_all_lead() -> None:
    texts = field_texts(Item(id="x", title="t", content="جملة قصيرة."))
    assert texts.lead == texts.body and texts.lead_in_body


def test_summary_is_the_lead_when_content_is_there() -> None:
    texts = field_texts(Item(id="x", summary="ملخص", content="نص كامل"))
    assert (texts.lead, texts.body, texts.lead_in_body) == ("ملخص", "نص كامل", False)


@pytest.mark.parametrize(
    ("title", "lang", "expected"),
    [
        ("مفاوضات بين العراق والولايات المتحدة", "", "ar"),
        ("US and Iraq hold talks", "", "en"),
        ("الناتو NATO يجتمع في بروكسل اليوم", "", "ar"),
        ("anything", "AR-iq", "ar"),
    ],
)
def test_language(title: str, lang: str, expected: str) -> None:
    assert Item(id="x", title=title, lang=lang).language == expected
