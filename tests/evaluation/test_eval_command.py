"""`monitor eval` on small labelled files: scores, reasons, stories, floors and bad lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.processes import monitor

TALKS_AR = {
    "id": "ar1",
    "title": "انطلاق جولة جديدة من المفاوضات بين بغداد وواشنطن",
    "content": "بدأت في بغداد اليوم جولة جديدة من المفاوضات بين العراق والولايات المتحدة.",
    "lang": "ar",
    "source": "ina",
    "published": "2024-01-27T09:00:00+00:00",
    "expect": ["us-iraq-talks"],
    "event": "round-1",
}
TALKS_AR_COPY = {
    **TALKS_AR,
    "id": "ar2",
    "source": "shafaq",
    "published": "2024-01-27T11:00:00+00:00",
}
MISSED = {
    "id": "en1",
    "title": "A new chapter for Baghdad and Washington, officials say",
    "content": "Officials spoke of a new chapter between the two capitals.",
    "lang": "en",
    "published": "2024-01-28T10:00:00+00:00",
    "expect": ["us-iraq-talks"],
    "event": "round-1",
}
TRAP = {
    "id": "en2",
    "title": "US and Iran hold indirect talks in Oman",
    "lang": "en",
    "expect": [],
}


def write(path: Path, rows: list[Any]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_scores_reasons_and_stories_as_json(tmp_path: Path) -> None:
    labelled = write(tmp_path / "talks.jsonl", [TALKS_AR, TALKS_AR_COPY, MISSED, TRAP])
    result = monitor("eval", "--json", str(labelled))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    talks = next(rule for rule in report["rules"] if rule["rule"] == "us-iraq-talks")
    assert (talks["tp"], talks["fp"], talks["fn"]) == (2, 0, 1)
    assert talks["recall"] == round(2 / 3, 4) and talks["precision"] == 1.0
    (miss,) = talks["errors"]
    assert miss["item"] == "en1" and miss["kind"] == "fn" and miss["reason"]
    within = report["stories"]["within_language"]
    assert (within["tp"], within["fp"]) == (1, 0)
    assert report["items"] == 4


def test_floors_fail_the_run_and_say_which_rule(tmp_path: Path) -> None:
    labelled = write(tmp_path / "talks.jsonl", [TALKS_AR, MISSED])
    result = monitor("eval", "--min-recall", "0.9", str(labelled))
    assert result.returncode == 1
    assert "below the floor: us-iraq-talks: recall 0.500 < 0.9" in result.stderr
    assert "fn en1:" in result.stdout


def test_a_bad_line_is_named_and_the_rest_is_scored(tmp_path: Path) -> None:
    labelled = write(tmp_path / "talks.jsonl", [TALKS_AR, "{not json", {"id": "x", "expect": 3}])
    result = monitor("eval", str(labelled))
    assert result.returncode == 1
    assert f"{labelled}:2: invalid JSON" in result.stderr
    assert f"{labelled}:3: `expect` must be a list of rule ids" in result.stderr
    assert "1 labelled item(s)" in result.stdout


ASAD_STRIKE = {
    "id": "ar3",
    "title": "سقوط صواريخ على قاعدة عين الأسد غربي الأنبار",
    "lang": "ar",
    "published": "2024-01-27T10:00:00+00:00",
    "expect": ["ain-al-asad-strike"],
}


def test_wrong_groupings_are_listed_by_event_and_by_story(tmp_path: Path) -> None:
    # one story for two rounds of talks; one event's reports under two rules' stories
    rows = [TALKS_AR, {**TALKS_AR_COPY, "event": "round-2"}, {**ASAD_STRIKE, "event": "round-1"}]
    labelled = write(tmp_path / "mixed.jsonl", rows)
    text = monitor("eval", str(labelled)).stdout
    assert "  split  round-1: ar1 | ar3" in text
    assert "  merged round-1 (ar1) + round-2 (ar2)" in text
    assert "split " not in monitor("eval", "--quiet", str(labelled)).stdout
    stories = json.loads(monitor("eval", "--json", str(labelled)).stdout)["stories"]
    assert stories["split"] == [{"event": "round-1", "stories": [["ar1"], ["ar3"]]}]
    assert stories["merged"] == [{"events": {"round-1": ["ar1"], "round-2": ["ar2"]}}]
