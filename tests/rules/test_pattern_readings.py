"""The prefilter's readings of the shipped patterns kept in a file: a second build takes them
from it and reads nothing, with the same matches; a file of another version, a broken one
or a home that cannot be written only leaves the patterns to be read again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.inputs import read_items
from monitor.rules import pattern_readings, prefilter
from monitor.rules.reloader import RuleReloader
from tests.conftest import RULES_DIR, SEEDS


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The sources the prefilter reads from here on, starting with none known."""
    read: list[str] = []
    reader = prefilter._read

    def counted(source: str) -> tuple[prefilter.Clause, ...]:
        read.append(source)
        return reader(source)

    prefilter.forget_readings()
    monkeypatch.setattr(prefilter, "_read", counted)
    yield read
    prefilter.forget_readings()


def matches(rules: RuleReloader) -> list[list[tuple[str, bool, float]]]:
    found = rules.matcher.match_many(list(read_items(map(str, SEEDS))))
    return [[(m.rule, m.alert, m.score) for m in item] for item in found]


def test_a_second_build_takes_the_kept_readings_and_reads_no_pattern(
    tmp_path: Path, reads: list[str]
) -> None:
    kept = pattern_readings.readings_file(tmp_path)
    first = RuleReloader([RULES_DIR], kept)
    assert kept.exists() and len(reads) > 300  # the shipped rules' patterns
    readings = prefilter.readings()
    prefilter.forget_readings()
    reads.clear()
    second = RuleReloader([RULES_DIR], kept)
    assert reads == []
    assert prefilter.readings() == readings
    assert matches(second) == matches(first)


def test_a_build_without_a_file_reads_every_pattern(tmp_path: Path, reads: list[str]) -> None:
    RuleReloader([RULES_DIR], pattern_readings.readings_file(tmp_path))
    prefilter.forget_readings()
    reads.clear()
    RuleReloader([RULES_DIR])
    assert len(reads) > 300


def _broken(kept: Path, how: str) -> None:
    data = json.loads(kept.read_text(encoding="utf-8"))
    source = next(iter(data["readings"]))
    if how == "version":
        data["reader"] = "3.0.0:0000"
    elif how == "clause":
        data["readings"][source] = ["not a list of strings"]
    elif how == "shape":
        data["readings"] = [source]
    kept.write_text(json.dumps(data), encoding="utf-8")
    if how == "cut":
        kept.write_bytes(kept.read_bytes()[:1000])


@pytest.mark.parametrize("how", ["version", "clause", "shape", "cut"])
def test_a_file_of_another_version_or_broken_is_passed_over_and_written_anew(
    tmp_path: Path, reads: list[str], how: str
) -> None:
    kept = pattern_readings.readings_file(tmp_path)
    first = RuleReloader([RULES_DIR], kept)
    readings = prefilter.readings()
    _broken(kept, how)
    prefilter.forget_readings()
    reads.clear()
    assert pattern_readings.recall(kept) == frozenset()
    second = RuleReloader([RULES_DIR], kept)
    assert len(reads) > 300
    assert prefilter.readings() == readings
    assert matches(second) == matches(first)
    prefilter.forget_readings()
    assert pattern_readings.recall(kept) == frozenset(readings)


def test_a_home_that_cannot_be_written_only_leaves_the_patterns_to_read_again(
    tmp_path: Path, reads: list[str]
) -> None:
    (tmp_path / "home").write_text("a file where the home's directory would be")
    kept = pattern_readings.readings_file(tmp_path / "home")
    rules = RuleReloader([RULES_DIR], kept)
    assert not kept.exists() and len(reads) > 300
    assert matches(rules) == matches(RuleReloader([RULES_DIR]))
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]


def test_a_prefilter_whose_code_cannot_be_read_keeps_nothing_and_still_builds(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable() -> str:
        raise FileNotFoundError("prefilter.py")

    monkeypatch.setattr(pattern_readings, "reader_version", unreadable)
    kept = pattern_readings.readings_file(tmp_path)
    rules = RuleReloader([RULES_DIR], kept)
    assert not kept.exists() and len(reads) > 300
    assert not list(tmp_path.rglob("*"))  # no directory made, no temporary file left
    assert matches(rules) == matches(RuleReloader([RULES_DIR]))
