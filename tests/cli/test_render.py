"""Rendering matches for a terminal: the hits styled, not bracketed."""

from __future__ import annotations

import click

from monitor.cli.render import render_item
from monitor.item import Item, ItemField
from monitor.rules.match import Hit, Match
from monitor.rules.model import Severity


def test_on_a_terminal_hits_are_styled_not_bracketed() -> None:
    item = Item(id="i", title="Rockets hit Baghdad")
    hit = Hit(ItemField.TITLE, 12, 19, "Baghdad", "baghdad")
    shown = render_item(item, [Match("r", True, 1.0, Severity.HIGH, (hit,))], styled=True)
    assert "«" not in shown
    assert click.style("Baghdad", fg="yellow", bold=True, underline=True) in shown
