"""`python3 dev.py monitor ...` from another directory: paths the user gives mean what they
say there, and the settings the user leaves out default to the project's files."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

RULE = """\
id: local-only
title: A rule of the user's own
terms:
  base: {mode: exact, words: [الجولة الأولى]}
match: base
"""


@pytest.fixture(autouse=True)
def installed() -> None:
    """dev.py installs the project when .venv is not up to date: no network in tests."""
    stamp = ROOT / ".venv" / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        pytest.skip(".venv is not installed by dev.py for this pyproject.toml")


def _dev(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **env},
        timeout=300,
    )


def test_relative_paths_from_elsewhere_with_the_project_rules(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text(SEEDS[0].read_text(encoding="utf-8"), encoding="utf-8")
    result = _dev("monitor", "match", "--json", "./x.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["id"] == "x" and "us-iraq-talks" in row["alerts"]


def test_settings_the_user_gives_win(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "local.yaml").write_text(RULE, encoding="utf-8")
    (tmp_path / "x.txt").write_text(SEEDS[0].read_text(encoding="utf-8"), encoding="utf-8")
    result = _dev("monitor", "match", "--json", "x.txt", cwd=tmp_path, MONITOR_RULES="rules")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["alerts"] == ["local-only"]


def test_the_projects_bytecode_is_written_where_python_is_told_not_to(tmp_path: Path) -> None:
    cached = Path(importlib.util.cache_from_source(str(ROOT / "monitor" / "clock.py")))
    cached.unlink(missing_ok=True)
    result = _dev("monitor", "--help", cwd=tmp_path, PYTHONDONTWRITEBYTECODE="1")
    assert result.returncode == 0, result.stderr
    assert cached.exists()
