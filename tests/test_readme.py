"""The README's worked example rule is a real rule whose tests pass."""

from __future__ import annotations

import re
from pathlib import Path

from monitor.rules.loader import load_rules
from monitor.rules.tester import run_rule_tests
from tests.conftest import ROOT


def test_worked_example_rule(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Writing rules.*?```yaml\n(.*?)```", readme, re.S)
    assert example is not None
    (tmp_path / "example.yaml").write_text(example.group(1), encoding="utf-8")
    rules = load_rules([tmp_path])
    report = run_rule_tests(rules)
    assert report.failures == []
    assert report.ran == 5
