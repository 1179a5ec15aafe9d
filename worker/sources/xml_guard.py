"""A gate in front of every XML parser: DTD tricks are refused before any parser sees the bytes.

Feeds are untrusted input. Entity expansion (billion laughs, quadratic blow-up), external
entities and DTDs (XXE: ``file:///etc/passwd``, cloud metadata URLs) and parameter entities
are all declared in a DOCTYPE, so the prolog is read with plain string searches (bounded,
linear, no DOM, no expansion) and anything that declares something is refused. A bare
DOCTYPE, or the RSS 0.91 Netscape one that real feeds still carry, is allowed: it declares
nothing, and neither expat (``feature_external_ges`` off) nor feedparser fetches it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from worker.errors import QuarantineError, TooLargeError

# Names of the tricks, used in messages and in ``HostileXmlError.trick``.
BILLION_LAUGHS = "billion laughs"
QUADRATIC_BLOWUP = "quadratic blow-up"
EXTERNAL_ENTITY = "external entity (XXE)"
PARAMETER_ENTITY = "parameter entity"
EXTERNAL_DTD = "external DTD"
INTERNAL_ENTITY = "entity declaration"
INTERNAL_SUBSET = "DTD internal subset"
MALFORMED_DOCTYPE = "malformed DOCTYPE"
MISPLACED_DECLARATION = "declaration outside the DOCTYPE"

# DOCTYPEs real feeds carry that declare nothing and that nothing fetches.
NETSCAPE_RSS091_PUBLIC_ID = "-//Netscape Communications//DTD RSS 0.91//EN"
ALLOWED_PUBLIC_DTDS: dict[str, frozenset[str | None]] = {
    NETSCAPE_RSS091_PUBLIC_ID: frozenset({
        None,
        "http://my.netscape.com/publish/formats/rss-0.91.dtd",
        "http://www.rssboard.org/rss-0.91.dtd",
        "https://www.rssboard.org/rss-0.91.dtd",
    }),
}

# An internal entity this long, referenced a few thousand times, costs gigabytes.
_QUADRATIC_VALUE_CHARS = 1024
# How much of a non-empty internal subset is read to name the trick it tries.
_SUBSET_WINDOW = 1 << 20
# How much of the start is read to find an encoding declaration.
_DECLARATION_WINDOW = 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# XML 1.0 appendix F: the first four bytes of "<?xm" without a byte order mark.
_PATTERNS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00\x3c", "utf-32-be"),
    (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\x00\x3c\x00\x3f", "utf-16-be"),
    (b"\x3c\x00\x3f\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
# Codecs in which ASCII markup bytes may be something else (or markup may be encoded
# differently, as UTF-7's "+ADw-" for "<"): these are decoded before scanning.
_OPAQUE_CODECS = frozenset({
    "utf-7", "shift_jis", "cp932", "shift_jis_2004", "shift_jisx0213", "big5", "big5hkscs",
    "cp950", "gbk", "gb18030", "johab", "cp949", "hz", "iso2022_jp", "iso2022_jp_1",
    "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_ext", "iso2022_kr",
    "cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140",
})
_EBCDIC_CODECS = frozenset({"cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140"})

_ENCODING_DECL = re.compile(
    r"""\A\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.:+-]*)["']""")
_DECL_KEYWORD = re.compile(r"<!\s*([A-Za-z]+)")
_NAME = re.compile(r"[^\s/>!?<]+")
_LITERAL = r"""(?:"[^"]*"|'[^']*')"""
_DOCTYPE_HEAD = re.compile(
    rf"""<!\s*DOCTYPE\s+([^\s\[>]+)\s*
         (?:SYSTEM\s*({_LITERAL})|PUBLIC\s*({_LITERAL})(?:\s*({_LITERAL}))?)?\s*""",
    re.I | re.X,
)
_SUBSET_SPECIAL = re.compile(r"""<!--|["'\]]""")
# Possessive: whitespace, comments and processing instructions skipped in one C-level pass.
_PROLOG_MISC = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->)*+", re.S)
_EMPTY_SUBSET = re.compile(r"(?:\s|<!--.*?-->)*+\]", re.S)
_DOCTYPE_CLOSE = re.compile(r"\s*>")
_ENTITY_DECL = re.compile(
    rf"""<!\s*ENTITY\s+(%\s*)?([^\s"'>%]+)\s*
         (?:(SYSTEM|PUBLIC)\s*({_LITERAL})(?:\s*({_LITERAL}))?|({_LITERAL}))?""",
    re.I | re.X,
)
_ANY_ENTITY_DECL = re.compile(r"<!\s*ENTITY\b", re.I)
_PE_REFERENCE = re.compile(r"%[A-Za-z_:][\w.:-]*;")
_ENTITY_REFERENCE = re.compile(r"&([A-Za-z_:][\w.:-]*);")
_MARKUP_DECL = re.compile(r"<!\s*(ELEMENT|ATTLIST|NOTATION)\b", re.I)
_BODY_SPECIAL = re.compile(r"<!\[CDATA\[|<!--|<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)\b",
                           re.I)
_PREDEFINED_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


class HostileXmlError(QuarantineError):
    """An XML document that tries a DTD trick on the parser; it is never parsed."""

    reason_code = "hostile_xml"

    def __init__(self, trick: str, detail: str) -> None:
        super().__init__(f"hostile XML refused ({trick}): {detail}")
        self.trick = trick


@dataclass(frozen=True, slots=True)
class Doctype:
    """What a DOCTYPE says, read without resolving any of it."""

    name: str
    public_id: str | None
    system_id: str | None
    subset: str | None


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The encoding that byte order mark, byte pattern or declaration claims."""

    codec: str | None
    bom_length: int
    declared: str | None


@dataclass(slots=True)
class XmlInspection:
    """What a document's markup declares: DOCTYPE, root element, and the tricks it tries."""

    doctype: Doctype | None = None
    root: str | None = None
    root_at: int = -1
    problems: list[tuple[str, str]] = field(default_factory=list)


def sniff_encoding(body: bytes) -> Sniffed:
    """Byte order mark, UTF-16/32 byte pattern, and declared encoding: what the bytes claim."""
    codec: str | None = None
    bom_length = 0
    for bom, name in _BOMS:
        if body.startswith(bom):
            codec, bom_length = name, len(bom)
            break
    else:
        head4 = body[:4]
        for pattern, name in _PATTERNS:
            if head4 == pattern:
                codec = name
                break
        else:
            if len(head4) == 4 and head4[1] == 0 == head4[3] and head4[0] and head4[2]:
                codec = "utf-16-le"
            elif len(head4) == 4 and head4[0] == 0 == head4[2] and head4[1] and head4[3]:
                codec = "utf-16-be"
    window = body[bom_length:bom_length + _DECLARATION_WINDOW * 4]
    head = window.decode(codec or "latin-1", errors="replace")[:_DECLARATION_WINDOW]
    match = _ENCODING_DECL.match(head)
    return Sniffed(codec, bom_length, match.group(1) if match else None)


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _scan_codecs(body: bytes) -> list[tuple[str, int]]:
    """Codecs (and BOM lengths) to read the markup with: every reading a parser might take."""
    sniffed = sniff_encoding(body)
    declared = _codec_name(sniffed.declared)
    if sniffed.codec == "cp037":
        return [(declared if declared in _EBCDIC_CODECS else "cp037", 0)]
    # ASCII-compatible bytes are read as Latin-1, which maps every byte to one character.
    primary = sniffed.codec if sniffed.codec not in {None, "utf-8"} else "latin-1"
    readings = [(primary, sniffed.bom_length)]
    if declared in _OPAQUE_CODECS and declared not in _EBCDIC_CODECS and declared != primary:
        # A parser that believes the declaration over the BOM must not see a different text.
        readings.append((declared, sniffed.bom_length))
    return readings


def check_xml(body: bytes, *, max_bytes: int) -> None:
    """Refuse hostile or oversized XML before a parser sees it; return quietly otherwise."""
    if len(body) > max_bytes:
        raise TooLargeError(f"XML document is {len(body)} bytes, above the {max_bytes}-byte limit")
    for codec, bom_length in _scan_codecs(body):
        check_xml_text(body[bom_length:].decode(codec, errors="replace"))


def check_xml_text(text: str) -> None:
    """The checks of ``check_xml`` on text that is already decoded."""
    raise_most_severe(inspect_xml(text).problems)


def raise_most_severe(problems: list[tuple[str, str]]) -> None:
    """Raise HostileXmlError for the worst of ``problems`` (trick, detail); none: return."""
    if problems:
        trick, detail = min(problems, key=lambda p: _SEVERITY.index(p[0]))
        raise HostileXmlError(trick, detail)


_SEVERITY = (
    PARAMETER_ENTITY, EXTERNAL_ENTITY, BILLION_LAUGHS, QUADRATIC_BLOWUP, INTERNAL_ENTITY,
    MISPLACED_DECLARATION, INTERNAL_SUBSET, MALFORMED_DOCTYPE, EXTERNAL_DTD,
)


def inspect_xml(text: str) -> XmlInspection:
    """One linear pass: the prolog up to the root, then declarations hidden after it."""
    inspection = _inspect_prolog(text)
    if inspection.root_at >= 0:
        inspection.problems.extend(_scan_after_root(text, inspection.root_at))
    return inspection


def _inspect_prolog(text: str) -> XmlInspection:
    """Skip comments and processing instructions, read the DOCTYPE, stop at the root."""
    inspection = XmlInspection()
    pos, end = 0, len(text)
    while pos < end:
        misc = _PROLOG_MISC.match(text, pos)  # matches the empty string at worst
        pos = misc.end() if misc else pos
        lt = text.find("<", pos)
        if lt < 0:
            return inspection
        if lt > pos:
            pos = lt  # stray text in the prolog: not well-formed, but keep looking
            continue
        if text.startswith(("<?", "<!--"), lt):
            return inspection  # a processing instruction or comment that never ends
        if text.startswith("<!", lt):
            keyword = _DECL_KEYWORD.match(text, lt)
            word = keyword.group(1).upper() if keyword else ""
            if word == "DOCTYPE":
                doctype, pos, problems = _read_doctype(text, lt)
                inspection.problems.extend(problems)
                if inspection.doctype is None:
                    inspection.doctype = doctype
                else:
                    inspection.problems.append((MALFORMED_DOCTYPE, "a second DOCTYPE"))
            elif word in {"ENTITY", "ELEMENT", "ATTLIST", "NOTATION"}:
                close = _declaration_end(text, lt)
                inspection.problems.extend(_classify_subset(text[lt:close]))
                inspection.problems.append(
                    (MISPLACED_DECLARATION, f"<!{word}> outside a DOCTYPE"))
                pos = close
            else:
                pos = lt + 2
            continue
        name = _NAME.match(text, lt + 1)
        if name:
            inspection.root, inspection.root_at = name.group(0), lt
            return inspection
        pos = lt + 1
    return inspection


def _declaration_end(text: str, start: int) -> int:
    close = text.find(">", start)
    return len(text) if close < 0 else close + 1


def _unquote(literal: str | None) -> str | None:
    return literal[1:-1] if literal else None


def _read_doctype(text: str, start: int) -> tuple[Doctype | None, int, list[tuple[str, str]]]:
    """Read one DOCTYPE at ``start``: its parts, where it ends, and what is wrong with it."""
    head = _DOCTYPE_HEAD.match(text, start)
    if head is None:
        return None, _declaration_end(text, start), [(MALFORMED_DOCTYPE, "unreadable DOCTYPE")]
    problems: list[tuple[str, str]] = []
    name = head.group(1)
    system_id = _unquote(head.group(2) or head.group(4))
    public_id = _unquote(head.group(3))
    pos = head.end()
    subset: str | None = None
    if text.startswith("[", pos):
        empty = _EMPTY_SUBSET.match(text, pos + 1)
        if empty is not None:
            subset, pos = "", empty.end()
        else:
            # Something is declared: refused whatever it is, so only a window is read to
            # name the trick; a subset larger than the window ends the scan.
            window_end = min(len(text), pos + 1 + _SUBSET_WINDOW)
            subset_end = _subset_end(text, pos + 1, window_end)
            subset = text[pos + 1:subset_end]
            problems.extend(_classify_subset(subset))
            if subset_end >= window_end:
                problems.append((MALFORMED_DOCTYPE, f"internal subset of DOCTYPE {name!r} not "
                                                    f"closed within {_SUBSET_WINDOW} characters"))
                return Doctype(name, public_id, system_id, subset), len(text), problems
            pos = subset_end + 1
    close = _DOCTYPE_CLOSE.match(text, pos)
    if close is None:
        problems.append((MALFORMED_DOCTYPE, f"DOCTYPE {name!r} is not closed by '>'"))
        pos = _declaration_end(text, pos)
    else:
        pos = close.end()
    if public_id is not None or system_id is not None:
        allowed = ALLOWED_PUBLIC_DTDS.get(public_id or "")
        if allowed is None or system_id not in allowed:
            problems.append((EXTERNAL_DTD, f"DOCTYPE {name!r} refers to an external DTD "
                                           f"(PUBLIC {public_id!r}, SYSTEM {system_id!r})"))
    return Doctype(name, public_id, system_id, subset), pos, problems


def _subset_end(text: str, pos: int, end: int) -> int:
    """Index of the ']' closing an internal subset (quotes, comments skipped), or ``end``."""
    while True:
        special = _SUBSET_SPECIAL.search(text, pos, end)
        if special is None:
            return end
        token = special.group(0)
        if token == "]":
            return special.start()
        closer = "-->" if token == "<!--" else token
        close = text.find(closer, special.end(), end)
        if close < 0:
            return end
        pos = close + len(closer)


def _without_comments(subset: str) -> str:
    pieces: list[str] = []
    pos = 0
    while (start := subset.find("<!--", pos)) >= 0:
        pieces.append(subset[pos:start])
        close = subset.find("-->", start + 4)
        pos = len(subset) if close < 0 else close + 3
    pieces.append(subset[pos:])
    return "".join(pieces)


def _classify_subset(subset: str) -> list[tuple[str, str]]:
    """Name the tricks an internal DTD subset tries; an empty list if it declares nothing."""
    subset = _without_comments(subset)
    if not subset.strip():
        return []
    problems: list[tuple[str, str]] = []
    internal: dict[str, str] = {}
    for decl in _ENTITY_DECL.finditer(subset):
        percent, name, keyword, first, second, value = decl.groups()
        if percent:
            source = f"{keyword} {_unquote(second or first)!r}" if keyword else "internal value"
            problems.append((PARAMETER_ENTITY, f"parameter entity %{name}; ({source})"))
        elif keyword:
            target = _unquote(second or first)
            problems.append((EXTERNAL_ENTITY, f"entity &{name}; loads {keyword} {target!r}"))
        else:
            internal[name] = _unquote(value) or ""
    if reference := _PE_REFERENCE.search(subset):
        problems.append((PARAMETER_ENTITY, f"parameter entity reference {reference.group(0)}"))
    nested = sorted(
        name for name, value in internal.items()
        if any(ref not in _PREDEFINED_ENTITIES for ref in _ENTITY_REFERENCE.findall(value))
    )
    if nested:
        problems.append((BILLION_LAUGHS, f"entities {', '.join(nested[:5])} expand other "
                                         f"entities ({len(internal)} entities declared)"))
    big = sorted((len(value), name) for name, value in internal.items()
                 if len(value) >= _QUADRATIC_VALUE_CHARS)
    if big:
        size, name = big[-1]
        problems.append((QUADRATIC_BLOWUP, f"internal entity &{name}; of {size} characters"))
    if internal and not (nested or big):
        names = ", ".join(sorted(internal)[:5])
        problems.append((INTERNAL_ENTITY, f"internal entities declared: {names}"))
    if not problems and _ANY_ENTITY_DECL.search(subset):
        problems.append((INTERNAL_ENTITY, "an unreadable <!ENTITY> declaration"))
    if markup := _MARKUP_DECL.search(subset):
        problems.append((INTERNAL_SUBSET, f"<!{markup.group(1).upper()}> in the internal subset"))
    if not problems:
        problems.append((INTERNAL_SUBSET, f"internal subset is not empty: {subset.strip()[:60]!r}"))
    return problems


def _scan_after_root(text: str, pos: int) -> list[tuple[str, str]]:
    """Declarations after the root element (outside CDATA and comments): never legitimate."""
    problems: list[tuple[str, str]] = []
    while (special := _BODY_SPECIAL.search(text, pos)) is not None:
        token = special.group(0)
        if token.startswith("<![CDATA["):
            close, width = text.find("]]>", special.end()), 3
        elif token == "<!--":
            close, width = text.find("-->", special.end()), 3
        elif special.group(1).upper() == "DOCTYPE":
            # A plain DOCTYPE here (say, of an HTML page pasted raw) is never read as a DTD.
            _doctype, next_pos, found = _read_doctype(text, special.start())
            problems.extend(p for p in found if p[0] not in {EXTERNAL_DTD, MALFORMED_DOCTYPE})
            close, width = next_pos, 0
        else:
            word = special.group(1).upper()
            problems.extend(_classify_subset(text[special.start():
                                                  _declaration_end(text, special.start())]))
            problems.append((MISPLACED_DECLARATION, f"<!{word}> after the root element"))
            close, width = _declaration_end(text, special.start()), 0
        if close < 0:
            break
        pos = close + width
    return problems
