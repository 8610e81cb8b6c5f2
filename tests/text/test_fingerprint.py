"""The fingerprint's weights: rounded as Python rounds them, the heaviest kept in order,
and the same whether a word's stems were kept or worked out again."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.text import fingerprint as module
from monitor.text.fingerprint import DIGITS, TOP_TERMS, fingerprint, rounded

WIRE = (
    "قصف صاروخي يستهدف قاعدة عين الأسد الجوية غربي العراق، وفصيل مسلح يتبنى الهجوم في بيان "
    "قال فيه إن الضربة جاءت ردا على الغارات الأمريكية على مواقع الحشد الشعبي قرب القائم"
)


def test_weights_are_rounded_as_python_rounds_them_halves_and_all() -> None:
    rng = np.random.default_rng(7)
    halves = (np.arange(20_000) + 0.5) / 10**DIGITS  # a half unit, as near as a float gets
    values = np.concatenate([rng.random(50_000), halves, rng.random(500) * 1e-6, [0.0, 1.0]])
    assert rounded(values) == [round(float(value), DIGITS) for value in values]


def _reference(text: str) -> dict[str, float]:
    """The fingerprint worked out the plain way: every weight rounded by round()."""
    idf, unseen = module.inverse_frequencies()
    counts: dict[str, int] = {}
    for stem in module.features(text):
        counts[stem] = counts.get(stem, 0) + 1
    weights = {stem: (1 + math.log(n)) * idf.get(stem, unseen) for stem, n in counts.items()}
    top = sorted(weights.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_TERMS]
    norm = math.sqrt(sum(weight * weight for _, weight in top)) or 1.0
    return {stem: round(weight / norm, DIGITS) for stem, weight in top if weight > 0}


@pytest.mark.parametrize(
    "text",
    [WIRE, WIRE * 6, "Rockets hit Ain al-Asad air base in western Iraq", "", "و في من"],
)
def test_a_fingerprint_is_the_plain_tf_idf_of_its_heaviest_stems_in_order(text: str) -> None:
    found = fingerprint(text)
    assert list(found.items()) == list(_reference(text).items())
    assert len(found) <= TOP_TERMS


def test_the_same_fingerprint_when_the_stems_kept_are_forgotten_as_they_come(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = fingerprint(WIRE)
    monkeypatch.setattr(module, "STEMS_CACHED", 1)
    monkeypatch.setattr(module, "_STEMS", {})
    assert list(fingerprint(WIRE).items()) == list(expected.items())
    assert len(module._STEMS) == 1
