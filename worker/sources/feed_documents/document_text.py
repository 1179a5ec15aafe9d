"""A feed document's bytes to clean text: the encoding is settled here, not by feedparser.

feedparser reads declared-Latin-1 UTF-8 and undeclared cp1251 as mojibake. Characters XML
forbids, junk before the markup and HTML entities expat does not know are repaired here too.
"""

from __future__ import annotations

import codecs
import functools
import re
from html.entities import html5 as _HTML5_ENTITIES

from worker.errors import NotTextError
from worker.sources.decoding import decode_text
from worker.sources.feed_documents.model import NotAFeedError, Notes
from worker.sources.xml_guard import sniff_encoding

_SUPERSETS = {"iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030",
              "shift_jis": "cp932", "euc_kr": "cp949", "iso8859-9": "cp1254"}
_WESTERN = frozenset({"cp1252", "iso8859-1", "iso8859-15", "latin-1"})

_XML_START = re.compile(r"<\?xml\b|<(?:[\w.-]+:)?(?:rss|feed|RDF)\b")
INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_VERBATIM = re.compile(r"<!\[CDATA\[|<!--")
_BARE_AMPERSAND = re.compile(r"&(?![A-Za-z][A-Za-z0-9]{0,31};|#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};)")
_NAMED_REFERENCE = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31});")
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)


def decode_document(body: bytes, content_type: str | None, notes: Notes) -> tuple[str, str]:
    """Text of the document: BOM, then valid UTF-8, then the declarations, then detection."""
    sniffed = sniff_encoding(body)
    if sniffed.codec is not None:
        data = body[sniffed.bom_length:]
        try:
            return _clean(data.decode(sniffed.codec), notes), sniffed.codec
        except UnicodeDecodeError as exc:
            notes.add(f"encoding: bytes not valid {sniffed.codec} ({exc.reason} at byte "
                      f"{exc.start}); undecodable bytes replaced")
            return _clean(data.decode(sniffed.codec, errors="replace"), notes), sniffed.codec
    labels = [(f"declared {label}", label) for label in [sniffed.declared] if label]
    labels += [(f"Content-Type charset {label}", label) for label in [_charset(content_type)]
               if label]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        wrong = [where for where, label in labels if _codec(label) not in {"utf-8", None}]
        if wrong and not text.isascii():
            notes.add(f"encoding: {wrong[0]} but the bytes are UTF-8; read as UTF-8")
        return _clean(text, notes), "utf-8"
    if b"\x00" in body[:8192]:
        raise NotAFeedError("binary data (NUL bytes), not a feed")
    for where, label in labels:
        codec = _codec(label)
        if codec is None:
            notes.add(f"encoding: {where} is unknown; ignored")
            continue
        if codec == "utf-8" or codec.startswith(("utf-16", "utf-32")):
            continue
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            notes.add(f"encoding: {where} does not fit the bytes; ignored")
            continue
        if where.startswith("Content-Type"):
            notes.add(f"encoding: read as {codec}, from the {where}")
        return _clean(text, notes), codec
    # Detection looks only at the bytes that are not UTF-8, so UTF-8 parts cannot mislead it.
    valid, invalid, rest = _utf8_census(body)
    try:
        _sample, detected = decode_text(rest)
    except NotTextError as exc:
        raise NotAFeedError(f"{exc}; not a feed") from None
    codec = _codec(detected) or "cp1252"
    declared = labels[0][0] if labels else "nothing declared"
    if valid and _single_byte(codec) and (codec in _WESTERN or valid * 4 >= invalid):
        # UTF-8 with some bytes of a code page pasted in: each part read in its own way.
        notes.add(f"encoding: {declared}; UTF-8 mixed with {codec} bytes "
                  f"({valid} UTF-8 sequences, {invalid} other bytes)")
        text = body.decode("utf-8", errors=_fallback_errors(codec))
        return _clean(text, notes), f"utf-8+{codec}"
    notes.add(f"encoding: {declared}, but the bytes are {codec}; read as {codec}")
    return _clean(body.decode(codec, errors="replace"), notes), codec


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _codec(label: str | None) -> str | None:
    """Python codec for an encoding label, widened to the superset feeds really use."""
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


@functools.cache
def _single_byte(codec: str) -> bool:
    """Whether every byte is one character in ``codec`` (code pages, not CJK multi-byte)."""
    try:
        return len(bytes(range(256)).decode(codec, errors="replace")) == 256
    except LookupError:
        return False


def _utf8_census(body: bytes) -> tuple[int, int, bytes]:
    """Valid UTF-8 multi-byte sequences, non-ASCII bytes outside them, and the bytes left."""
    rest, valid = _UTF8_SEQUENCE.subn(b"", body)
    return valid, len(rest) - len(rest.translate(None, _HIGH_BYTES)), rest


@functools.cache
def _fallback_errors(codec: str) -> str:
    """Name of a codec error handler that reads bytes invalid in UTF-8 with ``codec``."""
    name = f"newsworker-utf8-else-{codec}"

    def handler(error: UnicodeError) -> tuple[str, int]:
        if not isinstance(error, UnicodeDecodeError):
            raise error
        return error.object[error.start:error.end].decode(codec, errors="replace"), error.end

    codecs.register_error(name, handler)
    return name


def _clean(text: str, notes: Notes) -> str:
    """Drop a leading BOM and characters XML 1.0 forbids; refuse text that is mostly those."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text, removed = INVALID_XML_CHARS.subn("", text)
    if removed:
        if removed > max(16, len(text) // 100):
            raise NotAFeedError(f"binary data ({removed} control characters), not a feed")
        notes.add(f"removed {removed} control characters that XML does not allow")
    return text


def markup_start(text: str, start: int, content_type: str | None, notes: Notes) -> int:
    """Where the markup begins; junk before an XML declaration or root (PHP notices) is skipped."""
    if text[start] == "<":
        return start
    found = _XML_START.search(text, start, start + 1024)
    if found is None:
        served = f" (served as {content_type})" if content_type else ""
        raise NotAFeedError(f"plain text, not a feed{served}: starts with "
                            f"{text[start:start + 40]!r}")
    notes.add(f"ignored {found.start()} characters of junk before the XML")
    return found.start()


def fix_references(text: str) -> str:
    """HTML named entities to numeric references, bare '&' escaped: keeps expat on the feed."""
    pieces: list[str] = []
    pos = 0
    while (special := _VERBATIM.search(text, pos)) is not None:
        pieces.append(_fix_segment(text[pos:special.start()]))
        closer = "]]>" if special.group(0) == "<![CDATA[" else "-->"
        close = text.find(closer, special.end())
        end = len(text) if close < 0 else close + len(closer)
        pieces.append(text[special.start():end])
        pos = end
    pieces.append(_fix_segment(text[pos:]))
    return "".join(pieces)


def _fix_segment(segment: str) -> str:
    if "&" not in segment:
        return segment
    segment = _BARE_AMPERSAND.sub("&amp;", segment)  # a template, not a callback: C speed
    return _NAMED_REFERENCE.sub(_replace_reference, segment)


def _replace_reference(match: re.Match[str]) -> str:
    name = match.group(1)
    chars = _HTML5_ENTITIES.get(f"{name};")
    if chars is None:
        return f"&amp;{name};"  # unknown entity: shown literally, as a browser would
    return "".join(f"&#{ord(char)};" for char in chars)
