"""Bytes to text: UTF-8 first, then a detected encoding; binary input is refused, not mangled."""

from __future__ import annotations

import unicodedata

from charset_normalizer import from_bytes

from worker.errors import NotTextError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_TIE_PREFERENCE = ("cp1252", "latin_1", "iso8859_15", "cp1251", "koi8_r", "gb18030",
                  "shift_jis", "euc_kr", "big5")
# Share of control characters (other than whitespace) above which text is taken for binary.
_MAX_CONTROL_SHARE = 0.01


def decode_text(raw: bytes) -> tuple[str, str]:
    """Decode ``raw`` and return (text, encoding); raise NotTextError for binary data."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return _checked(raw[len(bom):].decode(encoding, errors="strict"), encoding)
    if b"\x00" in raw[:8192]:
        raise NotTextError("binary data (NUL bytes), not a text file")
    try:
        return _checked(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    matches = list(from_bytes(raw))
    if not matches:
        raise NotTextError("no text encoding fits these bytes")
    # Short Western text often fits several code pages equally well (cp1250 reads "è" as
    # "č"); on a tie, the encodings most used for news on the web win.
    top = min((m.chaos, -m.coherence) for m in matches)
    tied = [m for m in matches if (m.chaos, -m.coherence) == top]
    best = next((m for pref in _TIE_PREFERENCE for m in tied if m.encoding == pref), tied[0])
    return _checked(str(best), best.encoding)


def _checked(text: str, encoding: str) -> tuple[str, str]:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if text:
        controls = sum(
            1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t\f\v"
        )
        if controls / len(text) > _MAX_CONTROL_SHARE:
            raise NotTextError(f"binary data ({controls} control characters), not a text file")
    return text, encoding
