from __future__ import annotations

import json
import random
from itertools import islice

import pytest

from monitor.text import lead as lead_module
from monitor.text.lead import (
    FIRST_SENTENCE_WORDS,
    LEAD_MAX_WORDS,
    LEAD_WORDS,
    opening_length,
    word_count,
)
from tests.conftest import ALJAZEERA, SEEDS


def lead(text: str) -> str:
    return text[: opening_length(text)]


def test_a_short_body_is_all_lead() -> None:
    assert lead("جملة قصيرة.") == "جملة قصيرة."


def test_an_abbreviation_does_not_cut_the_lead_before_its_key_word() -> None:
    body = "Rockets struck near a base hosting U.S. forces at Ain al-Asad in western Iraq."
    assert lead(body) == body


def test_whole_sentences_until_the_word_budget() -> None:
    first = " ".join(["word"] * (LEAD_WORDS - 5)) + "."
    second = " Ain al-Asad was hit by three rockets on Monday."
    third = " Other " + " ".join(["words"] * 30) + "."
    assert lead(first + second + third) == first + second


def test_a_paragraph_set_body_takes_the_rest_of_the_first_paragraph() -> None:
    first = "Missiles hit a base in western Iraq " + " ".join(["word"] * LEAD_WORDS) + "."
    claim = " The Islamic Resistance in Iraq claimed the attack."
    later = "\n\nOfficials gave no toll " + " ".join(["word"] * 10) + "."
    assert lead(first + claim + later) == first + claim


def test_only_the_first_paragraph_is_taken_to_its_end() -> None:
    first = "Drones hit a base in the Golan overnight, the group said in a statement."
    second = "\n\nThe army said the drone came from the east " + " ".join(["word"] * 25) + "."
    aside = " It was the deadliest attack attributed to the militias this year."
    assert lead(first + second + aside) == first + second


def test_the_rest_of_a_paragraph_stays_within_the_most_words() -> None:
    first = "Missiles hit a base " + " ".join(["word"] * LEAD_WORDS) + "."
    long = " More " + " ".join(["words"] * LEAD_MAX_WORDS) + "."
    assert lead(first + long + "\n\nNext paragraph here, with words enough.") == first


def test_a_long_first_sentence_is_kept_whole() -> None:
    first = "قال مسؤول " + " ".join(["كلمة"] * 70) + " قاعدة عين الأسد."
    assert lead(first + " جملة ثانية.") == first


def test_a_sentence_without_end_is_cut_at_a_word() -> None:
    body = " ".join(["كلمة"] * (FIRST_SENTENCE_WORDS + 50))
    assert len(lead(body).split()) == FIRST_SENTENCE_WORDS


def test_short_paragraphs_do_not_pull_the_third_into_the_lead() -> None:
    body = (
        "Drones targeted a base in western Iraq on Tuesday.\n\n"
        "No casualties were reported, an official said.\n\n"
        "In January, an earlier attack on Ain al-Asad injured several soldiers."
    )
    assert "earlier attack" not in lead(body)
    assert "No casualties" in lead(body)


def test_a_dateline_line_is_no_paragraph() -> None:
    body = (
        "Sudani meets Pentagon chief on ending the coalition's mission\n"
        "Tuesday 16 April 2024 - 10:26\n"
        "Iraq's prime minister discussed with the US defence secretary the talks."
    )
    assert lead(body) == body


BLANKS = [" ", "  ", "\n", "\t", "\xa0", "\u2009", "\u3000", "\r\n", "\u2028"]
WORDS = ["قصف", "عين", "U.S.", "Gen.", "3", "،", "."]


@pytest.mark.parametrize("seed", range(30))
def test_word_count_is_that_of_split(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(BLANKS if n % 2 else WORDS) for n in range(rng.randrange(0, 40)))
    text = rng.choice(["", " ", "\n"]) + text + rng.choice(["", " ", "  "])
    assert word_count(text) == len(text.split())


def test_every_blank_but_the_space_is_unprintable() -> None:
    """What word_count's quick way rests on."""
    blanks = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert [c for c in blanks if c.isprintable()] == [" "]


def test_a_list_of_other_stories_is_no_part_of_the_lead() -> None:
    body = "أخبار ذات صلة\n\nطائرة مسيرة تستهدف قاعدة حرير شمالي أربيل\n\nقصف تركي على كاني ماسي"
    assert lead(body) == ""
    story = "A drone hit the base on Sunday.\n\nRelated:\n\nTurkish shelling hits Duhok villages"
    assert lead(story) == "A drone hit the base on Sunday."


def test_the_words_of_such_a_header_inside_a_sentence_do_not_cut_it() -> None:
    body = "Officials said they would read more reports before deciding. The base was hit."
    assert lead(body) == body


def test_a_line_of_tags_ends_the_lead() -> None:
    body = (
        "By staff | Aug 2, 2025\n\nTags: Ain al-Asad, Drone attack, Water\n\nFarmers count losses."
    )
    assert lead(body) == "By staff | Aug 2, 2025"


def test_a_list_past_the_lead_leaves_the_lead_as_it_was() -> None:
    paragraph = "Rockets struck near the base on Sunday, officials said, and no one was hurt."
    body = "\n\n".join([paragraph] * 5 + ["Related", "Turkish shelling hits Duhok villages"])
    assert lead(body) == lead("\n\n".join([paragraph] * 5))


def test_the_list_is_looked_for_at_line_starts_as_a_search_finds_it() -> None:
    texts = [seed.read_text(encoding="utf-8") for seed in SEEDS]
    texts += [
        "Related",
        "  read more:\nx",
        "a\nb\n\tTags: x",
        "x\n\nاقرأ أيضا\n",
        "no list\n",
        "\n\nRelated stories…",
        "said. Related\nRead also",
        "\r\nSee also\r\n",
    ]
    if ALJAZEERA.exists():
        with ALJAZEERA.open(encoding="utf-8") as corpus:
            texts += [json.loads(line)["content"] for line in islice(corpus, 300)]
    for text in texts:
        for end in {len(text), len(text) // 2, text.find("\n") % (len(text) + 1)}:
            found = lead_module._other_stories(text, end)
            expected = lead_module._OTHER_STORIES.search(text, 0, end)
            assert (found and found.span()) == (expected and expected.span()), (text, end)
    assert any(lead_module._other_stories(text, len(text)) for text in texts[len(SEEDS) :])
