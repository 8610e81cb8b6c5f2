"""A news item, and the fields of it that rules look at: title, lead and body."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from monitor.text.lead import opening_length

_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN = re.compile(r"[A-Za-z]")


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
    return FieldTexts(item.title, body[: opening_length(body)], body, lead_in_body=True)


def detect_language(item: Item) -> str:
    """`ar` when Arabic letters outnumber Latin ones in the item's opening, else `en`."""
    sample = f"{item.title} {item.summary[:1000]} {item.content[:1000]}"
    arabic = len(_ARABIC.findall(sample))
    return "ar" if arabic and arabic >= len(_LATIN.findall(sample)) else "en"
