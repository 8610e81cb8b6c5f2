"""`monitor match`: match items from files or stdin against the rules and show the hits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from monitor.cli.options import load_or_exit
from monitor.cli.render import render_item
from monitor.errors import InputError
from monitor.inputs import read_items
from monitor.rules.explain import explain
from monitor.rules.match import Match
from monitor.rules.matcher import Matcher


@click.command("match")
@click.option(
    "--rules", "rules_path", type=click.Path(path_type=Path), help="Rules file or directory."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item.")
@click.option(
    "--explain", "explain_rule", metavar="RULE", help="Show why RULE did or did not match."
)
@click.argument("inputs", nargs=-1, required=True)
def match_command(
    rules_path: Path | None, as_json: bool, explain_rule: str | None, inputs: tuple[str, ...]
) -> None:
    """Match INPUT items (.txt, .jsonl, RSS/Atom, or - for JSONL on stdin) against the rules."""
    matcher = Matcher(load_or_exit([rules_path] if rules_path else []))
    if explain_rule and explain_rule not in {rule.id for rule in matcher.rules}:
        raise click.BadParameter(f"no rule '{explain_rule}'", param_hint="--explain")
    failed = False
    for name in inputs:
        try:
            for item in read_items([name]):
                if explain_rule:
                    click.echo("\n".join(explain(matcher, explain_rule, item)))
                    continue
                matches = matcher.match(item)
                if as_json:
                    click.echo(json.dumps(_as_json(item.id, matches), ensure_ascii=False))
                else:
                    click.echo(render_item(item, matches))
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            failed = True
    if failed:
        raise SystemExit(1)


def _as_json(item_id: str, matches: list[Match]) -> dict[str, Any]:
    return {
        "id": item_id,
        "alerts": [m.rule for m in matches if m.alert],
        "matches": [m.to_json() for m in matches],
    }
