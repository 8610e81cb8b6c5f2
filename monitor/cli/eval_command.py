"""`monitor eval`: score the rules and the stories on labelled items."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from monitor.cli.options import load_or_exit
from monitor.cli.progress import Advance, progress_bar
from monitor.evaluation.labels import read_labelled
from monitor.evaluation.report import evaluate, render
from monitor.item import Item
from monitor.rules.match import Match
from monitor.rules.matcher import Matcher, batches
from monitor.rules.rule import Rule


class _AdvancingMatcher(Matcher):
    """A matcher that moves a progress bar as `evaluate` matches the items, a batch at a time."""

    def __init__(self, rules: Sequence[Rule], advance: Advance) -> None:
        super().__init__(rules)
        self.advance = advance

    def match_many(self, items: Sequence[Item]) -> list[list[Match]]:
        found: list[list[Match]] = []
        for batch in batches(items):
            found += super().match_many(batch)
            self.advance(len(batch))
        return found


@click.command("eval")
@click.option(
    "--rules", "rules_path", type=click.Path(path_type=Path), help="Rules file or directory."
)
@click.option("--json", "as_json", is_flag=True, help="The whole report as one JSON object.")
@click.option("--quiet", is_flag=True, help="Leave out the list of wrong items.")
@click.option("--min-precision", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--min-recall", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def eval_command(
    rules_path: Path | None,
    as_json: bool,
    quiet: bool,
    min_precision: float,
    min_recall: float,
    files: tuple[Path, ...],
) -> None:
    """Score every rule and the story grouping on labelled .jsonl FILES.

    Each line is an item with `expect` (rules that should alert) and `event` (items with
    one label report one event). Exits 1 when a rule falls below a floor or a line is bad.
    """
    rules = load_or_exit([rules_path] if rules_path else [])
    labelled = read_labelled(list(files))
    for problem in labelled.problems:
        click.echo(f"error: {problem}", err=True)
    with progress_bar(len(labelled.items), "matching") as advance:
        report = evaluate(_AdvancingMatcher(rules, advance), labelled.items)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo("\n".join(render(report, verbose=not quiet)))
    shortfalls = report.shortfalls(min_precision, min_recall)
    for shortfall in shortfalls:
        click.echo(f"below the floor: {shortfall}", err=True)
    if shortfalls or labelled.problems:
        raise SystemExit(1)
