"""What the articles mapping offers documents, read from the template (the one source)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from worker.index.templates import load_template

TEXT_FIELDS = ("title", "summary", "body")


@dataclass(frozen=True)
class IndexLayout:
    """Languages with their own analysed copy of the text, and the entity labels mapped."""

    text_languages: frozenset[str]
    entity_labels: tuple[str, ...]

    @classmethod
    def from_template(cls, template: dict[str, Any]) -> IndexLayout:
        """The layout a template maps; documents built for it always fit its strict mapping."""
        props = template["template"]["mappings"]["properties"]
        return cls(
            text_languages=frozenset(props["text_by_language"]["properties"]),
            entity_labels=tuple(props["entity_names"]["properties"]),
        )

    def analyzers(self, template: dict[str, Any]) -> dict[str, str]:
        """Language code -> Elasticsearch analyzer type (english, indonesian, ...)."""
        defined = template["template"]["settings"]["analysis"]["analyzer"]
        return {code: defined[f"text_{code}"]["type"] for code in sorted(self.text_languages)}


@cache
def load_layout(config_dir: Path) -> IndexLayout:
    """The layout of the shipped (or configured) articles template, read once per process."""
    return IndexLayout.from_template(load_template(config_dir, "articles", "news-articles-*"))
