"""Markdown seeds: front matter read, syntax stripped to the plain text NLP and search expect.

Front matter: a leading ``---`` block whose first line is ``key:`` is YAML (``yaml.safe_load``);
invalid YAML there refuses the file. Keys used: ``title``; ``date``/``published``/
``published_at`` (date candidate source ``file``); ``url``/``link``/``canonical_url`` (only an
absolute http(s) URL; site-relative Hugo/Jekyll urls are ignored); ``author``/``authors``;
``summary``/``description``; ``language``/``lang``. Other keys are ignored.

Title: front matter ``title``, else the first ``# `` (or ``===``-underlined) heading, which is
then not body; else line 1 under the plain-text rule. Body: links keep their text, images and
HTML tags go, emphasis and code markers go, list items and code lines stay one per line,
other paragraphs fold their line breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from worker.errors import QuarantineError
from worker.record import DateCandidate
from worker.sources.page_extract import language_code
from worker.sources.seed_common import (
    ReadContext,
    authors_from,
    build_article,
    checked_url,
    decode_single_text,
    looks_like_title,
    timestamp_from,
)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_MATTER_KEY = re.compile(r"^[\w-]+[ \t]*:")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
_SETEXT_H1 = re.compile(r"^\s{0,3}=+\s*$")
_SETEXT_H2 = re.compile(r"^\s{0,3}-+\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|(\d{1,9}[.)]))\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~<])")
_URL_PARENS = r"\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)"
_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]]*\]" + _URL_PARENS), ""),
    (re.compile(r"!\[[^\]]*\]\[[^\]]*\]"), ""),
    (re.compile(r"\[([^\]]*)\]" + _URL_PARENS), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"(`+)(.+?)\1"), r"\2"),
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
)
_ESCAPE_BASE = 0xF0000  # private-use code points hold escaped characters while syntax goes


@dataclass
class _Block:
    kind: str  # "para", "h1", "heading", "list", "code"
    lines: list[str]


def read_markdown(raw: bytes, ctx: ReadContext) -> None:
    """A Markdown seed: one article."""
    text = decode_single_text(raw, ctx)
    meta, text = front_matter(text)
    blocks = markdown_blocks(text)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        title = ""
        h1 = next((b for b in blocks if b.kind == "h1"), None)
        if h1 is not None:
            title = _render(h1)
            blocks.remove(h1)
        elif (len(blocks) > 1 and blocks[0].kind == "para" and len(blocks[0].lines) == 1
              and looks_like_title(_render(blocks[0]))):
            title = _render(blocks.pop(0))
    paragraphs = [p for p in (_render(b) for b in blocks) if p]
    if not paragraphs and title:
        title, paragraphs = "", [title]
    candidates, flags = _front_matter_dates(meta)
    ctx.add_article(build_article(
        ctx,
        title=title,
        paragraphs=paragraphs,
        url=_front_matter_url(meta),
        summary=_first_str(meta, "summary", "description"),
        authors=authors_from(meta.get("authors", meta.get("author")), "authors"),
        candidates=candidates,
        language=language_code(meta.get("language", meta.get("lang"))),
        flags=flags,
    ))


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter as a mapping (empty if none) and the text after it."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        return {}, text
    first = next((line for line in m.group("yaml").splitlines() if line.strip()), "")
    if first and not _FRONT_MATTER_KEY.match(first):
        return {}, text  # a horizontal rule, not front matter
    try:
        data = yaml.safe_load(m.group("yaml"))
    except yaml.YAMLError as exc:
        raise QuarantineError(f"front matter is not valid YAML: {exc}".splitlines()[0],
                              reason_code="invalid_front_matter") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise QuarantineError("front matter is not a YAML mapping",
                              reason_code="invalid_front_matter")
    return {str(k).lower(): v for k, v in data.items()}, text[m.end():]


def markdown_blocks(text: str) -> list[_Block]:
    """Markdown split into blocks: paragraphs, headings, lists and code, syntax still inline."""
    blocks: list[_Block] = []
    current: _Block | None = None
    fence: str | None = None

    def close() -> None:
        nonlocal current
        if current is not None and current.lines:
            blocks.append(current)
        current = None

    for line in _COMMENT.sub("", text).split("\n"):
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
                close()
            elif current is not None:
                current.lines.append(line.rstrip())
            continue
        if m := _FENCE.match(line):
            close()
            fence, current = m.group(1), _Block("code", [])
            continue
        line = _QUOTE.sub("", line)
        if not line.strip():
            close()
        elif current is not None and current.kind == "para" and len(current.lines) == 1 and (
            _SETEXT_H1.match(line) or _SETEXT_H2.match(line)
        ):
            current.kind = "h1" if _SETEXT_H1.match(line) else "heading"
            close()
        elif _RULE.match(line) or _LINK_DEF.match(line) or _TABLE_RULE.match(line):
            if _RULE.match(line):
                close()
        elif m := _ATX.match(line):
            close()
            blocks.append(_Block("h1" if len(m.group(1)) == 1 else "heading", [m.group(2) or ""]))
        elif m := _LIST_ITEM.match(line):
            if current is None or current.kind != "list":
                close()
                current = _Block("list", [])
            current.lines.append(f"{m.group(1)} {m.group(2)}" if m.group(1) else m.group(2))
        elif current is not None and current.kind == "list" and line[:1].isspace():
            current.lines[-1] += " " + line.strip()
        else:
            if current is None or current.kind != "para":
                close()
                current = _Block("para", [])
            current.lines.append(_table_row(line))
    close()
    return blocks


def strip_inline(text: str) -> str:
    """Inline Markdown to plain text: link text kept, images, tags and markers dropped."""
    text = _ESCAPE.sub(lambda m: chr(_ESCAPE_BASE + ord(m.group(1))), text)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return re.sub(r"[\U000F0000-\U000F00FF]", lambda m: chr(ord(m.group(0)) - _ESCAPE_BASE), text)


def _render(block: _Block) -> str:
    if block.kind == "code":
        return "\n".join(line for line in block.lines if line.strip())
    lines = [" ".join(strip_inline(line).split()) for line in block.lines]
    lines = [line for line in lines if line]
    return "\n".join(lines) if block.kind == "list" else " ".join(lines)


def _table_row(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        return " ".join(cell.strip() for cell in stripped[1:-1].split("|"))
    return line


def _first_str(meta: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _front_matter_url(meta: dict[str, Any]) -> str | None:
    value = _first_str(meta, "url", "link", "canonical_url")
    if value is None:
        return None
    try:
        return checked_url(value)
    except QuarantineError:
        return None


def _front_matter_dates(meta: dict[str, Any]) -> tuple[list[DateCandidate], list[str]]:
    for key in ("date", "published", "published_at"):
        if key in meta and meta[key] is not None:
            value = timestamp_from(meta[key])
            if value is None:
                return [], ["unparsed_date"]
            return [DateCandidate(source="file", value=value)], []
    return [], []
