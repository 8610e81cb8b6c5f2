"""`monitor channels` and `monitor channels test`: the channels as the monitor reads
them, and a test message to each with what its destination answered."""

from __future__ import annotations

import json
from typing import Any

import click

from monitor.channels import CONSOLE, Channel, ChannelSet
from monitor.cli.options import channels_or_exit
from monitor.delivery import SEND_TIMEOUT, print_to_console
from monitor.sender import Outcome, mask, send, service_of
from monitor.settings import Settings
from monitor.template import Rendered

_COLUMNS = ("name", "service", "url", "rules", "min_severity", "updates")


@click.group("channels", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per channel.")
@click.pass_context
def channels_group(ctx: click.Context, as_json: bool) -> None:
    """List the channels: service, masked URL, rules, least severity, updates."""
    if ctx.invoked_subcommand is not None:
        return
    rows = [_row(channel) for channel in _loaded().listed]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for line in _table([_cells(row) for row in rows]):
        click.echo(line)


@channels_group.command("test")
@click.argument("name", required=False)
def test_command(name: str | None) -> None:
    """Send a short test message to every channel, or to NAME; exit 1 if one fails."""
    found = _loaded()
    failed = 0
    for channel in _chosen(found, name):
        if not channel.url:
            click.echo(f"{channel.name}: not sent: {channel.url_env} is not set")
            continue
        outcome = _send_test(channel)
        click.echo(f"{channel.name}: {_brief(_destination(channel))}: {_answer(outcome)}")
        failed += not outcome.ok
    if failed:
        raise click.ClickException(f"{failed} channel(s) failed the test")


def _loaded() -> ChannelSet:
    return channels_or_exit(Settings.from_env().channels)


def _destination(channel: Channel) -> str:
    """The URL as it may be shown: masked, or what stands for it."""
    if channel.url == CONSOLE:
        return "standard output"
    return mask(channel.url) if channel.url else f"({channel.url_env} is not set)"


def _brief(url: str) -> str:
    """A masked URL without its query, where apprise lists every option it defaults."""
    return url.split("?", 1)[0]


def _service(channel: Channel) -> str:
    if channel.url == CONSOLE:
        return "console"
    return service_of(channel.url) if channel.url else "-"


def _row(channel: Channel) -> dict[str, Any]:
    return {
        "name": channel.name,
        "service": _service(channel),
        "url": _destination(channel),
        "url_env": channel.url_env,
        "sends": bool(channel.url),
        "rules": list(channel.rules),
        "min_severity": channel.min_severity.value,
        "updates": channel.updates,
    }


def _cells(row: dict[str, Any]) -> list[str]:
    shown = {
        **row,
        "url": _brief(row["url"]),
        "rules": ",".join(row["rules"]),
        "updates": "yes" if row["updates"] else "no",
    }
    return [str(shown[column]) for column in _COLUMNS]


def _table(rows: list[list[str]]) -> list[str]:
    header = [column.replace("_", " ").upper() for column in _COLUMNS]
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _chosen(found: ChannelSet, name: str | None) -> list[Channel]:
    if name is None:
        return list(found.listed)
    chosen = [channel for channel in found.listed if channel.name == name]
    if not chosen:
        names = ", ".join(channel.name for channel in found.listed)
        raise click.ClickException(f"no channel {name!r}; the channels are: {names}")
    if not chosen[0].url:
        raise click.ClickException(f"channel {name!r}: {chosen[0].url_env} is not set")
    return chosen


def _send_test(channel: Channel) -> Outcome:
    message = Rendered(
        title="monitor: test message",
        body=f"A test of channel '{channel.name}' (monitor channels test): "
        "the alerts routed to it will come here.",
        body_format="text",
    )
    sender = print_to_console if channel.url == CONSOLE else send
    return sender(channel.url, message, SEND_TIMEOUT)


def _answer(outcome: Outcome) -> str:
    if outcome.ok:
        return "sent" if outcome.detail == "delivered" else outcome.detail
    later = " (a delivery would retry it)" if outcome.retryable else ""
    return f"failed: {outcome.detail}{later}"
