from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.errors import RuleSetError
from monitor.item import Item
from monitor.rules.loader import load_rules, rule_file_stamps, rule_files
from monitor.rules.reloader import RuleReloader

RULE = "id: r\ntitle: R\nterms:\n  a: {{mode: exact, words: [{word}]}}\nmatch: a\n"


def write(path: Path, text: str, tick: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(tick * 10**9, tick * 10**9))


def alerts(reloader: RuleReloader, title: str) -> list[str]:
    return [m.rule for m in reloader.matcher.match(Item(id="x", title=title))]


def test_reload_takes_a_good_edit(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    write(path, RULE.format(word="Baghdad"), 1)
    reloader = RuleReloader([tmp_path])
    assert alerts(reloader, "Baghdad") == ["r"]
    assert reloader.refresh() is False
    write(path, RULE.format(word="Erbil"), 2)
    assert reloader.refresh() is True
    assert alerts(reloader, "Baghdad") == []
    assert alerts(reloader, "Erbil") == ["r"]


def test_a_look_asked_for_too_soon_after_the_last_is_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    write(path, RULE.format(word="Baghdad"), 1)
    reloader = RuleReloader([tmp_path])
    write(path, RULE.format(word="Erbil"), 2)
    assert reloader.refresh(at_most_every=3600) is False  # built just now: not looked at
    assert alerts(reloader, "Baghdad") == ["r"]
    assert reloader.refresh() is True
    write(path, RULE.format(word="Mosul"), 3)
    assert reloader.refresh(at_most_every=0.0) is True
    assert alerts(reloader, "Mosul") == ["r"]


def test_bad_edit_keeps_the_last_good_set(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    write(path, RULE.format(word="Baghdad"), 1)
    reloader = RuleReloader([tmp_path])
    write(path, "id: r\ntitle: R\nterms:\n  a: [x]\nmatch: {nearr: a}\n", 2)
    assert reloader.refresh() is False
    assert reloader.last_error is not None
    assert f"{path}:5:9: match.nearr: unknown key 'nearr'" in str(reloader.last_error)
    assert alerts(reloader, "Baghdad") == ["r"]
    write(path, RULE.format(word="Erbil"), 3)
    assert reloader.refresh() is True
    assert reloader.last_error is None


def test_deleted_directory_keeps_the_last_good_set(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    write(rules / "r.yaml", RULE.format(word="Baghdad"), 1)
    reloader = RuleReloader([rules])
    (rules / "r.yaml").unlink()
    rules.rmdir()
    assert reloader.refresh() is False
    assert alerts(reloader, "Baghdad") == ["r"]


def test_bad_rules_at_start_raise(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("id: r\n")
    with pytest.raises(RuleSetError):
        RuleReloader([tmp_path])


def test_a_reload_compiles_again_only_the_files_that_changed(tmp_path: Path) -> None:
    kept, edited = tmp_path / "kept.yaml", tmp_path / "edited.yaml"
    write(kept, RULE.format(word="Baghdad"), 1)
    write(edited, RULE.format(word="Erbil").replace("id: r", "id: e"), 1)
    first = {rule.id: rule for rule in load_rules([tmp_path])}
    write(edited, RULE.format(word="Mosul").replace("id: r", "id: e"), 2)
    again = {rule.id: rule for rule in load_rules([tmp_path])}
    assert again["r"] is first["r"]  # the same compiled rule: its file is as it was
    assert again["e"] is not first["e"]
    assert [term.text for group in again["e"].groups for term in group.terms] == ["Mosul"]


def test_a_file_with_an_error_reports_it_at_every_load(tmp_path: Path) -> None:
    write(tmp_path / "bad.yaml", "id: b\ntitle: B\nmatch: nothing\n", 1)
    for _ in range(2):
        with pytest.raises(RuleSetError, match=r"bad\.yaml"):
            load_rules([tmp_path])


def test_rules_files_are_found_at_any_depth_in_path_order_and_symlinked_folders_skipped(
    tmp_path: Path,
) -> None:
    for name in ["b/y.yml", "a/x.yaml", "a-b.yaml", "a/.hidden.yaml", "notes.txt", "c/z.YAML"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "linked.yaml").symlink_to(tmp_path / "a/x.yaml")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "elsewhere").symlink_to(tmp_path / "b", target_is_directory=True)
    found = [str(path.relative_to(tmp_path)) for path in rule_files([tmp_path])]
    # By path components, as before: "a/…" ahead of "a-b.yaml", unlike a sort of strings.
    assert found == ["a/.hidden.yaml", "a/x.yaml", "a-b.yaml", "b/y.yml", "linked.yaml"]


def test_the_files_stamped_are_the_files_found(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    for name in ("b.yaml", "a.yml", "deep/c.yaml", "deep/er/d.yaml", "notes.txt"):
        write(tmp_path / name, RULE.format(word="Baghdad"), 1)
    (tmp_path / "deep" / "dir.yaml").mkdir()  # a directory, however named, is no file
    single = tmp_path / "deep" / "c.yaml"
    stamps = rule_file_stamps([tmp_path, single])
    assert [name for name, _, _ in stamps] == sorted(map(str, rule_files([tmp_path, single])))
    write(tmp_path / "deep" / "er" / "d.yaml", RULE.format(word="Erbil"), 2)
    changed = {name: (time, size) for name, time, size in rule_file_stamps([tmp_path])}
    edited = len(RULE.format(word="Erbil").encode())
    assert changed[str(tmp_path / "deep" / "er" / "d.yaml")] == (2 * 10**9, edited)
    with pytest.raises(RuleSetError):
        rule_file_stamps([tmp_path / "gone.yaml"])
