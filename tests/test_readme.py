"""The README's worked example rule is a real rule whose tests pass."""

from __future__ import annotations

import re
from pathlib import Path

import click

from monitor.cli import main
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


def _readme_commands() -> list[list[str]]:
    """Every `monitor ...` command line the README shows, in code or in its command table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"(?:^|`|\$ |dev\.py )monitor ([^`#\n|]*)", readme, re.M)
    # `monitor ARGS...` stands for any command.
    return [line.split() for line in found if line.strip() and not line.split()[0].isupper()]


def _resolve(words: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """The command path named by `words`, the command, and the words after it."""
    command: click.Command = main
    path, rest = [], list(words)
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        path.append(rest[0])
        command = command.commands[rest.pop(0)]
    return path, command, rest


def _options(command: click.Command) -> set[str]:
    return {name for param in command.params for name in param.opts}


def test_every_command_the_readme_shows_exists_with_its_options() -> None:
    for words in _readme_commands():
        path, command, rest = _resolve(words)
        assert path, f"README shows an unknown command: monitor {' '.join(words)}"
        flags = [word.split("=")[0] for word in rest if word.startswith("--")]
        missing = [flag for flag in flags if flag not in _options(command)]
        assert not missing, f"README: monitor {' '.join(words)}: no option {missing}"


def _every_command(group: click.Group, path: tuple[str, ...] = ()) -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += _every_command(command, (*path, name))
        else:
            names.append(" ".join((*path, name)))
    return names


def test_every_command_is_in_the_readme() -> None:
    shown = {" ".join(_resolve(words)[0]) for words in _readme_commands()}
    missing = [name for name in _every_command(main) if name not in shown]
    assert not missing, f"commands the README does not show: {missing}"


def test_readme_counts_the_rule_tests_as_they_are() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    claimed = re.search(r"monitor rules test +# [^\n]*?(\d+) passed", readme)
    assert claimed is not None
    ran = run_rule_tests(load_rules([ROOT / "rules"])).ran
    assert int(claimed.group(1)) == ran
