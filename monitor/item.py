"""A news item, and the fields of it that rules look at: title, lead and body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from monitor.text.lead import opening_length

LEADS_CACHED = 256
"""Bodies whose lead length is kept: an item's fields are asked for when it is matched and
again, for an alerting item, when its story entry and quote are made, after the rest of
its job (up to monitor.queue.BATCH_SIZE, 200 items) is matched. A job's worth and a little
more, since a feed that carries whole articles keeps tens of KB alive for each body."""

_ARABIC_LEADS = (b"\xd8", b"\xd9", b"\xda", b"\xdb")
_LATIN_BYTES = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))


class ItemField(StrEnum):
    """The parts of an item that a rule can be scoped to."""

    TITLE = "title"
    LEAD = "lead"
    BODY = "body"


class Item(BaseModel):
    """One news item as the monitor passes it along; `lang` empty means detect."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    title: str = ""
    summary: str = ""
    content: str = ""
    link: str = ""
    source: str = ""
    lang: str = ""
    published: datetime | None = None

    @property
    def language(self) -> str:
        """The declared language, or `ar` / `en` by the script most of the text is in."""
        return self.lang.lower().split("-")[0] if self.lang else detect_language(self)


@dataclass(frozen=True)
class FieldTexts:
    """The texts matched for one item; a derived lead is the body's first `lead_chars`
    (see monitor.text.lead)."""

    title: str
    lead: str
    body: str
    lead_in_body: bool

    @property
    def lead_chars(self) -> int:
        return len(self.lead) if self.lead_in_body else 0


def field_texts(item: Item) -> FieldTexts:
    """Split an item into title, lead and body as rules see them."""
    if item.summary and item.content:
        return FieldTexts(item.title, item.summary, item.content, lead_in_body=False)
    body = item.content or item.summary
    return FieldTexts(item.title, body[: _lead_length(body)], body, lead_in_body=True)


@lru_cache(maxsize=LEADS_CACHED)
def _lead_length(body: str) -> int:
    return opening_length(body)


def forget_leads() -> None:
    """Forget the leads worked out so far, as a worker's next job finds them: new items'
    bodies are not among them."""
    _lead_length.cache_clear()


def detect_language(item: Item) -> str:
    """`ar` when Arabic letters outnumber Latin ones in the item's opening, else `en`."""
    sample = f"{item.title} {item.summary[:1000]} {item.content[:1000]}".encode()
    # Counted on UTF-8 bytes, where both are single bytes to count in C: each character
    # of the Arabic block U+0600-U+06FF begins with one of four bytes, a Latin letter is one.
    arabic = sum(map(sample.count, _ARABIC_LEADS))
    latin = len(sample) - len(sample.translate(None, _LATIN_BYTES))
    return "ar" if arabic and arabic >= latin else "en"
