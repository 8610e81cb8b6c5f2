"""The rules page from a real worker and a real dashboard: each rule's matches per day and
last match as the worker counted them, and a rules file broken under the running worker
shown with its file and line, then cleared once the file is fixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import redis

from monitor.keyspace import Keyspace
from monitor.rule_activity import note_matches, read_activity
from monitor.rule_reloads import read_record
from monitor.rules.match import Match
from monitor.rules.model import Severity
from tests.conftest import RULES_DIR
from tests.processes import env_for, start_monitor, stop, submit, wait_until
from tests.web.dashboard import dashboard

DAY = 86_400.0
NOON = 20_000 * DAY + DAY / 2
"""A UTC noon, so that an hour either side stays within the day."""

STRIKE = "هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية"
"""A title the Ain al-Asad rule alerts on."""


def match(rule: str, alert: bool) -> Match:
    return Match(rule, alert, 1.0, Severity.HIGH, [])


def test_matches_are_counted_per_day_and_the_last_one_kept(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    batches = [
        (NOON - DAY, [match("a", True), match("a", True), match("b", False)]),
        (NOON, [match("a", True), match("a", False)]),
        (NOON + 3600, [match("b", True)]),
        (NOON + 3600, []),
    ]
    for at, found in batches:
        with redis_client.pipeline(transaction=False) as pipe:
            note_matches(pipe, keys, found, at)
            pipe.execute()
    activity = read_activity(redis_client, keys, ["a", "b", "c"], 3, NOON)
    assert (activity["a"].alerts, activity["a"].mentions) == ([0, 2, 1], [0, 0, 1])
    assert (activity["b"].alerts, activity["b"].mentions) == ([0, 0, 1], [0, 1, 0])
    assert activity["a"].last_alert == NOON and activity["a"].last_mention == NOON
    assert activity["b"].last_alert == NOON + 3600
    assert activity["c"].alerts == [0, 0, 0] and activity["c"].last_alert is None
    assert 0 < redis_client.ttl(keys.rule_matches(int(NOON // DAY))) <= 15 * DAY


def rules_page(url: str) -> dict[str, object]:
    found = httpx.get(url + "/rules", params={"format": "json"}, timeout=60).json()
    assert isinstance(found, dict)
    return found


def rule_row(page: dict[str, object], rule_id: str) -> dict[str, object]:
    rows = page["rules"]
    assert isinstance(rows, list)
    return next(row for row in rows if row["id"] == rule_id)


def test_a_running_worker_counts_rules_and_a_broken_file_shows_on_the_page(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    env = env_for(tmp_path, redis_url, keys.prefix, MONITOR_RULES=str(rules))
    worker = start_monitor("work", env=env)
    try:
        wait_until(lambda: read_record(redis_client, keys), "the worker to load the rules")
        assert submit([{"id": "r1", "title": STRIKE, "source": "one"}], env) == 1
        with dashboard(env) as board:
            wait_until(
                lambda: rule_row(rules_page(board.url), "ain-al-asad-strike")["last_alert"],
                "the worker to count the strike",
            )
            shown = rules_page(board.url)
            assert rule_row(shown, "ain-al-asad-strike")["alerts_per_day"] == [0] * 6 + [1]
            reloads = shown["reloads"]
            assert isinstance(reloads, dict)
            assert reloads["rules"] == len(list(rules.glob("*.yaml"))) and not reloads["error"]

            broken = rules / "us-iraq-talks.yaml"
            good = broken.read_text(encoding="utf-8")
            broken.write_text(good + "\nexpression: [unclosed\n", encoding="utf-8")
            wait_until(lambda: rules_page(board.url)["reloads"]["error"], "the failed reload")  # type: ignore[index]
            failed = rules_page(board.url)
            assert "us-iraq-talks.yaml" in failed["reloads"]["error"]  # type: ignore[index]
            assert "us-iraq-talks.yaml" in str(failed["error"])  # the dashboard's own reading
            html = httpx.get(board.url + "/rules", timeout=60).text
            assert 'id="reload-failed"' in html and "us-iraq-talks.yaml" in html

            broken.write_text(good, encoding="utf-8")
            wait_until(
                lambda: not rules_page(board.url)["reloads"]["error"],  # type: ignore[index]
                "the fixed rules to load",
            )
            assert not rules_page(board.url)["error"]
    finally:
        stop(worker)
