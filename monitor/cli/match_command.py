"""`monitor match`: match items from files or stdin against the rules and show the hits."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from monitor.cli.options import load_or_exit
from monitor.cli.render import Tally, render_item
from monitor.inputs import read_items
from monitor.item import Item
from monitor.rules.explain import explain
from monitor.rules.match import Match
from monitor.rules.matcher import Matcher

Show = Callable[[Item], str]


class _Told(list[str]):
    """Problems, each told on stderr as it is met, so a long stream shows them in time."""

    def append(self, problem: str, /) -> None:
        click.echo(f"error: {problem}", err=True)
        super().append(problem)


@click.command("match")
@click.option(
    "--rules", "rules_path", type=click.Path(path_type=Path), help="Rules file or directory."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item.")
@click.option(
    "--explain", "explain_rule", metavar="RULE", help="Show why RULE did or did not match."
)
@click.option("--all", "show_all", is_flag=True, help="Show mentions too, not only alerts.")
@click.argument("inputs", nargs=-1, required=True)
def match_command(
    rules_path: Path | None,
    as_json: bool,
    explain_rule: str | None,
    show_all: bool,
    inputs: tuple[str, ...],
) -> None:
    """Match INPUT items (.txt, .jsonl, RSS/Atom, or - for JSONL on stdin) against the rules.

    A bad line or file is told on stderr and the rest still matched; the exit is 1.
    """
    matcher = Matcher(load_or_exit([rules_path] if rules_path else []))
    if explain_rule and explain_rule not in {rule.id for rule in matcher.rules}:
        raise click.BadParameter(f"no rule '{explain_rule}'", param_hint="--explain")
    problems = _Told()
    tally = Tally()
    show = _shower(matcher, explain_rule, as_json, show_all, tally)
    for item in read_items(inputs, problems):
        click.echo(show(item))
    if not (explain_rule or as_json):
        click.echo(tally.summary(len(problems)))
    if problems:
        raise SystemExit(1)


def _shower(
    matcher: Matcher, explain_rule: str | None, as_json: bool, show_all: bool, tally: Tally
) -> Show:
    if explain_rule:
        return lambda item: "\n".join(explain(matcher, explain_rule, item))
    if as_json:
        return lambda item: json.dumps(_as_json(item.id, matcher.match(item)), ensure_ascii=False)
    styled = sys.stdout.isatty()

    def readable(item: Item) -> str:
        matches = matcher.match(item)
        tally.add(matches)
        return render_item(item, matches, show_all=show_all, styled=styled) + "\n"

    return readable


def _as_json(item_id: str, matches: list[Match]) -> dict[str, Any]:
    return {
        "id": item_id,
        "alerts": [m.rule for m in matches if m.alert],
        "matches": [m.to_json() for m in matches],
    }
