"""The `monitor` command line: thin commands around the importable logic."""

from __future__ import annotations

import logging

import click

from monitor import __version__
from monitor.cli.bench_command import bench_command
from monitor.cli.channels_command import channels_group
from monitor.cli.dashboard_command import dashboard_command
from monitor.cli.eval_command import eval_command
from monitor.cli.ingest_commands import feeds_command, poll_command
from monitor.cli.match_command import match_command
from monitor.cli.pipeline_commands import alerts_command, replay_command, work_command
from monitor.cli.rules_command import rules_group
from monitor.cli.run_command import run_command
from monitor.cli.silence_command import silence_group
from monitor.cli.status_command import status_command
from monitor.cli.stopping import stop_as_on_ctrl_c
from monitor.errors import MonitorError
from monitor.sender import quiet_apprise


class _Group(click.Group):
    """Shows the monitor's own errors as one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """Watch news feeds and alert on rules written in Arabic and English."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # apprise logs rejected URLs whole, secrets included; our own messages mask them.
    quiet_apprise()
    stop_as_on_ctrl_c()


main.add_command(rules_group)
main.add_command(match_command)
main.add_command(eval_command)
main.add_command(replay_command)
main.add_command(work_command)
main.add_command(alerts_command)
main.add_command(run_command)
main.add_command(status_command)
main.add_command(silence_group)
main.add_command(poll_command)
main.add_command(feeds_command)
main.add_command(channels_group)
main.add_command(dashboard_command)
main.add_command(bench_command)
