"""The matcher on small rules written for each feature of the rule language."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.inputs import read_items, read_path
from monitor.item import Item, ItemField
from monitor.rules import filters, spellings
from monitor.rules import matcher as matcher_module
from monitor.rules.loader import load_rules
from monitor.rules.match import Match
from monitor.rules.matcher import BATCH_CHARS, BATCH_ITEMS, Matcher, batches
from tests.conftest import ALJAZEERA, SEEDS


def matcher_of(tmp_path: Path, *rules: str) -> Matcher:
    for index, rule in enumerate(rules):
        (tmp_path / f"rule{index}.yaml").write_text(textwrap.dedent(rule), encoding="utf-8")
    return Matcher(load_rules([tmp_path]))


def only(matches: list[Match], rule: str) -> Match | None:
    return next((m for m in matches if m.rule == rule), None)


TALKS = """
    id: talks
    title: Talks
    terms:
      iraq: {mode: exact, words: [العراق, بغداد, Iraq]}
      us: {mode: exact, words: [الولايات المتحدة, واشنطن, United States]}
      talks: [محادثات, حوار, talks]
      iran: {mode: exact, words: [إيران, Iran]}
    match:
      all: [iraq, us, talks]
      none: [iran]
"""


@pytest.fixture
def talks(tmp_path: Path) -> Matcher:
    return matcher_of(tmp_path, TALKS)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("محادثات بين العراق والولايات المتحدة", True),
        ("بدء الحوار بين بغداد وواشنطن", True),
        ("Iraq and the United States open talks", True),
        ("محادثات بين العراق والولايات المتحدة وإيران", False),
        ("محادثات بين العراق وتركيا", False),
        ("الولايات المتحدة وبغداد", False),
    ],
)
def test_all_and_none(talks: Matcher, title: str, expected: bool) -> None:
    found = only(talks.match(Item(id="x", title=title)), "talks")
    assert (found is not None and found.alert) is expected


def test_hits_give_field_and_span_in_the_original_text(talks: Matcher) -> None:
    title = "مُحادثاتٌ بين «العـراق» والولاياتِ المتحدةِ"
    found = only(talks.match(Item(id="x", title=title)), "talks")
    assert found is not None
    assert [(h.field, title[h.start : h.end]) for h in found.hits] == [
        (ItemField.TITLE, "مُحادثاتٌ"),
        (ItemField.TITLE, "العـراق"),
        (ItemField.TITLE, "والولاياتِ المتحدةِ"),
    ]
    assert all(title[h.start : h.end] == h.text for h in found.hits)


def test_hits_in_the_body_point_into_the_body(talks: Matcher) -> None:
    body = "مقدمة طويلة " * 60 + "ثم بدأت محادثات بين العراق والولايات المتحدة."
    found = only(talks.match(Item(id="x", title="خبر", content=body)), "talks")
    assert found is not None
    assert {h.field for h in found.hits} == {ItemField.BODY}
    assert all(body[h.start : h.end] == h.text for h in found.hits)


NEAR = """
    id: near
    title: Near
    terms:
      base: {mode: exact, words: [عين الأسد]}
      attack: [هجوم, صاروخ]
    match:
      near: [base, attack]
      within: 3
"""


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("هجوم على عين الأسد", True),
        ("عين الأسد تتعرض لهجوم", True),
        ("هجوم واسع في الأنبار بعيدا جدا عن قاعدة عين الأسد", False),
        ("الأسد عين هجوم", False),
    ],
)
def test_near_counts_words(tmp_path: Path, title: str, expected: bool) -> None:
    found = only(matcher_of(tmp_path, NEAR).match(Item(id="x", title=title)), "near")
    assert (found is not None) is expected


def test_near_needs_one_text(tmp_path: Path) -> None:
    item = Item(id="x", title="هجوم", summary="عين الأسد", content="نص")
    assert only(matcher_of(tmp_path, NEAR).match(item), "near") is None


ANCHOR = """
    id: anchored
    title: Anchored
    severity: critical
    terms:
      base: {mode: exact, words: [عين الأسد]}
      attack: [هجوم]
      other: [الرئيس]
    match:
      all: [base, attack]
      none: [other]
    anchor: [title, lead]
"""


def test_anchor_in_title_alerts(tmp_path: Path) -> None:
    found = only(
        matcher_of(tmp_path, ANCHOR).match(Item(id="x", title="هجوم على عين الأسد")), "anchored"
    )
    assert found is not None and found.alert and found.severity.value == "critical"


def test_passing_mention_deep_in_the_body_is_only_a_mention(tmp_path: Path) -> None:
    body = "افتتاح معرض للكتاب في بغداد. " * 30 + "وكانت عين الأسد قد تعرضت لهجوم."
    found = only(
        matcher_of(tmp_path, ANCHOR).match(Item(id="x", title="معرض الكتاب", content=body)),
        "anchored",
    )
    assert found is not None and not found.alert and found.severity.value == "low"


def test_anchor_accepts_the_lead_of_the_body(tmp_path: Path) -> None:
    body = "وقع هجوم على عين الأسد صباح اليوم. " + "تفاصيل أخرى. " * 100
    found = only(
        matcher_of(tmp_path, ANCHOR).match(Item(id="x", title="عاجل", content=body)), "anchored"
    )
    assert found is not None and found.alert
    assert {h.field for h in found.hits} == {ItemField.LEAD}


def test_the_body_lead_ends_where_its_text_ends_whatever_nfkc_drops(tmp_path: Path) -> None:
    # A lone tatweel is a word as written that normalising leaves empty: it must not move
    # the lead's end onto the word after it.
    opening = "ـ " + "تفاصيل أخرى عن المعرض " * 10 + "."
    body = opening + " هجوم على عين الأسد. " + "تفاصيل أخرى. " * 100
    found = only(
        matcher_of(tmp_path, ANCHOR).match(Item(id="x", title="عاجل", content=body)), "anchored"
    )
    assert found is not None and not found.alert
    assert {h.field for h in found.hits} == {ItemField.BODY}


def test_negation_still_sees_the_whole_item_when_anchored(tmp_path: Path) -> None:
    body = "نص " * 200 + "الرئيس"
    item = Item(id="x", title="هجوم على عين الأسد", content=body)
    assert only(matcher_of(tmp_path, ANCHOR).match(item), "anchored") is None


def test_summary_is_the_lead_when_there_is_content(tmp_path: Path) -> None:
    item = Item(id="x", title="عاجل", summary="هجوم على عين الأسد", content="نص آخر " * 10)
    found = only(matcher_of(tmp_path, ANCHOR).match(item), "anchored")
    assert found is not None and found.alert
    assert found.hits[0].field is ItemField.LEAD
    assert item.summary[found.hits[0].start : found.hits[0].end] == found.hits[0].text


SCOPED = """
    id: scoped
    title: Scoped
    terms:
      talks: [talks]
      iraq: {mode: exact, words: [Iraq]}
    match:
      all:
        - {any: [talks], in: title}
        - iraq
"""


def test_field_scope(tmp_path: Path) -> None:
    matcher = matcher_of(tmp_path, SCOPED)
    assert only(matcher.match(Item(id="x", title="Talks begin", content="in Iraq")), "scoped")
    assert not only(matcher.match(Item(id="x", title="Iraq", content="talks begin")), "scoped")


WEIGHTED = """
    id: weighted
    title: Weighted
    threshold: 3
    terms:
      strong: {words: [missile], weight: 2}
      weak: [base, attack, night]
"""


@pytest.mark.parametrize(
    ("title", "score"),
    [("missile attack on base", 3.0), ("missile", None), ("attack on base at night", None)],
)
def test_weights_and_threshold(tmp_path: Path, title: str, score: float | None) -> None:
    found = only(matcher_of(tmp_path, WEIGHTED).match(Item(id="x", title=title)), "weighted")
    assert (found.score if found else None) == score


AT_LEAST = """
    id: two
    title: Two of three
    terms:
      a: [alpha]
      b: [beta]
      c: [gamma]
    match:
      any: [a, b, c]
      at_least: 2
"""


def test_at_least(tmp_path: Path) -> None:
    matcher = matcher_of(tmp_path, AT_LEAST)
    assert only(matcher.match(Item(id="x", title="alpha gamma")), "two")
    assert not only(matcher.match(Item(id="x", title="alpha alpha")), "two")


REGEX = """
    id: regex
    title: Regex
    terms:
      count: {regex: ['\\d+ (صواريخ|صاروخ)']}
    match: count
"""


def test_regex_runs_on_normalised_words_and_maps_back(tmp_path: Path) -> None:
    title = "سقوط ٣ صواريخٍ على القاعدة"
    found = only(matcher_of(tmp_path, REGEX).match(Item(id="x", title=title)), "regex")
    assert found is not None
    assert found.hits[0].text == "٣ صواريخٍ"


def test_a_batch_s_texts_are_not_kept_for_the_next(tmp_path: Path) -> None:
    """A text's candidate patterns are worked out once in its batch and forgotten after:
    a worker meets each text once, and a benchmark going round a few texts must not find
    them worked out already."""
    matcher = matcher_of(tmp_path, REGEX)
    candidates = matcher._patterns._prefilter.candidates
    item = Item(id="x", title="سقوط ٣ صواريخٍ على القاعدة")
    assert only(matcher.match(item), "regex") is not None
    assert candidates.cache_info().currsize == 0
    candidates("سقوط ٣ صواريخ".encode())
    assert candidates.cache_info().currsize == 1
    assert only(matcher.match(item), "regex") is not None
    assert candidates.cache_info().currsize == 0


def test_regex_hit_starts_at_the_word_not_at_the_space(tmp_path: Path) -> None:
    rule = """
        id: spaced
        title: Spaced
        terms:
          turkish: {regex: ['(^| )قصف تركي( |$)']}
        match: turkish
    """
    title = "الجيش يعلن قصف تركي على دهوك"
    found = only(matcher_of(tmp_path, rule).match(Item(id="x", title=title)), "spaced")
    assert found is not None and found.hits[0].text == "قصف تركي"


def test_regex_is_linear_on_hostile_text(tmp_path: Path) -> None:
    rule = """
        id: evil
        title: Evil
        terms:
          evil: {regex: ['(a+)+b']}
        match: evil
    """
    matcher = matcher_of(tmp_path, rule)
    assert matcher.match(Item(id="x", title="a" * 50_000 + "c")) == []


FILTERED = """
    id: filtered
    title: Filtered
    languages: [en]
    sources: [reuters, ap]
    exclude_sources: [ap]
    terms:
      iraq: {mode: exact, words: [Iraq, العراق]}
    match: iraq
"""


@pytest.mark.parametrize(
    ("title", "source", "lang", "expected"),
    [
        ("Iraq news", "reuters", "", True),
        ("Iraq news", "reuters", "en-GB", True),
        ("Iraq news", "bbc", "", False),
        ("Iraq news", "ap", "", False),
        ("أخبار العراق", "reuters", "", False),
        ("Iraq news", "reuters", "ar", False),
    ],
)
def test_source_and_language_filters(
    tmp_path: Path, title: str, source: str, lang: str, expected: bool
) -> None:
    item = Item(id="x", title=title, source=source, lang=lang)
    assert (only(matcher_of(tmp_path, FILTERED).match(item), "filtered") is not None) is expected


def test_filters_are_read_for_each_item_of_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filters, "ROWS_KEPT", 2)  # the answers of most pairs are forgotten
    arabic = (
        FILTERED.replace("id: filtered", "id: arabic")
        .replace("languages: [en]", "languages: [ar]")
        .replace("exclude_sources: [ap]", "exclude_sources: [reuters]")
    )
    unfiltered = "id: every\ntitle: Every\nterms:\n  iraq: [Iraq, العراق]\nmatch: iraq\n"
    matcher = matcher_of(tmp_path, FILTERED, arabic, unfiltered)
    cases = [
        ("Iraq news", "reuters", "", {"filtered"}),
        ("Iraq news", "reuters", "en-GB", {"filtered"}),
        ("Iraq news", "bbc", "", set()),
        ("Iraq news", "ap", "", set()),
        ("أخبار العراق", "reuters", "", set()),
        ("أخبار العراق", "ap", "", {"arabic"}),
        ("Iraq news", "ap", "ar", {"arabic"}),
        ("Iraq news", "reuters", "", {"filtered"}),
    ]
    items = [
        Item(id=f"x{n}", title=t, source=s, lang=lang) for n, (t, s, lang, _) in enumerate(cases)
    ]
    found = [{m.rule for m in matches} - {"every"} for matches in matcher.match_many(items)]
    assert found == [expected for *_, expected in cases]
    assert all(len(matches) for matches in matcher.match_many(items))  # `every` matched each
    assert len(matcher._filters._rows) <= filters.ROWS_KEPT


def test_disabled_rule_never_matches(tmp_path: Path) -> None:
    rule = "id: disabled\ntitle: Disabled\nenabled: false\nterms:\n  a: [Iraq]\nmatch: a\n"
    assert matcher_of(tmp_path, rule).match(Item(id="x", title="Iraq")) == []


def test_shared_terms_across_rules_are_indexed_once(tmp_path: Path) -> None:
    rules = [
        f"id: r{i}\ntitle: R\nterms:\n  a: {{mode: exact, words: [العراق]}}\nmatch: a\n"
        for i in range(50)
    ]
    matcher = matcher_of(tmp_path, *rules)
    assert len(matcher.match(Item(id="x", title="في العراق"))) == 50
    assert sum(len(starts) for starts in matcher._index.values()) == 1


def batch_items() -> list[Item]:
    found = [item for path in SEEDS for item in read_path(path)]
    if ALJAZEERA.exists():
        found += list(read_items([str(ALJAZEERA)]))[::25]
    return [
        Item(id="empty", title="", content=""),
        *found[:3],
        Item(id="title", title="هجوم على عين الأسد"),
        Item(id="lead", summary="Iraq and the United States hold talks", content=""),
        *found[3:],
        Item(id="ligature", title="ﻻ تفاوض", summary="قال: ﻻ", content="«ﻻ» ـ نعم"),
        Item(id="last-empty"),
    ]


@pytest.mark.parametrize("batch_chars", [1, 2_000, BATCH_CHARS, 10**9])
def test_matching_in_batches_is_matching_each_item(
    shipped_matcher: Matcher, monkeypatch: pytest.MonkeyPatch, batch_chars: int
) -> None:
    monkeypatch.setattr(matcher_module, "BATCH_CHARS", batch_chars)
    found = batch_items()
    assert shipped_matcher.match_many(found) == [shipped_matcher.match(item) for item in found]


def test_a_phrase_never_runs_from_one_item_into_the_next(tmp_path: Path) -> None:
    matcher = matcher_of(tmp_path, ANCHOR)
    first = Item(id="a", title="خبر", content="هجوم على عين")
    second = Item(id="b", title="الأسد في حديقة الحيوان", content="نص")
    assert matcher.match_many([first, second]) == [[], []]
    assert matcher.match_many([Item(id="c", title="هجوم على عين الأسد"), second])[0]


def test_batches_keep_every_item_in_order() -> None:
    found = [Item(id=str(n), title="x" * size) for n, size in enumerate([5, 40, 3, 3, 100, 1])]
    runs = [[item.id for item in run] for run in batches(found, 10)]
    assert runs == [["0"], ["1"], ["2", "3"], ["4"], ["5"]]
    titles = [Item(id=str(n), title="x") for n in range(2 * BATCH_ITEMS + 1)]
    assert [len(run) for run in batches(titles)] == [BATCH_ITEMS, BATCH_ITEMS, 1]


SENTENCE = """
    id: base-attack
    title: Base attack
    anchor: [title, lead]
    terms:
      base: {mode: exact, words: [عين الأسد, Ain al-Asad]}
      described: [base in western Iraq, قاعدة غربي العراق]
      attack: [استهدف, هجوم, targeted, attack, intercepted]
    match:
      any:
        - {near: [base, attack], within: sentence}
        - all:
            - {near: [described, attack], within: 8}
            - {any: [base], in: [body]}
"""


@pytest.mark.parametrize(
    ("title", "body", "alert"),
    [
        (
            "Ain al-Asad air base, which hosts US and other international forces in western"
            " Iraq and has been hit before, intercepted two drones",
            "",
            True,
        ),
        (
            "قاعدة عين الأسد الجوية في الأنبار، والتي تستضيف قوات أمريكية ودولية منذ سنوات"
            " طويلة، تعرضت اليوم إلى هجوم بطائرتين مسيرتين",
            "",
            True,
        ),
        ("Officials visited Ain al-Asad on Monday. A separate attack hit a convoy.", "", False),
        (
            "Drones targeted a base in western Iraq",
            "Drones targeted a base in western Iraq on Tuesday, officials said.\n\n"
            "Nobody was hurt.\n\nThe base, Ain al-Asad, hosts US forces.",
            True,
        ),
        (
            "Drones targeted a base in western Iraq",
            "Drones targeted a base in western Iraq.",
            False,
        ),
    ],
)
def test_near_within_a_sentence_and_a_name_later_in_the_body(
    tmp_path: Path, title: str, body: str, alert: bool
) -> None:
    found = only(
        matcher_of(tmp_path, SENTENCE).match(Item(id="x", title=title, content=body)), "base-attack"
    )
    assert (found is not None and found.alert) is alert


def test_sentence_goes_with_near(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r\ntitle: T\nterms:\n  a: [x]\n  b: [y]\nmatch:\n  all: [a, b]\n  sentence: true\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="`sentence` goes with `near`"):
        load_rules([tmp_path])


def test_a_match_finds_its_hits_once_and_only_when_they_are_read(tmp_path: Path) -> None:
    matcher = matcher_of(tmp_path, TALKS)
    item = Item(id="1", title="محادثات بين بغداد وواشنطن", lang="ar")
    (found,) = matcher.match(item)
    calls: list[int] = []
    read = found._find_hits
    assert read is not None  # an exact rule: judged without its hits
    found._find_hits = lambda: calls.append(1) or read()
    assert calls == []
    assert [hit.text for hit in found.hits] == ["محادثات", "بغداد", "وواشنطن"]
    assert found.hits is found.hits
    assert calls == [1]


NEARS = """
    id: nears
    title: Nears
    terms:
      base: {mode: exact, words: [قاعدة]}
      strike: {mode: exact, words: [قصف]}
      drone: {mode: exact, words: [مسيرة]}
      rocket: {mode: exact, words: [صاروخ]}
      claim: {mode: exact, words: [تبنى]}
    match:
      all:
        - {near: [base, strike], within: 2}
        - any: [{near: [drone, rocket], within: 2}, claim]
"""


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("قصف قاعدة بطائرة مسيرة و صاروخ", True),
        ("قصف قاعدة وفصيل تبنى الهجوم", True),
        ("قصف قاعدة بطائرة مسيرة ثم بعد ساعة صاروخ", False),  # the inner near fails
        ("قصف ثم بعد ساعة قاعدة ومسيرة صاروخ", False),  # the outer near fails
    ],
)
def test_a_near_inside_any_is_judged_in_full_when_the_required_near_passes(
    tmp_path: Path, title: str, expected: bool
) -> None:
    found = only(matcher_of(tmp_path, NEARS).match(Item(id="x", title=title)), "nears")
    assert (found is not None) is expected
    assert found is None or [hit.term for hit in found.hits][:2] == ["strike", "base"]


ANCHORED_NEAR = """
    id: anchored
    title: Anchored near
    terms:
      base: {mode: exact, words: [قاعدة]}
      strike: {mode: exact, words: [قصف]}
    match:
      near: [base, strike]
      within: 2
    anchor: [title]
"""


@pytest.mark.parametrize(
    ("title", "body", "alert"),
    [
        ("قصف قاعدة", "", True),
        ("خبر عاجل", "قصف قاعدة", False),  # a mention: the near holds in the body alone
        ("قاعدة في الشمال", "قصف قاعدة", False),
    ],
)
def test_a_near_held_outside_the_anchor_is_a_mention(
    tmp_path: Path, title: str, body: str, alert: bool
) -> None:
    item = Item(id="x", title=title, content=body)
    found = only(matcher_of(tmp_path, ANCHORED_NEAR).match(item), "anchored")
    assert found is not None and found.alert is alert


def test_the_same_matches_when_the_pairs_of_spellings_are_forgotten_as_they_come(
    shipped_matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = batch_items()
    expected = [shipped_matcher.match(item) for item in found]
    remembering = Matcher(shipped_matcher.rules)
    for item in found:
        remembering.match(item)
    monkeypatch.setattr(spellings, "PAIRS_CACHED", 1)
    forgetful = Matcher(shipped_matcher.rules)
    assert [forgetful.match(item) for item in found] == expected
    assert any(expected)  # the shipped rules' phrases do match the seeds
    # each item's pairs are learned afresh: the last item's are all that is kept
    assert 0 < len(forgetful._spellings._pairs) < len(remembering._spellings._pairs)
