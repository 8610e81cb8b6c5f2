"""`monitor rules check` and `monitor rules test`."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.options import load_or_exit
from monitor.rules.tester import run_rule_tests

_PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


@click.group("rules")
def rules_group() -> None:
    """Check and test rules files."""


@rules_group.command("check")
@_PATHS
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate rules files (default: the configured rules directory)."""
    rules = load_or_exit(paths)
    click.echo(f"{len(rules)} rule(s) OK")


@rules_group.command("test")
@_PATHS
def test_command(paths: tuple[Path, ...]) -> None:
    """Run the tests written into each rule."""
    rules = load_or_exit(paths)
    report = run_rule_tests(rules)
    for failure in report.failures:
        click.echo(str(failure), err=True)
    click.echo(f"{report.ran - len(report.failures)} passed, {len(report.failures)} failed")
    if report.failures:
        raise SystemExit(1)
