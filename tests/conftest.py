"""Shared fixtures: the seed articles, the shipped rules and the background corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "tests" / "data" / "seeds").glob("*.txt"))
RULES_DIR = ROOT / "rules"
ALJAZEERA = ROOT.parent / "shared" / "corpus" / "aljazeera" / "articles.jsonl"


@pytest.fixture(scope="session")
def shipped_rules() -> list[Rule]:
    return load_rules([RULES_DIR])


@pytest.fixture(scope="session")
def shipped_matcher(shipped_rules: list[Rule]) -> Matcher:
    return Matcher(shipped_rules)
