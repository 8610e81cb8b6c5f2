"""`monitor silence add|list|remove`: quiet a rule, a story, a source or a text for a while."""

from __future__ import annotations

import difflib
import getpass
import json
import time
from collections.abc import Callable
from typing import TypeVar

import click
import redis

from monitor.cli.options import announce
from monitor.clock import span
from monitor.connection import redis_connection
from monitor.errors import RuleError
from monitor.keyspace import Keyspace
from monitor.rules.loader import load_rules
from monitor.settings import Settings
from monitor.silence import (
    NOTHING_SILENCED,
    Silence,
    SilenceBook,
    matches_nothing,
    silence_length,
)
from monitor.stories.book import StoryBook

T = TypeVar("T")


def _local(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def _with_redis(action: Callable[[redis.Redis, Settings], T]) -> T:
    settings = Settings.from_env()
    with redis_connection(settings, announce) as client:
        return action(client, settings)


def _book(client: redis.Redis, settings: Settings) -> SilenceBook:
    return SilenceBook(client, Keyspace(settings.prefix))


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return ""


@click.group("silence")
def silence_group() -> None:
    """Quiet notifications for a while."""


@silence_group.command("add")
@click.option("--rule", default="", help="Rule id, as in its file.")
@click.option("--story", default="", help="Story id, as in a notification.")
@click.option("--source", default="", help="Source (feed) id.")
@click.option("--text", default="", help="Text in a headline or quote (normalised).")
@click.option("--for", "duration", required=True, help="How long: 90s, 30m, 2h, 3d.")
@click.option("--comment", default="", help="Why, for the others.")
@click.option("--by", default=_login, help="Who is asking.  [default: your login name]")
def add_command(
    rule: str, story: str, source: str, text: str, duration: str, comment: str, by: str
) -> None:
    """Add a silence; every field given must match for it to apply."""
    length = _length(duration)
    if matches_nothing(rule, story, source, text):
        raise click.UsageError(f"{NOTHING_SILENCED}: give --rule, --story, --source or --text")
    if rule:
        _check_rule(rule)
    silence = Silence(
        rule=rule,
        story=story,
        source=source,
        text=text,
        ends=time.time() + length,
        comment=comment,
        by=by,
    )
    _with_redis(lambda client, settings: _add(client, settings, silence))
    click.echo(
        f"silence {silence.id}: {_fields(silence)} for {span(length)}, until {_local(silence.ends)}"
    )


def _length(duration: str) -> float:
    """The seconds `--for` asks for, refused unless from 1s to LONGEST."""
    try:
        return silence_length(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--for'") from None


def _check_rule(rule: str) -> None:
    """Refuse a rule id the configured rules do not have: the silence would never apply."""
    settings = Settings.from_env()
    try:
        known = [loaded.id for loaded in load_rules([settings.rules])]
    except RuleError:
        announce(f"cannot check --rule: the rules in {settings.rules} do not load")
        return
    if rule not in known:
        close = difflib.get_close_matches(rule, known, n=1)
        guess = f" (did you mean '{close[0]}'?)" if close else ""
        raise click.BadParameter(
            f"no rule '{rule}' in {settings.rules}{guess}; the rules are: {', '.join(known)}",
            param_hint="'--rule'",
        )


def _add(client: redis.Redis, settings: Settings, silence: Silence) -> Silence:
    keys = Keyspace(settings.prefix)
    if silence.story and not StoryBook(client, keys, settings.retention_seconds).get(silence.story):
        announce(f"warning: no story '{silence.story}' is kept (a typo, or it has expired)")
    return _book(client, settings).add(silence)


def _fields(silence: Silence) -> str:
    return " ".join(f"{name}={value!r}" for name, value in silence.fields.items())


@silence_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per silence.")
def list_command(as_json: bool) -> None:
    """Silences still in force: what they match, time left, who and why."""
    now = time.time()
    silences = _with_redis(lambda client, settings: _book(client, settings).active(now))
    for silence in sorted(silences, key=lambda s: s.ends):
        click.echo(
            json.dumps(silence.model_dump(), ensure_ascii=False) if as_json else _row(silence, now)
        )
    if not silences and not as_json:
        click.echo("no silence in force")


def _row(silence: Silence, now: float) -> str:
    """`id  rule='x'  1h 20m left, until 2026-12-03 14:20  by alice: why`."""
    who = f"by {silence.by}" if silence.by else ""
    why = ": ".join(part for part in (who, silence.comment) if part)
    left = f"{span(silence.ends - now)} left, until {_local(silence.ends)}"
    return "  ".join(part for part in (silence.id, _fields(silence), left, why) if part)


@silence_group.command("remove")
@click.argument("silence_id")
def remove_command(silence_id: str) -> None:
    """End a silence by id (it stays listed as ended for a week)."""
    now = time.time()
    if not _with_redis(lambda client, settings: _book(client, settings).expire(silence_id, now)):
        raise click.ClickException(
            f"no silence {silence_id}; `monitor silence list` shows those in force"
        )
    click.echo(f"silence {silence_id} removed")
