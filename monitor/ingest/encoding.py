"""The text of a feed document: bytes decoded by BOM, charset or prolog, checked for mojibake."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

ARABIC_SHARE = 0.6
"""Share of a reading's non-ASCII characters in Arabic words for it to count as Arabic."""

ALEF_SHARE = 0.05
"""Least share of alef in Arabic-word letters: Arabic has about 0.12, misread Cyrillic 0.02."""

LATIN_SHARE = 0.8
"""Share of a reading's non-ASCII characters in Latin ranges for it to be suspected of mojibake."""

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# "<?" in the wide encodings, for documents that carry no BOM (XML 1.0 appendix F).
_WIDE_OPENINGS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_PROLOG_ENCODING = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECLARATION = re.compile(r"^\s*<\?xml\s[^>]*\?>")
# Supersets that decode everything their declared subsets do, and more that servers send.
_WIDER = {"gb2312": "gb18030", "iso8859-1": "cp1252"}
_ARABIC_WORD = re.compile(
    r"(?<![A-Za-z\u00c0-\u024f])[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufefe]{2,}(?![A-Za-z\u00c0-\u024f])"
)
_LATIN_READING = re.compile(r"[\u0080-\u024f\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class Declaration:
    """One claim about a document's encoding, and where it was made: header or prolog."""

    origin: str
    label: str

    def __str__(self) -> str:
        return f"{self.origin} said {self.label}"


@dataclass(frozen=True)
class DecodedDocument:
    """A document's text; `problem` is empty when its declared encoding was right.

    `guessed` means no codec was shown to fit: the text may be garbled.
    """

    text: str
    encoding: str
    problem: str = ""
    guessed: bool = False


def decode_document(data: bytes, content_type: str = "") -> DecodedDocument:
    """The text of `data`, by BOM, else HTTP charset, prolog, UTF-8, and last a guess."""
    sniffed = _sniff(data)
    if sniffed:
        return _decode_wide(data, sniffed, charset_of(content_type))
    claims = [claim for claim in (_header(content_type), _prolog(data)) if claim]
    decoded = _first_reading(data, claims) or _guess(data)
    return _with_problem(data, decoded, claims)


def media_type_of(content_type: str) -> str:
    """The media type of a Content-Type header, lowercased: `text/xml` of `text/xml; charset=x`."""
    return content_type.split(";", 1)[0].strip().lower()


def charset_of(content_type: str) -> str:
    """The charset parameter of a Content-Type header, unquoted; "" when there is none."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").strip()
    return ""


def as_utf8_xml(text: str) -> bytes:
    """The document as UTF-8 bytes opening with an XML declaration that says UTF-8."""
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    text = text.lstrip("\ufeff")
    # Prepended on the same line, so the parser's line numbers still match the document's.
    text, replaced = _XML_DECLARATION.subn(declaration, text, count=1)
    return (text if replaced else declaration + text).encode("utf-8")


def codec_name(label: str) -> str:
    """Python's name for an encoding label, or "" when Python has no such codec."""
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


def display_name(codec: str) -> str:
    """The name people use for a Python codec: `windows-1256` for `cp1256`."""
    if re.fullmatch(r"cp125\d", codec):
        return "windows-" + codec[2:]
    return re.sub(r"^iso8859-", "iso-8859-", codec)


def _sniff(data: bytes) -> tuple[str, int] | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    for opening, codec in _WIDE_OPENINGS:
        if data.startswith(opening):
            return codec, 0
    return None


def _decode_wide(data: bytes, sniffed: tuple[str, int], charset: str) -> DecodedDocument:
    codec, skip = sniffed
    problems = []
    text = _try_decode(data[skip:], codec)
    if text is None:
        text = data[skip:].decode(codec, errors="replace")
        problems.append(f"bytes that are not {codec} were replaced")
    if charset and not _same_family(codec_name(charset), codec):
        problems.append(f"header said {charset}, content is {codec}")
    return DecodedDocument(text, codec, "; ".join(problems))


def _same_family(named: str, codec: str) -> bool:
    # A label of "utf-16" covers both byte orders; the BOM settles which.
    return bool(named) and (codec.startswith(named) or named.startswith(codec))


def _header(content_type: str) -> Declaration | None:
    charset = charset_of(content_type)
    return Declaration("header", charset) if charset else None


def _prolog(data: bytes) -> Declaration | None:
    match = _PROLOG_ENCODING.match(data[:1024])
    return Declaration("prolog", match.group(1).decode("ascii")) if match else None


def _first_reading(data: bytes, claims: list[Declaration]) -> DecodedDocument | None:
    """The reading by the first declared (or default) codec that decodes, if not mojibake."""
    for label in [claim.label for claim in claims] + ["utf-8"]:
        codec = codec_name(label)
        # A wide document opens with a BOM or a wide "<?", which _sniff has already ruled out.
        wide = codec.startswith(("utf-16", "utf-32"))
        text = _try_decode(data, _WIDER.get(codec, codec)) if codec and not wide else None
        if text is not None:
            return _checked(data, DecodedDocument(text, _WIDER.get(codec, codec)))
    return None


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _checked(data: bytes, reading: DecodedDocument) -> DecodedDocument:
    """A single-byte reading replaced by UTF-8 or windows-1256 when those fit the bytes better."""
    if reading.encoding.startswith("utf") or data.isascii():
        return reading
    as_utf8 = _try_decode(data, "utf-8")
    if as_utf8 is not None:
        # Valid multi-byte UTF-8 is almost never a legacy single-byte text by accident.
        return DecodedDocument(as_utf8, "utf-8")
    if reading.encoding != "cp1256" and _share(_LATIN_READING, reading.text) >= LATIN_SHARE:
        arabic = _arabic_reading(data)
        if arabic is not None:
            return arabic
    return reading


def _arabic_reading(data: bytes) -> DecodedDocument | None:
    text = data.decode("cp1256", errors="replace")
    if _looks_arabic(text):
        return DecodedDocument(text, "cp1256")
    return None


def _guess(data: bytes) -> DecodedDocument:
    """A reading for bytes that no declared codec, nor UTF-8, can decode."""
    arabic = _arabic_reading(data)
    if arabic is not None:
        return arabic
    text = _try_decode(data, "cp1252")
    if text is not None:
        return DecodedDocument(text, "cp1252", guessed=True)
    return DecodedDocument(data.decode("latin-1"), "iso8859-1", guessed=True)


def _with_problem(
    data: bytes, decoded: DecodedDocument, claims: list[Declaration]
) -> DecodedDocument:
    for claim in claims:
        codec = codec_name(claim.label)
        if not (codec and _same_reading(data, decoded, _WIDER.get(codec, codec))):
            return _flagged(decoded, str(claim), [c.label for c in claims])
    if not claims and decoded.encoding != "utf-8":
        return _flagged(decoded, "none declared", [])
    return decoded


def _flagged(decoded: DecodedDocument, claim: str, labels: list[str]) -> DecodedDocument:
    name = display_name(decoded.encoding)
    problem = f"{claim}, content is {name}"
    if decoded.guessed:
        tried = " or ".join(dict.fromkeys([*labels, "utf-8"]))
        problem = f"{claim}, content is not {tried}; read as {name}, may be garbled"
    return DecodedDocument(decoded.text, decoded.encoding, problem, decoded.guessed)


def _same_reading(data: bytes, decoded: DecodedDocument, codec: str) -> bool:
    return codec == decoded.encoding or _try_decode(data, codec) == decoded.text


def _share(pattern: re.Pattern[str], text: str) -> float:
    non_ascii = len(_NON_ASCII.findall(text))
    return len(pattern.findall(text)) / non_ascii if non_ascii else 0.0


def _looks_arabic(text: str) -> bool:
    """Most non-ASCII characters form Arabic words, and those words have Arabic's many alefs."""
    non_ascii = len(_NON_ASCII.findall(text))
    words = "".join(_ARABIC_WORD.findall(text))
    if not non_ascii or len(words) < ARABIC_SHARE * non_ascii:
        return False
    return words.count("\u0627") >= ALEF_SHARE * len(words)
