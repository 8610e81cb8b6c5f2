"""`monitor dashboard`: serve the ops dashboard over the monitor's Redis."""

from __future__ import annotations

import os

import click

from monitor.cli.options import announce
from monitor.connection import redis_connection
from monitor.settings import Settings


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65_535), help="Port to listen on.  [MONITOR_DASHBOARD_PORT]"
)
def dashboard_command(host: str, port: int | None) -> None:
    """Serve the dashboard: alerts, stories, silences, feeds, pipeline, /healthz and
    /metrics. Off 127.0.0.1 it needs MONITOR_DASHBOARD_TOKEN, and every page asks for it."""
    # The web stack is imported here: every other command starts without it.
    import uvicorn

    from monitor.web.app import create_app
    from monitor.web.guard import TOKEN_ENV, check_binding

    token = os.environ.get(TOKEN_ENV, "").strip()
    check_binding(host, token)
    settings = Settings.from_env()
    port = port or settings.dashboard_port or 8484
    with redis_connection(settings, announce) as client:
        app = create_app(client, settings, token)
        shown = f"[{host}]" if ":" in host else host
        sign_in = f"; sign in with {TOKEN_ENV}" if token else ""
        announce(f"dashboard at http://{shown}:{port}/{sign_in}")
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
