"""Silences: a person's "not now" for a rule, a story, a source or a text, until it expires."""

from __future__ import annotations

import uuid

import redis
from pydantic import BaseModel, Field, model_validator

from monitor.keyspace import Keyspace
from monitor.text.normalizer import normalize


class Silence(BaseModel):
    """Quiets every story that matches all of its non-empty fields, until `ends`."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    rule: str = ""
    story: str = ""
    source: str = ""
    text: str = ""
    ends: float
    comment: str = ""

    @model_validator(mode="after")
    def _not_everything(self) -> Silence:
        if not (self.rule or self.story or self.source or self.text):
            raise ValueError("a silence needs a rule, story, source or text")
        return self

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


class SilenceBook:
    """Silences kept in Redis."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.keys = keys

    def add(self, silence: Silence) -> Silence:
        self.redis.hset(self.keys.silences, silence.id, silence.model_dump_json())
        return silence

    def remove(self, silence_id: str) -> bool:
        return bool(self.redis.hdel(self.keys.silences, silence_id))

    def active(self, now: float) -> list[Silence]:
        """Silences still in force; expired ones are dropped as they are found."""
        found = []
        for silence_id, raw in self.redis.hgetall(self.keys.silences).items():
            silence = Silence.model_validate_json(raw)
            if silence.ends > now:
                found.append(silence)
            else:
                self.redis.hdel(self.keys.silences, silence_id)
        return found
