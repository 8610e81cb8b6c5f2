"""`monitor match` and `monitor rules` as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import SEEDS
from tests.processes import monitor


def test_seeds_as_json() -> None:
    result = monitor("match", "--json", *map(str, SEEDS))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [seed.stem for seed in SEEDS]
    for row in rows:
        assert "us-iraq-talks" in row["alerts"]
        assert "ain-al-asad-strike" not in row["alerts"]
        talks = next(m for m in row["matches"] if m["rule"] == "us-iraq-talks")
        assert talks["alert"] is True and talks["score"] > 0
        assert {"field", "start", "end", "text"} == set(talks["hits"][0])


def test_hit_spans_quote_the_seed_text() -> None:
    result = monitor("match", "--json", str(SEEDS[0]))
    row = json.loads(result.stdout)
    lines = SEEDS[0].read_text(encoding="utf-8").strip().splitlines()
    title = lines[0]
    for hit in row["matches"][0]["hits"]:
        if hit["field"] == "title":
            assert title[hit["start"] : hit["end"]] == hit["text"]


def test_jsonl_on_stdin_without_ids() -> None:
    lines = [
        {"title": "Rockets hit Ain al-Asad air base", "lang": "en"},
        {"id": "b", "title": "Weather in Basra", "summary": "Sunny"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = monitor("match", "--json", "-", stdin=stdin)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["stdin:1", "b"]
    assert rows[0]["alerts"] == ["ain-al-asad-strike"]
    assert rows[1]["alerts"] == []


def test_rss_file(tmp_path: Path) -> None:
    feed = tmp_path / "news.xml"
    feed.write_text(
        """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><language>ar</language>
<item><guid>g1</guid><title>قصف &lt;b&gt;عين الأسد&lt;/b&gt; بالصواريخ</title>
<link>https://example.com/1</link><description>&lt;p&gt;سقطت صواريخ.&lt;/p&gt;</description></item>
</channel></rss>""",
        encoding="utf-8",
    )
    result = monitor("match", "--json", str(feed))
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["id"] == "g1"
    assert row["alerts"] == ["ain-al-asad-strike"]


def test_readable_output_highlights_hits() -> None:
    result = monitor("match", str(SEEDS[1]))
    assert result.returncode == 0
    assert "us-iraq-talks: ALERT" in result.stdout
    assert "ain-al-asad-strike: mention" in result.stdout


def test_explain_says_why() -> None:
    result = monitor("match", "--explain", "ain-al-asad-strike", str(SEEDS[0]))
    assert result.returncode == 0, result.stderr
    assert "rule ain-al-asad-strike: mention" in result.stdout
    assert "anchor: to alert, the expression must hold in title, lead" in result.stdout
    assert "base: body:'عين الأسد'" in result.stdout


def test_explain_unknown_rule() -> None:
    result = monitor("match", "--explain", "nope", str(SEEDS[0]))
    assert result.returncode == 2
    assert "no rule 'nope'" in result.stderr


def test_bad_input_is_reported_and_others_still_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "ok"}\n{not json}\n', encoding="utf-8")
    result = monitor("match", "--json", str(bad), str(SEEDS[0]))
    assert result.returncode == 1
    assert f"{bad}:2: invalid JSON" in result.stderr
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == ["a", SEEDS[0].stem]


def test_rules_check_and_test_on_shipped_rules() -> None:
    assert "rule(s) OK" in monitor("rules", "check").stdout
    result = monitor("rules", "test", "rules")
    assert result.returncode == 0, result.stderr
    assert " 0 failed" in result.stdout


def test_rules_check_reports_every_error_with_its_place(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\ntitle: A\nterms:\n  x: [y]\nmatch: {nearr: x}\n")
    (tmp_path / "b.yaml").write_text("id: b\ntitle: B\nterms:\n  x: {regex: ['(']}\nmatch: x\n")
    result = monitor("rules", "check", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'a.yaml'}:5:9: unknown key 'nearr'" in result.stderr
    assert f"{tmp_path / 'b.yaml'}:4:15: bad regex '(': missing ): (" in result.stderr


def test_rules_test_reports_failing_inline_test(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "id: a\ntitle: A\nterms:\n  x: [Baghdad]\nmatch: x\n"
        "tests:\n  match:\n    - Erbil today\n  no_match:\n    - Basra\n"
    )
    result = monitor("rules", "test", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'a.yaml'}:8:7: test failed: rule 'a' expected match, got none" in (
        result.stderr
    )
    assert "1 passed, 1 failed" in result.stdout


def test_rules_from_environment(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: only\ntitle: A\nterms:\n  x: [Baghdad]\nmatch: x\n")
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "match", "--json", "-"],
        input='{"id": "1", "title": "Baghdad"}\n',
        capture_output=True,
        text=True,
        env={"MONITOR_RULES": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        timeout=60,
    )
    assert json.loads(result.stdout)["alerts"] == ["only"], result.stderr
