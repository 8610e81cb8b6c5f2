"""`monitor rules check`, `monitor rules test` and `monitor rules audit`."""

from __future__ import annotations

import json
from pathlib import Path

import click

import monitor
from monitor.cli.options import announce, load_or_exit
from monitor.errors import InputError
from monitor.inputs import read_items
from monitor.rules.audit import Corpus, audit_rules, report_json, summary
from monitor.rules.tester import run_rule_tests

_PROJECT = Path(monitor.__file__).resolve().parent.parent
DEFAULT_CORPUS = _PROJECT.parent / "shared" / "corpus" / "aljazeera" / "articles.jsonl"
"""The Al Jazeera articles beside the project (../shared/corpus), audited when none is named."""

_PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


@click.group("rules")
def rules_group() -> None:
    """Check, test and audit rules files."""


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


@rules_group.command("audit")
@click.option(
    "--corpus",
    "corpora",
    multiple=True,
    metavar="FILE",
    help=f"Items to take words from (.jsonl, .txt, feeds; repeatable). [default: {DEFAULT_CORPUS}]",
)
@click.option("--json", "as_json", is_flag=True, help="The whole report as one JSON object.")
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="List only catches found at least this often.",
)
@_PATHS
def audit_command(
    corpora: tuple[str, ...], as_json: bool, min_count: int, paths: tuple[Path, ...]
) -> None:
    """List what each stem-mode term catches in a corpus; flag (⚠) catches that are
    probably other words sharing the term's stem."""
    rules = load_or_exit(paths)
    corpus = Corpus.of(read_items(_corpus_files(corpora)))
    audits = audit_rules(rules, corpus, min_count)
    if as_json:
        click.echo(json.dumps(report_json(corpus, audits), ensure_ascii=False))
        return
    for audit in audits:
        click.echo(audit.describe())
    announce(summary(corpus, audits))


def _corpus_files(corpora: tuple[str, ...]) -> list[str]:
    if corpora:
        return list(corpora)
    if not DEFAULT_CORPUS.exists():
        raise InputError(f"{DEFAULT_CORPUS}: no such file; name a corpus with --corpus FILE")
    return [str(DEFAULT_CORPUS)]
