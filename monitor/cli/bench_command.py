"""`monitor bench`: the benchmarks, printed as a table or as JSON lines."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.bench.figures import DEFAULT_CORPUS, machine, stderr_progress, table
from monitor.bench.suite import BENCHES, BenchOptions, run
from monitor.cli.options import quiet_http_requests
from monitor.settings import Settings


@click.command("bench")
@click.argument("which", type=click.Choice([*BENCHES, "all"]), default="all")
@click.option("--quick", is_flag=True, help="Smaller runs: all of them in about two minutes.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per figure.")
@click.option(
    "--corpus",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CORPUS,
    show_default=True,
    help="Articles to measure on, JSON lines with title and content.",
)
@click.option(
    "--rules",
    type=click.Path(exists=True, path_type=Path),
    help="Rules for the pipeline and memory, and matched beside generated ones (default: "
    "the configured rules).",
)
@click.option("--redis", "redis_url", help="Measure on this Redis (default: one of its own).")
def bench_command(
    which: str, quick: bool, as_json: bool, corpus: Path, rules: Path | None, redis_url: str | None
) -> None:
    """Measure the matcher, the pipeline, the poller and memory (WHICH, or all), each beside
    a baseline measured in the same run. Progress goes to stderr."""
    options = BenchOptions(quick, corpus, rules or Settings.from_env().rules, redis_url)
    quiet_http_requests()  # the poll benchmark makes thousands of requests
    say = stderr_progress()
    say(machine())
    figures = run(list(BENCHES) if which == "all" else [which], options, say)
    if as_json:
        for figure in figures:
            click.echo(figure.as_json())
    else:
        click.echo(table(figures))
