"""Shell completion, as the README documents it: the real command, in a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import ROOT


def _complete(env: dict[str, str]) -> str:
    script = "from monitor.cli import main; main(prog_name='monitor')"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout


def test_bash_completion_script_is_printed() -> None:
    script = _complete({"_MONITOR_COMPLETE": "bash_source"})
    assert "_monitor_completion()" in script
    assert "complete " in script


def test_subcommands_complete() -> None:
    words = {"COMP_WORDS": "monitor ru", "COMP_CWORD": "1", "_MONITOR_COMPLETE": "bash_complete"}
    assert _complete(words).split() == ["plain,rules", "plain,run"]


def test_the_readme_tells_how_to_turn_completion_on() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shells = re.findall(r"_MONITOR_COMPLETE=(\w+)_source monitor", readme)
    assert {"bash", "zsh", "fish"} <= set(shells)
    for shell in shells:
        assert "monitor" in _complete({"_MONITOR_COMPLETE": f"{shell}_source"})
