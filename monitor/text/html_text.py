"""Clean text from the HTML that feeds put in titles, summaries and content."""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
_HIDDEN = ("script", "style", "template", "iframe", "object", "embed", "noscript", "head")
# C0/C1 controls, bidi embeddings, overrides and isolates, BOMs and annotation marks; the
# marks LRM, RLM and ALM stay, as Arabic text needs them and they cannot reorder a line.
_CONTROLS = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u206a-\u206f\ufeff\ufff9-\ufffb]"
)


def carries_markup(text: str) -> bool:
    """Whether `text` may hold tags or entities, and so needs reading as HTML."""
    return "<" in text or "&" in text


def html_to_text(markup: str) -> str:
    """Visible text of `markup`, one line per block, without control or bidi override characters."""
    if not carries_markup(markup):
        return _tidy(markup)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(_HIDDEN):
        hidden.decompose()
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
    return _tidy(soup.get_text())


def strip_controls(text: str) -> str:
    """`text` without control characters, nor bidi controls that reorder what a reader sees."""
    return _CONTROLS.sub("", text)


def _tidy(text: str) -> str:
    text = strip_controls(text)
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()
