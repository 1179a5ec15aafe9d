"""Index templates, kept as JSON data under config/elasticsearch/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_template(config_dir: Path, name: str, index_pattern: str) -> dict[str, Any]:
    """A template body with its index pattern set from the configured index names."""
    body: dict[str, Any] = json.loads(
        (config_dir / "elasticsearch" / f"{name}-template.json").read_text(encoding="utf-8")
    )
    body["index_patterns"] = [index_pattern]
    return body


def mapped_fields(template: dict[str, Any]) -> set[str]:
    """Top-level field names a template maps; documents may carry no others."""
    return set(template["template"]["mappings"]["properties"])
