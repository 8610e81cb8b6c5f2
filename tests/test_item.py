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


def test_a_bodys_lead_is_worked_out_once_for_the_several_askers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import monitor.item
    from monitor.text.lead import opening_length

    asked: list[str] = []

    def counted(body: str) -> int:
        asked.append(body)
        return opening_length(body)

    monkeypatch.setattr(monitor.item, "opening_length", counted)
    monitor.item._lead_length.cache_clear()
    sentences = " ".join(f"Sentence number {n} of the body says something new." for n in range(12))
    item = Item(id="a", title="t", summary=sentences)
    first, again = field_texts(item), field_texts(Item(id="b", title="u", summary=sentences))
    other = field_texts(Item(id="c", title="t", summary="One short body."))
    assert first.lead == again.lead == sentences[: opening_length(sentences)]
    assert first.lead != sentences and other.lead == "One short body."
    assert asked == [sentences, "One short body."]
