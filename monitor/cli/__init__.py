"""The `monitor` command line: thin commands around the importable logic."""

from __future__ import annotations

import click

from monitor import __version__
from monitor.cli.match_command import match_command
from monitor.cli.rules_command import rules_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """Watch news feeds and alert on rules written in Arabic and English."""


main.add_command(rules_group)
main.add_command(match_command)
