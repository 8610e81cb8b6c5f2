"""The pipeline and memory benchmarks run end to end on small backlogs with real workers and
a real destination, and give every figure `monitor bench` prints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from monitor.bench import memory, pipeline
from tests.conftest import ALJAZEERA, RULES_DIR
from tests.processes import CEILING, ROOT, alive, children_of, start_monitor, stop, wait_until

needs_corpus = pytest.mark.skipif(not ALJAZEERA.exists(), reason="needs the Al Jazeera corpus")


def _bench_keys(client: redis.Redis) -> set[str]:
    """Keys and RQ queue names that name a benchmark's prefix."""
    keys = {key.decode() for key in client.scan_iter(match="*monitor-bench*")}
    queues = {
        name.decode()
        for key in client.scan_iter(match="*rq:queues")
        for name in client.smembers(key)
        if b"monitor-bench" in name
    }
    return keys | queues


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    with ALJAZEERA.open(encoding="utf-8") as corpus:
        lines = [corpus.readline() for _ in range(150)]
    (tmp_path / "slice.jsonl").write_text("".join(lines), encoding="utf-8")
    return tmp_path / "slice.jsonl"


@needs_corpus
def test_a_small_drain_and_steady_run_give_every_figure(redis_url: str, small_corpus: Path) -> None:
    plan = pipeline.PipelinePlan(items=200, workers=(1,), rate=100.0, latency_seconds=1.0)
    said: list[str] = []
    with redis.Redis.from_url(redis_url) as client:
        before = _bench_keys(client)

        found = pipeline.figures(redis_url, RULES_DIR, small_corpus, plan, said.append)

        assert _bench_keys(client) <= before  # nothing of its queues left in a shared Redis

    by_name = {(f.figure, f.params.get("path", "monitor")): f for f in found}
    assert set(by_name) == {
        ("items_per_s", "redis_list"),
        ("items_per_s", "monitor"),
        ("cpu_ms_per_item", "monitor"),
        ("ratio_vs_redis_list", "monitor"),
        ("start_s", "monitor"),
        ("p50_ms", "monitor"),
        ("p99_ms", "monitor"),
    }
    assert all(f.bench == "pipeline" and f.value > 0 for f in found)
    assert by_name[("items_per_s", "monitor")].params["items"] == 200  # every item matched
    # the marked items alert, and the shipped rules on few others
    assert 0.05 <= by_name[("items_per_s", "monitor")].params["alerting"] < 0.2
    # one item in 20 alerts; each of the 100 queued at a steady rate was delivered, or was
    # grouped into a story already sent
    assert 0 < by_name[("p50_ms", "monitor")].params["alerts"] <= 100 // pipeline.ALERTING_EVERY
    assert by_name[("p50_ms", "monitor")].value <= by_name[("p99_ms", "monitor")].value
    assert len(said) == 3  # the list, the drain, the latency


@needs_corpus
def test_memory_figures_with_and_without_generated_rules(
    redis_url: str, small_corpus: Path
) -> None:
    plan = memory.MemoryPlan(generated=(0, 50), items=100)

    found = memory.figures(redis_url, RULES_DIR, small_corpus, plan, lambda _: None)

    got = {(f.figure, f.params["rules"], f.params.get("when")) for f in found}
    shipped = len(list(RULES_DIR.glob("*.yaml")))
    assert got == {
        ("rss_mb", shipped, "warm"),
        ("rss_mb", shipped, "after 100 items"),
        ("redis_bytes_per_item", shipped, None),
        ("rss_mb", shipped + 50, "warm"),
        ("rss_mb", shipped + 50, "after 100 items"),
    }
    assert all(f.value > 0 for f in found)


def test_the_command_names_a_missing_corpus(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "bench", "match", "--corpus", str(tmp_path / "no.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CEILING,
    )
    assert done.returncode == 1
    assert f"{tmp_path / 'no.jsonl'}: no such corpus" in done.stderr
    assert "Traceback" not in done.stderr


@needs_corpus
def test_the_command_prints_one_json_object_per_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "bench", "pipeline", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CEILING,
        env={**os.environ, "MONITOR_RULES": str(RULES_DIR)},
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {row["figure"] for row in rows} >= {"items_per_s", "p50_ms", "p99_ms"}
    assert all({"bench", "figure", "value", "unit"} <= set(row) for row in rows)
    assert "cores" in done.stderr  # the machine, with the progress


@needs_corpus
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_benchmark_told_to_stop_stops_its_workers_and_redis_first(tmp_path: Path) -> None:
    env = {**os.environ, "MONITOR_RULES": str(RULES_DIR), "MONITOR_HOME": str(tmp_path)}
    env.pop("REDIS_URL", None)  # its own Redis, a child of its own
    bench = start_monitor("bench", "pipeline", "--quick", env=env)
    children: dict[int, str] = {}
    try:
        wait_until(
            lambda: any(" work" in command for command in children_of(bench.pid).values()),
            "the benchmark's workers to start",
        )
        children = children_of(bench.pid)
        assert any("redis-server" in command for command in children.values()), children
        os.kill(bench.pid, signal.SIGTERM)  # the process alone, as `kill PID` sends it
        assert bench.wait(CEILING) != 0
        wait_until(
            lambda: not any(map(alive, children)),
            lambda: f"its children to end: {[c for p, c in children.items() if alive(p)]}",
        )
    finally:
        stop(bench, signal.SIGKILL)
        for pid in filter(alive, children):  # Redis runs in a session of its own
            os.kill(pid, signal.SIGKILL)


@needs_corpus
def test_generated_rules_are_measured_beside_the_rules_given(
    redis_url: str, small_corpus: Path
) -> None:
    plan = pipeline.PipelinePlan(
        items=100, workers=(1,), rate=100.0, latency_seconds=1.0, generated=(40,)
    )

    found = pipeline.figures(redis_url, RULES_DIR, small_corpus, plan, lambda _: None)

    measured = [f for f in found if f.params.get("path") != "redis_list"]
    shipped = len(list(RULES_DIR.glob("*.yaml")))
    assert {f.params["rule_files"] for f in measured} == {shipped + 40}
    assert {f.params["generated"] for f in measured} == {40}
    drained = next(f for f in measured if f.figure == "items_per_s")
    assert drained.params["items"] == 100
    # rules written from the corpus's own words alert on more than the marked items
    assert drained.params["alerting"] > 1 / pipeline.ALERTING_EVERY
