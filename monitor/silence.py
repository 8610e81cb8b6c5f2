"""Silences: a person's "not now" for a rule, a story, a source or a text, until it expires."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import redis
from pydantic import BaseModel, Field, ValidationError, model_validator
from redis.client import Pipeline as RedisPipeline

from monitor.clock import span
from monitor.keyspace import Keyspace, as_text
from monitor.problems import DURATION_HINT
from monitor.rules.model import seconds
from monitor.text.normalizer import normalize

log = logging.getLogger(__name__)

LONGEST = 90 * 86_400.0
"""The longest silence, in seconds: quieting a rule for longer is disabling it."""

NOTHING_SILENCED = "a silence needs a rule, story, source or text to match"
"""Why a silence that would match every story is refused."""


def matches_nothing(rule: str, story: str, source: str, text: str) -> bool:
    """Whether a silence of these fields would match every story (a text may normalise away)."""
    return not (rule.strip() or story.strip() or source.strip() or normalize(text).strip())


class Silence(BaseModel):
    """Quiets every story that matches all of its non-empty fields, until `ends`."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    rule: str = ""
    story: str = ""
    source: str = ""
    text: str = ""
    ends: float
    comment: str = ""
    by: str = ""

    @model_validator(mode="after")
    def _not_everything(self) -> Silence:
        if matches_nothing(self.rule, self.story, self.source, self.text):
            raise ValueError(NOTHING_SILENCED)
        return self

    @property
    def fields(self) -> dict[str, str]:
        """The fields a story must match, by name."""
        given = {"rule": self.rule, "story": self.story, "source": self.source, "text": self.text}
        return {name: value for name, value in given.items() if value}

    def covers(
        self, rule: str, story: str, sources: list[str], texts: list[str], now: float
    ) -> bool:
        """Whether this silence quiets a story at `now`."""
        if now >= self.ends:
            return False
        if self.rule and self.rule != rule:
            return False
        if self.story and self.story != story:
            return False
        if self.source and self.source not in sources:
            return False
        wanted = normalize(self.text)
        return not wanted or any(wanted in normalize(text) for text in texts)


EXPIRED_KEPT = 7 * 86_400
"""Seconds an ended silence stays listed, to see what was quiet and to silence it again."""


class SilenceBook:
    """Silences kept in Redis: those in force, and those that ended in the last week."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.keys = keys

    def add(self, silence: Silence) -> Silence:
        self.redis.hset(self.keys.silences, silence.id, silence.model_dump_json())
        return silence

    def expire(self, silence_id: str, now: float) -> bool:
        """End a silence in force now; False when there is none of that id."""
        raw = self.redis.hget(self.keys.silences, silence_id)
        silence = _read(silence_id, raw) if raw is not None else None
        if silence is None:
            return bool(self.redis.hdel(self.keys.silences, silence_id))
        self._retire(silence.model_copy(update={"ends": min(silence.ends, now)}))
        return True

    def active(self, now: float) -> list[Silence]:
        """Silences still in force; those that ended are moved to the ended as found."""
        return self.in_force(self.redis.hgetall(self.keys.silences), now)

    def queue_all(self, pipe: RedisPipeline) -> None:
        """Queue in `pipe` the read of every stored silence, for in_force."""
        pipe.hgetall(self.keys.silences)

    def in_force(self, stored: Mapping[Any, Any], now: float) -> list[Silence]:
        """Of the `stored` silences (their hash as read), those in force; those that ended
        are moved to the ended as found."""
        found = []
        for silence_id, raw in stored.items():
            silence = _read(silence_id, raw)
            if silence is None:
                continue
            if silence.ends > now:
                found.append(silence)
            else:
                self._retire(silence)
        return found

    def ended(self, now: float, limit: int = 100) -> list[Silence]:
        """The silences that ended in the last EXPIRED_KEPT seconds, the latest first."""
        self.active(now)  # those that just ran out are listed too
        self.redis.zremrangebyscore(self.keys.silences_ended, "-inf", now - EXPIRED_KEPT)
        raws = self.redis.zrevrange(self.keys.silences_ended, 0, limit - 1)
        found = (_read("ended", raw) for raw in raws if isinstance(raw, bytes | str))
        return [silence for silence in found if silence is not None]

    def _retire(self, silence: Silence) -> None:
        with self.redis.pipeline() as pipe:  # MULTI: out of force and into the ended as one
            pipe.hdel(self.keys.silences, silence.id)
            pipe.zadd(self.keys.silences_ended, {silence.model_dump_json(): silence.ends})
            pipe.execute()


def _read(silence_id: object, raw: bytes | str) -> Silence | None:
    """A stored silence, or None for one that no longer validates (it would match everything)."""
    try:
        return Silence.model_validate_json(raw)
    except ValidationError as exc:
        log.warning("silence %s is ignored: %s", as_text(silence_id), exc.errors()[0]["msg"])
        return None


def silence_length(duration: str) -> float:
    """The seconds a silence's length (`90s`, `2h`, `3d`) stands for; ValueError, in the
    user's words, unless it is from 1s to LONGEST."""
    length = seconds(duration.strip())
    if not isinstance(length, float):
        raise ValueError(f"{duration!r} is not {DURATION_HINT}")
    if length <= 0:
        raise ValueError(f"{duration!r} is no time at all")
    if length > LONGEST:
        raise ValueError(
            f"{duration!r} is longer than the longest silence, {span(LONGEST)}; "
            "to quiet a rule for good, write `enabled: false` in its file"
        )
    return length
