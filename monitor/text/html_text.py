"""Clean text from the HTML that feeds put in titles, summaries and content."""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def html_to_text(markup: str) -> str:
    """Visible text of `markup`, one line per block, without control or bidi override characters."""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(["script", "style", "template"]):
        hidden.decompose()
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
    return _tidy(soup.get_text())


def _tidy(text: str) -> str:
    text = _CONTROLS.sub("", text)
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()
