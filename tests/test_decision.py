"""decide(): table-driven over the story, the policy, the last notification and the clock."""

from __future__ import annotations

import random

import pytest

from monitor.decision import Decision, LastNotification, Reason, corroborating_sources, decide
from monitor.notification import Quote
from monitor.rules.model import PolicySpec
from monitor.silence import Silence
from monitor.stories.story import Story, StoryItem

T0 = 1_700_000_000.0


def story(*sources_at: tuple[str, float], rule: str = "r") -> Story:
    items = [
        StoryItem(id=f"i{n}", source=source, title=f"headline {n}", at=at, quote=Quote(text="q"))
        for n, (source, at) in enumerate(sources_at)
    ]
    return Story(id="s1", rule=rule, created=items[0].at, updated=items[-1].at, items=items)


WAIT = PolicySpec(group_wait=30)
REPEAT = PolicySpec(group_wait=30, repeat_after=3600)
CORROBORATE = PolicySpec(group_wait=0, min_sources=2, corroboration_window=600)

CASES = [
    (
        "new story waits",
        story(("a", T0)),
        WAIT,
        None,
        T0 + 10,
        Decision(False, Reason.WAITING, T0 + 30),
    ),
    (
        "new story after wait",
        story(("a", T0)),
        WAIT,
        None,
        T0 + 30,
        Decision(True, Reason.NEW_STORY),
    ),
    (
        "no wait",
        story(("a", T0)),
        PolicySpec(group_wait=0),
        None,
        T0,
        Decision(True, Reason.NEW_STORY),
    ),
    (
        "nothing new since last",
        story(("a", T0)),
        REPEAT,
        LastNotification(update=0, at=T0 + 30, items=1),
        T0 + 99_999,
        Decision(False, Reason.NOTHING_NEW),
    ),
    (
        "updates quiet by default",
        story(("a", T0), ("b", T0 + 60)),
        WAIT,
        LastNotification(update=0, at=T0 + 30, items=1),
        T0 + 99_999,
        Decision(False, Reason.UPDATES_QUIET),
    ),
    (
        "update in cooldown",
        story(("a", T0), ("b", T0 + 60)),
        REPEAT,
        LastNotification(update=0, at=T0 + 30, items=1),
        T0 + 600,
        Decision(False, Reason.COOLDOWN, T0 + 30 + 3600),
    ),
    (
        "update after cooldown",
        story(("a", T0), ("b", T0 + 60)),
        REPEAT,
        LastNotification(update=0, at=T0 + 30, items=1),
        T0 + 30 + 3600,
        Decision(True, Reason.UPDATE),
    ),
    (
        "one source is not corroboration",
        story(("a", T0), ("a", T0 + 5)),
        CORROBORATE,
        None,
        T0 + 10,
        Decision(False, Reason.NOT_CORROBORATED),
    ),
    (
        "two sources within the window",
        story(("a", T0), ("b", T0 + 300)),
        CORROBORATE,
        None,
        T0 + 300,
        Decision(True, Reason.NEW_STORY),
    ),
    (
        "two sources too far apart",
        story(("a", T0), ("b", T0 + 3600)),
        CORROBORATE,
        None,
        T0 + 3600,
        Decision(False, Reason.NOT_CORROBORATED),
    ),
]


@pytest.mark.parametrize(
    ("name", "the_story", "policy", "last", "now", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_decide(
    name: str,
    the_story: Story,
    policy: PolicySpec,
    last: LastNotification | None,
    now: float,
    expected: Decision,
) -> None:
    assert decide(the_story, policy, last, [], now) == expected


def test_waited_skips_the_group_wait_only() -> None:
    assert decide(story(("a", T0)), WAIT, None, [], T0, waited=True) == Decision(
        True, Reason.NEW_STORY
    )
    quiet = decide(story(("a", T0)), CORROBORATE, None, [], T0, waited=True)
    assert quiet.reason is Reason.NOT_CORROBORATED


@pytest.mark.parametrize(
    ("silence", "silenced"),
    [
        (Silence(rule="r", ends=T0 + 100), True),
        (Silence(rule="other", ends=T0 + 100), False),
        (Silence(story="s1", ends=T0 + 100), True),
        (Silence(source="b", ends=T0 + 100), True),
        (Silence(source="z", ends=T0 + 100), False),
        (Silence(text="HEADLINE 1", ends=T0 + 100), True),
        (Silence(rule="r", ends=T0 + 10), False),
        (Silence(rule="r", text="absent", ends=T0 + 100), False),
    ],
)
def test_silences(silence: Silence, silenced: bool) -> None:
    decision = decide(story(("a", T0), ("b", T0)), WAIT, None, [silence], T0 + 50)
    assert (decision.reason is Reason.SILENCED) is silenced


def test_silence_needs_a_target() -> None:
    with pytest.raises(ValueError, match="needs a rule"):
        Silence(ends=T0)


def test_corroborating_sources_counts_distinct_sources() -> None:
    policy = PolicySpec(corroboration_window=100)
    assert corroborating_sources(story(("a", 0), ("b", 50), ("a", 60), ("c", 500)), policy) == 2


def _sources_in_any_window(sources_at: list[tuple[str, float]], window: float) -> int:
    """The definition: for each item, the distinct sources from it to `window` after."""
    return max(
        len({source for source, at in sources_at if first <= at <= first + window})
        for _, first in sources_at
    )


@pytest.mark.parametrize("seed", range(40))
def test_corroborating_sources_is_the_most_in_any_window(seed: int) -> None:
    rng = random.Random(seed)
    window = rng.choice([0.0, 10.0, 100.0, 1000.0])
    sources_at = [
        (rng.choice("abcdef"), float(rng.choice([rng.randrange(0, 2000), 500])))
        for _ in range(rng.randrange(1, 30))
    ]
    expected = _sources_in_any_window(sources_at, window)
    found = corroborating_sources(story(*sources_at), PolicySpec(corroboration_window=window))
    assert found == expected


def test_an_item_without_a_source_counts_as_its_own() -> None:
    policy = PolicySpec(corroboration_window=100)
    assert corroborating_sources(story(("", 0), ("", 10), ("a", 20)), policy) == 3
