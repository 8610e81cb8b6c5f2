"""`monitor match` and `monitor rules` as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from monitor.cli import main
from tests.conftest import RULES_DIR, SEEDS
from tests.processes import CEILING, monitor


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


def test_piped_output_marks_hits_in_guillemets_without_terminal_codes() -> None:
    result = monitor("match", str(SEEDS[0]))  # a seed whose text has no « » of its own
    assert result.returncode == 0, result.stderr
    assert "us-iraq-talks: ALERT" in result.stdout
    assert "«العراقي»" in result.stdout
    assert "\x1b[" not in result.stdout


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
    assert f"{tmp_path / 'a.yaml'}:5:9: match.nearr: unknown key 'nearr'" in result.stderr
    assert (
        f"{tmp_path / 'b.yaml'}:4:15: terms.x.regex[0]: bad regex '(': a ( is never closed"
        in result.stderr
    )


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
        timeout=CEILING,
    )
    assert json.loads(result.stdout)["alerts"] == ["only"], result.stderr


def _match(*args: str, rules: Path = RULES_DIR, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["match", "--rules", str(rules), *args], input=stdin)


def _rules(tmp_path: Path, words: str) -> Path:
    """A rules directory of one rule `r` that alerts on any of `words`, anywhere."""
    (tmp_path / "r.yaml").write_text(f"id: r\ntitle: R\nterms:\n  x: [{words}]\nmatch: x\n")
    return tmp_path


def test_a_bad_line_is_told_and_the_lines_after_it_are_still_matched(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "title": "Rockets hit Ain al-Asad air base"}\n{not json}\n'
        '{"id": "b", "title": 5}\n{"id": "c", "title": "Weather in Basra"}\n',
        encoding="utf-8",
    )
    result = _match("--json", str(bad))
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "c"]
    assert result.stderr.splitlines() == [
        f"error: {bad}:2: invalid JSON: Expecting property name enclosed in double quotes"
        " (column 2)",
        f"error: {bad}:3: title: 5 is not text",
    ]


def test_bad_lines_on_stdin_are_told_and_the_rest_shown_with_a_summary() -> None:
    stdin = '{"id": "a", "title": "Rockets hit Ain al-Asad air base"}\n[]\n{"id": "b"}\n'
    result = _match("-", stdin=stdin)
    assert result.exit_code == 1
    assert result.stderr == "error: <stdin>:2: expected a JSON object\n"
    assert result.stdout.splitlines()[-1] == ("2 items: 1 alerted (ain-al-asad-strike 1), 1 error")


def test_seeds_are_one_short_block_each_with_mentions_folded() -> None:
    result = _match(*map(str, SEEDS))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= 70  # 223 before: a line for every word found
    for seed in SEEDS:
        assert sum(line.startswith(seed.stem) for line in lines) == 1
    assert result.stdout.count("us-iraq-talks: ALERT") == len(SEEDS)
    assert ": mention" not in result.stdout
    assert "  +4 mentions (--all to show): " in result.stdout
    assert lines[-1] == ("5 items: 5 alerted (coalition-withdrawal 5, us-iraq-talks 5), 0 errors")


def test_all_shows_the_mentions_after_the_alerts() -> None:
    result = _match("--all", str(SEEDS[0]))
    assert result.exit_code == 0, result.stderr
    rules = [line.split(":")[0].strip() for line in result.stdout.splitlines() if ": " in line]
    assert rules[:2] == ["us-iraq-talks", "coalition-withdrawal"]
    assert "ain-al-asad-strike: mention (low, score 11)" in result.stdout
    assert "«عين الأسد»" in result.stdout
    assert "--all to show" not in result.stdout


def test_each_rule_once_with_near_hits_in_one_snippet_and_far_ones_apart(tmp_path: Path) -> None:
    filler = " ".join(["word"] * 40)
    item = {
        "id": "i",
        "title": "Baghdad and Erbil talk",
        "summary": "Talks today.",
        "content": f"Erbil {filler} Baghdad.",
    }
    result = _match("-", rules=_rules(tmp_path, "Baghdad, Erbil"), stdin=json.dumps(item))
    assert result.exit_code == 0, result.stderr
    block = result.stdout.splitlines()
    assert block[0] == "i  Baghdad and Erbil talk"
    assert block[1].startswith("  r: ALERT (")
    assert block[2] == "    title  «Baghdad» and «Erbil» talk"
    assert block[3].startswith("    body   «Erbil» word word")
    assert block[3].endswith("word…")
    assert block[4].startswith("    body   …word word")
    assert block[4].endswith("word «Baghdad».")
    assert block[5] == ""


def test_arabic_snippets_are_cut_between_words(tmp_path: Path) -> None:
    words = "انطلقت الجولة الأولى للحوار الثنائي بين العراق والولايات المتحدة اليوم"
    body = " ".join([words] * 3) + " وقصفت صواريخ قاعدة الحرير " + " ".join([words] * 3)
    item = {"id": "ar", "title": "خبر", "content": body}
    result = _match("-", rules=_rules(tmp_path, "قاعدة الحرير"), stdin=json.dumps(item))
    (snippet,) = [line for line in result.stdout.splitlines() if "«" in line]
    shown = snippet.split(maxsplit=1)[1].strip("…").replace("«", "").replace("»", "")
    assert set(shown.split()) <= set(body.split())
    assert "«قاعدة الحرير»" in snippet
