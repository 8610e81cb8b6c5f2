from __future__ import annotations

from importlib import resources

import pytest
import yaml

from monitor.text import gazetteer as gazetteer_module
from monitor.text.gazetteer import fold, gazetteer
from monitor.text.names import tokens


def concepts(text: str) -> set[str]:
    return {match.alias.concept.name for match in gazetteer().find(tokens(text))}


FOUND = [
    # clitics and the article
    ("وبغداد", "baghdad"),
    ("لبغداد", "baghdad"),
    ("ببغداد", "baghdad"),
    ("بالموصل", "mosul"),
    ("والسوداني", "sudani"),
    ("للسوداني", "sudani"),
    ("وكتائب حزب الله", "kataib-hezbollah"),
    ("بقاعدة عين الأسد", "ain-al-asad"),
    ("لقاعدة عين الاسد", "ain-al-asad"),
    ("بمطار أربيل", "erbil-airport"),
    ("والتنف", "al-tanf"),
    ("بشنكال", "sinjar"),
    ("لحركة النجباء", "nujaba"),
    # Latin spellings
    ("Ain al-Assad", "ain-al-asad"),
    ("Ayn al Asad", "ain-al-asad"),
    ("Al-Asad Airbase", "ain-al-asad"),
    ("Kata'ib Hizballah", "kataib-hezbollah"),
    ("Kataib Hezbollah", "kataib-hezbollah"),
    ("Iraq's al-Tanf", "al-tanf"),
    ("Erdoğan", "erdogan"),
    ("Slemani", "sulaymaniyah"),
    ("Hawler", "erbil"),
    ("Jurf al-Nasr", "jurf-al-sakhar"),
    ("Albu Kamal", "abu-kamal"),
    ("Deir ez-Zor", "deir-ez-zor"),
    # inflected event and country words
    ("مسيرات", "drone"),
    ("drones", "drone"),
    ("العراقية", "iraq"),
    ("Turkish", "turkey"),
    ("الصواريخ الباليستية", "ballistic"),
]


@pytest.mark.parametrize(("text", "concept"), FOUND)
def test_alias_is_found_through_clitics_and_spellings(text: str, concept: str) -> None:
    assert concept in concepts(text)


NOT_FOUND = [
    ("القائم بالأعمال الأمريكي", "al-qaim"),  # the chargé d'affaires, not the town
    ("أحد المسؤولين", "sun"),  # "one of", not Sunday
    ("us and them", "usa"),  # a pronoun, not the United States
    ("trump card", "trump"),
    ("بلد آخر", "balad"),  # "another country", not Balad air base
]


@pytest.mark.parametrize(("text", "concept"), NOT_FOUND)
def test_lookalike_is_not_the_concept(text: str, concept: str) -> None:
    assert concept not in concepts(text)


def test_longest_alias_wins() -> None:
    assert concepts("Bashar al-Assad") == {"assad"}
    assert concepts("كتائب سيد الشهداء") == {"kss"}
    assert concepts("كانون الثاني") == {"jan"}


def test_site_marks_the_place_that_holds_it() -> None:
    erbil_airport = gazetteer().concepts["erbil-airport"]
    assert gazetteer().marks(erbil_airport) == ["g:erbil-airport", "g:erbil"]


def test_every_reference_and_kind_is_known() -> None:
    text = resources.files("monitor.data").joinpath("gazetteer.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for name, spec in data["concepts"].items():
        assert spec["kind"] in data["kinds"], name
        assert all(held in data["concepts"] for held in spec.get("in", ())), name
        assert spec.get("ar") or spec.get("en"), name


def test_fold_forgets_accents_apostrophes_and_doubled_letters() -> None:
    assert fold("erdoğan") == fold("erdogan")
    assert fold("kata'ib") == fold("kataib")
    assert fold("assad") == fold("asad")
    assert fold("22") == "22"


def test_the_same_aliases_are_found_when_the_words_ranked_are_forgotten_as_they_come(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [text for text, _ in FOUND] + [
        "الاثنين: قصف قاعدة عين الأسد بطائرتين مسيرتين، والسوداني يلتقي السفير في بغداد",
        "Drone attack on Ain al-Asad air base on Monday; Sudani meets the US envoy in Baghdad",
    ]
    expected = [gazetteer().find(tokens(text)) for text in texts]
    monkeypatch.setattr(gazetteer_module, "RANKED_CACHED", 1)
    monkeypatch.setattr(gazetteer(), "_ranked", {})
    assert [gazetteer().find(tokens(text)) for text in texts] == expected
    assert len(gazetteer()._ranked) == 1
