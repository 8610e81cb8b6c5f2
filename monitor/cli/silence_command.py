"""`monitor silence add|list|remove`: quiet a rule, a story, a source or a text for a while."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

import click
from pydantic import ValidationError

from monitor.connection import redis_connection
from monitor.keyspace import Keyspace
from monitor.rules.model import seconds
from monitor.settings import Settings
from monitor.silence import Silence, SilenceBook

T = TypeVar("T")


def _with_book(action: Callable[[SilenceBook], T]) -> T:
    settings = Settings.from_env()
    with redis_connection(settings, lambda message: click.echo(message, err=True)) as client:
        return action(SilenceBook(client, Keyspace(settings.prefix)))


@click.group("silence")
def silence_group() -> None:
    """Quiet notifications for a while."""


@silence_group.command("add")
@click.option("--rule", default="", help="Rule id.")
@click.option("--story", default="", help="Story id.")
@click.option("--source", default="", help="Source (feed) id.")
@click.option("--text", default="", help="Text in a headline or quote (normalised).")
@click.option("--for", "duration", required=True, help="How long: 90s, 30m, 2h, 3d.")
@click.option("--comment", default="", help="Why, for the others.")
def add_command(rule: str, story: str, source: str, text: str, duration: str, comment: str) -> None:
    """Add a silence; every non-empty field must match for it to apply."""
    length = seconds(duration)
    if not isinstance(length, float):
        raise click.BadParameter(f"{duration!r}: use 90s, 30m, 2h or 3d", param_hint="--for")
    try:
        silence = Silence(
            rule=rule,
            story=story,
            source=source,
            text=text,
            ends=time.time() + length,
            comment=comment,
        )
    except ValidationError as exc:
        raise click.UsageError(exc.errors()[0]["msg"]) from exc
    _with_book(lambda book: book.add(silence))
    until = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(silence.ends))
    click.echo(f"silence {silence.id} until {until}")


@silence_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool) -> None:
    """Silences still in force."""
    for silence in _with_book(lambda book: book.active(time.time())):
        if as_json:
            click.echo(json.dumps(silence.model_dump(), ensure_ascii=False))
        else:
            fields = ", ".join(
                f"{name}={value!r}"
                for name, value in silence.model_dump(
                    include={"rule", "story", "source", "text"}
                ).items()
                if value
            )
            left = (silence.ends - time.time()) / 60
            click.echo(f"{silence.id}  {fields}  {left:.0f} min left  {silence.comment}")


@silence_group.command("remove")
@click.argument("silence_id")
def remove_command(silence_id: str) -> None:
    """Remove a silence by id."""
    if not _with_book(lambda book: book.remove(silence_id)):
        raise click.ClickException(f"no silence {silence_id}")
    click.echo(f"silence {silence_id} removed")
