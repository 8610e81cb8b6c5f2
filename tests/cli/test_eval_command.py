"""`monitor eval` on a terminal: a progress bar while the items are matched."""

from __future__ import annotations

import os

from tests.cli.terminal import on_a_terminal
from tests.conftest import ROOT


def test_a_terminal_shows_progress() -> None:
    labelled = ROOT / "tests" / "data" / "eval" / "asad.jsonl"
    returncode, shown = on_a_terminal("eval", "--quiet", str(labelled), env=dict(os.environ))
    assert returncode == 0, shown
    assert "matching" in shown and "100%" in shown
