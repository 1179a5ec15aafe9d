"""Seed paths to files: folders walked recursively, in a stable order."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def discover_seed_files(paths: Iterable[Path]) -> list[Path]:
    """Every regular file under ``paths``; hidden files and folders (".git") are skipped."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and not _hidden(p.relative_to(path))
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return found


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)
