"""Seed paths to files: folders walked recursively, in a stable order, within a file cap.

Some targets are refused before anything is read, since they are almost always a mistake
(an unset shell variable, a typo) that would queue thousands of files: the empty path
(which would mean the current folder), a filesystem root and the user's home folder itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path


class SeedPathError(ValueError):
    """A target ingest will not walk; the message says why and what to do instead."""


def seed_paths(targets: Sequence[str], home: Path | None = None) -> list[Path]:
    """The targets as paths, after refusing the empty path, a root and the home folder."""
    home = _home() if home is None else home
    paths = []
    for target in targets:
        if not target.strip():
            raise SeedPathError(
                "an empty path would mean the whole current folder; name the files or "
                "folders to ingest (`.` if you really mean the current folder)"
            )
        path = Path(target).expanduser()
        resolved = path.resolve()
        if resolved.parent == resolved:
            raise SeedPathError(f"refusing to walk the filesystem root {target!r}; name the "
                                "folder that holds the seed files")
        if home is not None and resolved == home:
            raise SeedPathError(f"refusing to walk your whole home folder ({target!r}); name "
                                "the folder inside it that holds the seed files")
        paths.append(path)
    return paths


def discover_seed_files(paths: Iterable[Path], max_files: int | None = None) -> list[Path]:
    """Every regular file under ``paths``; hidden files and folders (".git") are skipped.

    Raises FileNotFoundError for a path that does not exist and SeedPathError as soon as
    more than ``max_files`` files are found (the walk stops there: `/usr` costs no more
    than the cap).
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files: Iterable[Path] = _walk(path)
        elif path.is_file():
            files = [path]
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        for file in files:
            found.append(file)
            if max_files is not None and len(found) > max_files:
                raise SeedPathError(
                    f"more than {max_files} files under {path} (NEWSWORKER_MAX_SEED_FILES); "
                    "ingest a narrower folder, or raise the limit"
                )
    return found


def _walk(folder: Path) -> Iterator[Path]:
    """Files below ``folder`` depth first, entries sorted by name: the order of sorted paths.

    Hidden entries are pruned before they are entered; symlinked folders are not followed.
    An unreadable folder is skipped.
    """
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path)


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):
        return None
