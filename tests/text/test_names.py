from __future__ import annotations

import json
import math

import pytest

from monitor.text.names import (
    LINK_THRESHOLD,
    MAX_MARKS,
    OTHER_SITE,
    clash,
    event_marks,
    link_score,
)
from monitor.text.normalizer import normalize
from monitor.text.skeleton import skeleton

SAME_SKELETON = [
    ("السوداني", "Sudani"),
    ("السوداني", "al-Sudani"),
    ("الكاظمي", "Kadhimi"),
    ("الكاظمي", "Kazemi"),
    ("سليماني", "Soleimani"),
    ("سليماني", "Suleimani"),
    ("المهندس", "Muhandis"),
    ("المهندس", "al-Mohandes"),
    ("خامنئي", "Khamenei"),
    ("بزشكيان", "Pezeshkian"),
    ("أردوغان", "Erdoğan"),
    ("أردوغان", "Erdogan"),
    ("فيدان", "Fidan"),
    ("بلينكن", "Blinken"),
    ("ترامب", "Trump"),
    ("رومانوسكي", "Romanowski"),
    ("ثابت", "Thabit"),
    ("الخفاجي", "Khafaji"),
    ("بغداد", "Baghdad"),
    ("كركوك", "Kirkuk"),
    ("شنكال", "Shingal"),
    ("مخمور", "Makhmour"),
    ("كتائب", "Kata'ib"),
    ("Kataib", "Kata'ib"),
    ("Hezbollah", "Hizbollah"),
]


@pytest.mark.parametrize(("one", "other"), SAME_SKELETON)
def test_one_name_has_one_skeleton_in_both_scripts(one: str, other: str) -> None:
    assert skeleton(normalize(one)) == skeleton(normalize(other))
    assert len(skeleton(normalize(one))) >= 3


OTHER_SKELETON = [
    ("السوداني", "Sadr"),
    ("الصدر", "Sudani"),
    ("سيستاني", "Austin"),  # a consonant repeated across a vowel is kept
    ("كركوك", "Karbala"),
    ("الموصل", "Basra"),
    ("سنجار", "Shingal"),  # two names of one town: the gazetteer joins them, not the skeleton
    ("Kadhimi", "Hakim"),
]


@pytest.mark.parametrize(("one", "other"), OTHER_SKELETON)
def test_different_names_keep_different_skeletons(one: str, other: str) -> None:
    assert skeleton(normalize(one)) != skeleton(normalize(other))


MARKS = [
    # text, marks it must have, marks it must not have
    ("وصل السوداني إلى بغداد", ["g:baghdad", "g:sudani"], []),
    ("Three rockets hit Ain al-Asad", ["g:ain-al-asad", "g:anbar", "n:3"], []),
    ("سقوط ٣ صواريخ على عين الأسد", ["g:ain-al-asad", "g:anbar", "n:3"], []),
    ("ثلاثة عشر قتيلا", ["g:killed", "n:13"], ["n:3", "n:10"]),
    ("هجوم بطائرتين مسيرتين", ["g:drone", "n:2"], []),
    ("الجولة الأولى من الحوار", ["g:round", "g:talks", "o:1"], []),
    ("the first round of talks", ["g:round", "g:talks", "o:1"], []),
    ("الجولة الثانية", ["o:2"], ["o:1"]),
    ("للمرة الأولى منذ سنوات", [], ["o:1"]),  # an ordinal counts only a round or a phase
    ("يوم السبت", ["d:sat"], []),
    ("on Saturday", ["d:sat"], []),
    ("أحد المسؤولين", [], ["d:sun"]),
    ("اليوم الاثنين", ["d:mon"], ["n:2"]),
    ("اثنين من الجنود", ["n:2"], ["d:mon"]),
    ("في 28 كانون الثاني", ["d:jan", "d:jan-28", "n:28"], ["o:2"]),
    ("on Jan. 28", ["d:jan", "d:jan-28", "n:28"], []),
    ("officials may meet", [], ["d:may"]),  # May is a month only next to a number
    ("on May 5", ["d:may", "d:may-5"], []),
    ("Officials said Peshraw Hawrami spoke", ["s:bxr"], ["s:fsls"]),
    ("تحدث مرتضى الزبيدي للصحفيين", ["s:zbd"], []),
    ("Murtada al-Zubaidi told reporters", ["s:zbd"], []),
    ("Reuters reported the attack", [], ["s:rtrs"]),  # a byline is no name
    ("Kadhimi's office said", ["g:kadhimi"], []),
    ("US to cut its force to 2,500 troops", ["n:2500"], ["n:500"]),
    ("خفض القوات إلى 3 آلاف جندي", ["n:3000"], ["n:3"]),
]


@pytest.mark.parametrize(("text", "present", "absent"), MARKS)
def test_marks_of_a_text(text: str, present: list[str], absent: list[str]) -> None:
    marks = event_marks(text, "")
    assert set(present) <= set(marks)
    assert not set(absent) & set(marks)


def test_lower_case_and_common_english_words_are_not_names() -> None:
    marks = event_marks("Officials Say Drone Attack Targets Base", "officials said a drone hit it")
    assert not [mark for mark in marks if mark.startswith("s:")]


def test_marks_are_sorted_unique_small_and_json_friendly() -> None:
    lead = " ".join(f"Commander{chr(65 + i % 26)}{chr(65 + i // 26)}x met {i}." for i in range(200))
    marks = event_marks("Sudani meets Austin in Baghdad", lead)
    assert marks == sorted(set(marks))
    assert len(marks) <= MAX_MARKS
    assert {"g:sudani", "g:austin", "g:baghdad"} <= set(marks)
    assert json.loads(json.dumps(marks)) == marks


def test_empty_item_has_no_marks() -> None:
    assert event_marks("", "") == []


# Items written for these tests: one event told in Arabic and in English, and
# another event at the same place (a different day, weapon or round).
HARIR_DRONES_AR = (
    "المقاومة الإسلامية في العراق تعلن استهداف قاعدة حرير بطائرتين مسيرتين",
    "أعلنت المقاومة الإسلامية في العراق مساء السبت أنها استهدفت قاعدة حرير شمال أربيل "
    "بطائرتين مسيرتين، فيما قالت مصادر أمنية إن الدفاعات الجوية اعترضت إحداهما.",
)
HARIR_DRONES_EN = (
    "Iraqi militants say they hit Harir base with two drones",
    "The Islamic Resistance in Iraq said on Saturday it targeted the Harir base north of "
    "Erbil with two drones. Kurdish security sources said air defences downed one of them.",
)
HARIR_ROCKETS_EN = (
    "Rockets fall near Harir air base in Kurdistan, no casualties",
    "Three rockets landed near the Harir base used by US-led forces on Tuesday night, "
    "a Kurdish counter-terrorism official said, adding that nobody was hurt.",
)
HARIR_ROCKETS_AR = (
    "سقوط ثلاثة صواريخ قرب قاعدة حرير دون إصابات",
    "سقطت ثلاثة صواريخ مساء الثلاثاء قرب قاعدة حرير التي تستضيف قوات التحالف الدولي، "
    "وفق جهاز مكافحة الإرهاب في إقليم كردستان، دون وقوع إصابات.",
)
ROUND_ONE_AR = (
    "انطلاق الجولة الأولى من حوار اللجنة العسكرية العليا بين بغداد وواشنطن",
    "انطلقت يوم الأحد في بغداد الجولة الأولى من اجتماعات اللجنة العسكرية العليا بين العراق "
    "والولايات المتحدة لبحث مستقبل التحالف الدولي، برعاية رئيس الوزراء محمد شياع السوداني.",
)
ROUND_ONE_EN = (
    "Iraq and US open first round of Higher Military Commission talks",
    "Iraqi and US officials began the first round of Higher Military Commission talks in "
    "Baghdad on Sunday on the future of the US-led coalition, Prime Minister Sudani's office said.",
)
ROUND_TWO_EN = (
    "Iraq, US hold second round of military commission talks on coalition",
    "The second round of Higher Military Commission talks between Iraq and the United States "
    "was held in Baghdad on Wednesday, the prime minister's office said.",
)
SINJAR_AR = (
    "مقتل قيادي في وحدات مقاومة شنكال بغارة تركية",
    "قتل قيادي بارز في غارة نفذتها طائرة مسيرة تركية على سيارة في قضاء شنكال غربي نينوى "
    "يوم الخميس، بحسب مصادر محلية.",
)
SINJAR_EN = (
    "Turkish drone strike kills commander in Iraq's Sinjar",
    "A Turkish drone struck a car in Sinjar district west of Mosul on Thursday, killing a "
    "senior commander of a PKK-affiliated group, local sources said.",
)
MAKHMOUR_EN = (
    "Turkish drone strike hits Makhmour camp",
    "A Turkish drone struck the Makhmour refugee camp south of Erbil on Monday, killing two "
    "people, camp officials said.",
)

SAME_EVENT = [
    (HARIR_DRONES_AR, HARIR_DRONES_EN),
    (HARIR_ROCKETS_AR, HARIR_ROCKETS_EN),
    (ROUND_ONE_AR, ROUND_ONE_EN),
    (SINJAR_AR, SINJAR_EN),
]
OTHER_EVENT = [
    (HARIR_DRONES_AR, HARIR_ROCKETS_EN),
    (HARIR_ROCKETS_AR, HARIR_DRONES_EN),
    (ROUND_ONE_AR, ROUND_TWO_EN),
    (SINJAR_AR, MAKHMOUR_EN),
]


def score(one: tuple[str, str], other: tuple[str, str]) -> float:
    return link_score(event_marks(*one), event_marks(*other))


@pytest.mark.parametrize(("same", "other"), list(zip(SAME_EVENT, OTHER_EVENT, strict=True)))
def test_one_event_across_languages_scores_above_another_event_at_that_place(
    same: tuple[tuple[str, str], tuple[str, str]], other: tuple[tuple[str, str], tuple[str, str]]
) -> None:
    assert score(*same) > score(*other)


def test_the_suggested_threshold_separates_all_pairs() -> None:
    assert min(score(*pair) for pair in SAME_EVENT) >= LINK_THRESHOLD
    assert max(score(*pair) for pair in OTHER_EVENT) < LINK_THRESHOLD


@pytest.mark.parametrize("pair", SAME_EVENT + OTHER_EVENT)
def test_score_is_symmetric_and_bounded(pair: tuple[tuple[str, str], tuple[str, str]]) -> None:
    one, other = pair
    assert score(one, other) == score(other, one)
    assert 0.0 <= score(one, other) <= 1.0


def test_identical_rich_items_score_near_one() -> None:
    marks = event_marks(*ROUND_ONE_EN)
    assert link_score(marks, marks) > 0.9


def test_empty_or_disjoint_marks_score_zero() -> None:
    marks = event_marks(*HARIR_DRONES_EN)
    assert link_score([], []) == 0.0
    assert link_score(marks, []) == 0.0
    assert link_score(["s:xyz"], ["s:abc"]) == 0.0


def test_a_base_says_more_than_a_country() -> None:
    base = link_score(["g:harir", "g:iraq", "g:drone"], ["g:harir", "g:usa", "g:missile"])
    country = link_score(["g:harir", "g:iraq", "g:drone"], ["g:balad", "g:iraq", "g:missile"])
    assert base > country


def test_different_weekdays_lower_the_score() -> None:
    same_day = link_score(["g:harir", "d:sat"], ["g:harir", "d:sat"])
    next_day = link_score(["g:harir", "g:drone", "d:sat"], ["g:harir", "g:drone", "d:sun"])
    days_apart = link_score(["g:harir", "g:drone", "d:sat"], ["g:harir", "g:drone", "d:tue"])
    assert same_day > next_day > days_apart
    assert not math.isnan(days_apart)


def test_sites_clash_only_when_both_name_one_and_share_none() -> None:
    assert clash(["g:harir", "d:sat"], ["g:victory", "d:sat"]) == OTHER_SITE
    assert clash(["g:harir", "g:victory"], ["g:victory"]) == 1.0
    assert clash(["g:harir"], ["g:drone", "g:erbil"]) == 1.0
