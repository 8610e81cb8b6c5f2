"""A story and its items, as stored: what notifications and grouping need of each item."""

from __future__ import annotations

import functools
from collections.abc import Set
from datetime import UTC, datetime

from pydantic import BaseModel, Field, PrivateAttr

from monitor.notification import Quote, Source
from monitor.stories.compared import Compared
from monitor.text.fingerprint import Vector


class StoryItem(BaseModel):
    """One item of a story, with what notifications and grouping need of it."""

    id: str
    source: str
    title: str
    link: str = ""
    at: float
    alert: bool = True
    quote: Quote
    lang: str = ""
    rules: list[str] = Field(default_factory=list)
    vector: Vector = Field(default_factory=dict)
    marks: list[str] = Field(default_factory=list)

    @functools.cached_property
    def compared(self) -> Compared:
        """What grouping compares it by, worked out once: a busy rule's open stories are
        compared with every item it alerts on (kept out of its JSON and equality)."""
        return Compared.of(self.vector, self.marks)

    def as_source(self) -> Source:
        return Source(
            item=self.id,
            source=self.source,
            title=self.title,
            link=self.link,
            published=datetime.fromtimestamp(self.at, tz=UTC),
        )


class Story(BaseModel):
    """Items about one event; `rule` opened it, `rules` are every rule its items alerted on."""

    id: str
    rule: str
    rules: list[str] = Field(default_factory=list)
    created: float
    updated: float
    items: list[StoryItem] = Field(default_factory=list)
    _listed: int = PrivateAttr(default=0)
    """How many of its items are in its stored item list (see StoryBook); the rest are to
    be added to it."""

    @property
    def sources(self) -> list[str]:
        return sorted({item.source for item in self.items if item.source})

    @property
    def every_rule(self) -> list[str]:
        """The opening rule first, then the others in the order they joined."""
        return list(dict.fromkeys([self.rule, *self.rules]))

    def holds(self, item_id: str) -> bool:
        return item_id in self.item_ids()

    def item_ids(self) -> Set[str]:
        """The ids of its items, kept as items join (they are only ever added): placing a
        batch asks every open story of its rules which of the batch's items it holds. Read
        only: the story keeps it up to date."""
        return self._kept_ids.of(self.items)

    @functools.cached_property
    def _kept_ids(self) -> _KeptIds:
        """Kept out of its JSON and equality, as a cached property is."""
        return _KeptIds()


class _KeptIds:
    """The ids of the items of a list that is only ever added to."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._items: list[StoryItem] | None = None
        self._seen = 0

    def of(self, items: list[StoryItem]) -> set[str]:
        if items is not self._items:  # another list: counted from its start
            self._ids, self._items, self._seen = set(), items, 0
        if self._seen != len(items):
            self._ids.update(item.id for item in items[self._seen :])
            self._seen = len(items)
        return self._ids
