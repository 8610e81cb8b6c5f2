"""The pipeline benchmark runs end to end on a small backlog: real workers drain it (it
checks every item was matched) and it prints its figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ALJAZEERA
from tests.processes import CEILING, ROOT


@pytest.mark.skipif(not ALJAZEERA.exists(), reason="needs the shared Al Jazeera corpus")
def test_a_small_drain_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "bench/pipeline_bench.py", "--items", "120", "--workers", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CEILING,
    )
    assert done.returncode == 0, done.stderr
    figures = {row["figure"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert set(figures) == {
        "items_per_s",
        "cpu_ms_per_item",
        "ratio_vs_redis_list",
        "redis_list_items_per_s",
    }
    assert all(row["bench"] == "pipeline" and row["value"] > 0 for row in figures.values())
    assert figures["items_per_s"]["workers"] == 1 and figures["items_per_s"]["items"] == 120
