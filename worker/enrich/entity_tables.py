"""The plain-data tables entity normalisation runs on, and the name forms they compare.

``config/entity_aliases.yaml`` (aliases, titles, particles, articles, typed names) joined
with pycountry's ISO 3166 names in every configured language; validated and built once per
process, so a broken table fails at start-up, not on the first article.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ANY_LANGUAGE = "*"
ALIAS_FILE = "entity_aliases.yaml"
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*:[A-Za-z0-9][A-Za-z0-9._-]*$")
_APOSTROPHES = re.compile(r"['’‘`´]")
_DASHES = re.compile(r"[-‐‑‒–—―]")
# Priorities of a name -> id claim; the highest claim wins, ties between ids drop the name.
_DERIVED, _OFFICIAL, _ALIAS = 1, 2, 3


@dataclass(frozen=True)
class Canonical:
    """One real-world entity a mention can link to."""

    id: str
    name: str
    label: str
    match_labels: frozenset[str] = frozenset()  # model labels allowed to link; empty: any

    def accepts(self, model_label: str) -> bool:
        """Whether a mention with this model label may link here (e.g. no PER 'Jordan')."""
        return not self.match_labels or model_label in self.match_labels


@dataclass(frozen=True)
class EntityTables:
    """The plain-data tables normalisation runs on, built once per process."""

    leading_words: tuple[tuple[str, ...], ...] = ()
    titles: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    particles: frozenset[str] = frozenset()
    entries: Mapping[str, Canonical] = field(default_factory=dict)
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # scope -> key -> id
    # language -> folded articles that may open a place name ("la", "l'")
    place_articles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    typed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # scope -> key -> label
    place_label: str = "LOC"

    _merged_titles: dict[str | None, tuple[tuple[str, ...], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # (surface, language, personal) -> display name without titles; see ``names_memo``.
    _names: dict[tuple[str, str | None, bool], str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def names_memo(self) -> dict[tuple[str, str | None, bool], str]:
        """Names already stripped of titles with these tables, at most ``_MEMO_SIZE`` of them:
        the index stage strips every surface form of every entity again for its search keys
        (a quarter of its Python time), and news repeats the same names."""
        if len(self._names) >= _MEMO_SIZE:
            self._names.clear()
        return self._names

    def titles_for(self, language: str | None) -> tuple[tuple[str, ...], ...]:
        """Personal titles of a language (all languages when unknown), longest first."""
        merged = self._merged_titles.get(language)
        if merged is None:
            if language is None:
                pool = {t for ts in self.titles.values() for t in ts}
            else:
                pool = {*self.titles.get(ANY_LANGUAGE, ()), *self.titles.get(language, ())}
            merged = tuple(sorted(pool, key=lambda t: (-len(t), t)))
            self._merged_titles[language] = merged  # a memo: the tables themselves never change
        return merged

    def lookup(self, key: str, language: str | None, model_label: str) -> Canonical | None:
        """The entry a match key names in this language, if the model label may link to it."""
        scopes = (language, ANY_LANGUAGE) if language else (ANY_LANGUAGE,)
        for scope in scopes:
            entity_id = self.names.get(scope, {}).get(key)
            if entity_id is not None:
                entry = self.entries[entity_id]
                return entry if entry.accepts(model_label) else None
        return None

    def typed_label(self, key: str, language: str | None,
                    model_label: str | None = None) -> str | None:
        """The label the tables know a name by ('Rotterdam' is LOC).

        Given the model's label, only across the person line: a PER 'Rotterdam' becomes LOC
        and an ORG 'Assad' PER, but an ORG 'Barcelona' (the club) stays ORG.
        """
        scopes = (language, ANY_LANGUAGE) if language else (ANY_LANGUAGE,)
        for scope in scopes:
            label = self.typed.get(scope, {}).get(key)
            if label is not None:
                crosses = model_label is None or (model_label == "PER") != (label == "PER")
                return label if crosses else None
        return None

    def is_place(self, key: str, language: str | None, model_label: str) -> bool:
        """Whether a match key names a place the tables know: a country, a LOC entry or name."""
        entry = self.lookup(key, language, model_label)
        if entry is not None:
            return entry.label == self.place_label
        return self.typed_label(key, language) == self.place_label


# Normalising an article folds each of its ~70 mentions' words a dozen times over, and news
# repeats the same names and words: memos keep that from costing more than the NER's share.
# 4,096 entries are as fast as 65,536 (100 articles need ~3,400) and hold about 1 MB each.
_MEMO_SIZE = 4096


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _fold(text: str) -> str:
    """Case-, accent- and width-insensitive form of text, so 'Moscou' == 'MOSCOU'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _title_tokens(title: str) -> tuple[str, ...]:
    """A title as folded tokens without trailing dots: 'Mr.' and 'mr' are the same title."""
    return tuple(_fold(t).rstrip(".") for t in title.split())


_PrefixIndex = dict[str, tuple[tuple[str, ...], ...]]
_prefix_indexes: dict[int, tuple[tuple[tuple[str, ...], ...], _PrefixIndex]] = {}


def _by_first_word(prefixes: tuple[tuple[str, ...], ...]) -> _PrefixIndex:
    """The prefixes grouped by their first word, each group in the given order; kept per
    tuple object (the tables hand out the same tuples for a process's life)."""
    kept = _prefix_indexes.get(id(prefixes))
    if kept is not None and kept[0] is prefixes:
        return kept[1]
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for prefix in prefixes:
        if prefix:
            grouped.setdefault(prefix[0], []).append(prefix)
    index = {word: tuple(group) for word, group in grouped.items()}
    if len(_prefix_indexes) > 64:
        _prefix_indexes.clear()
    _prefix_indexes[id(prefixes)] = (prefixes, index)
    return index


def leading_count(words: list[str], prefixes: tuple[tuple[str, ...], ...]) -> int:
    """How many leading ``words`` are titles (repeatedly), never all of them."""
    if not words or not prefixes:
        return 0
    index = _by_first_word(prefixes)
    folded = [_fold(w).rstrip(".") for w in words]
    start = 0
    while start < len(words):
        for prefix in index.get(folded[start], ()):
            n = len(prefix)
            if len(words) - start > n and tuple(folded[start : start + n]) == prefix:
                start += n
                break
        else:
            break
    return start


def strip_leading(name: str, prefixes: tuple[tuple[str, ...], ...]) -> str:
    """``name`` without leading titles (repeatedly), never stripped down to nothing."""
    words = name.split()
    return " ".join(words[leading_count(words, prefixes):])


def article_length(words: list[str], articles: tuple[str, ...]) -> int:
    """Characters of a leading article in ``words`` ('la', or the "l'" of "l'Iran"), else 0."""
    if len(words) < 1 or not articles:
        return 0
    first = _APOSTROPHES.sub("'", _fold(words[0]))
    for article in articles:
        if article.endswith("'"):
            if first.startswith(article) and len(first) > len(article):
                return len(article)
        elif first == article and len(words) > 1:
            return len(words[0])
    return 0


@functools.lru_cache(maxsize=_MEMO_SIZE)
def match_key(name: str, particles: frozenset[str]) -> str:
    """What names are compared by: folded, dots/apostrophes gone, name particles dropped."""
    folded = _APOSTROPHES.sub("", _fold(name).replace(".", ""))
    tokens: list[str] = []
    for word in folded.split():
        parts = [p for p in _DASHES.split(word) if p]
        # 'al-Assad' -> 'assad': a particle glued by a dash to what follows is dropped.
        while len(parts) > 1 and parts[0] in particles:
            parts = parts[1:]
        tokens.extend(parts)
    # 'Bashar al Assad' -> 'bashar assad': a free-standing particle inside a name too.
    kept = [
        t for i, t in enumerate(tokens)
        if not (0 < i < len(tokens) - 1 and t in particles)
    ]
    return " ".join(kept)


# --- tables -------------------------------------------------------------------------------


def _strings(value: Any, where: str) -> list[str]:
    """A YAML list of strings, or a clear error naming where it was wrong."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: expected a list of non-empty strings")
    return [str(v) for v in value]


def _scoped(value: Any, where: str) -> dict[str, list[str]]:
    """Aliases as {scope: names}: a plain list means every language."""
    if value is None:
        return {}
    if isinstance(value, list):
        return {ANY_LANGUAGE: _strings(value, where)}
    if isinstance(value, dict):
        return {str(k): _strings(v, f"{where}.{k}") for k, v in value.items()}
    raise ValueError(f"{where}: expected a list or a language -> list mapping")


class _NameIndex:
    """Claims of names on ids while the tables are built, resolved by priority."""

    def __init__(self, particles: frozenset[str], leading: tuple[tuple[str, ...], ...]) -> None:
        self.particles = particles
        self.leading = leading
        self.claims: dict[tuple[str, str], dict[int, set[str]]] = {}

    def add(self, scope: str, name: str, entity_id: str, priority: int) -> None:
        """Claim a name (and its form without a leading 'the') for an id."""
        for form in {name, strip_leading(name, self.leading)}:
            key = match_key(form, self.particles)
            if key:
                self.claims.setdefault((scope, key), {}).setdefault(priority, set()).add(
                    entity_id
                )

    def resolve(self) -> dict[str, dict[str, str]]:
        """scope -> key -> id; a tie between aliases is an error, elsewhere it drops the name."""
        names: dict[str, dict[str, str]] = {}
        for (scope, key), by_priority in self.claims.items():
            top = max(by_priority)
            ids = by_priority[top]
            if len(ids) == 1:
                names.setdefault(scope, {})[key] = next(iter(ids))
            elif top == _ALIAS:
                raise ValueError(f"alias '{key}' ({scope}) names several entities: {sorted(ids)}")
        return names


def _country_names(languages: Iterable[str]) -> Iterator[tuple[str, str, str, int]]:
    """(alpha_2, display name, name, priority) for every ISO 3166 name and its translations."""
    import gettext

    import pycountry

    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in sorted(set(languages) - {"en"})
    ]
    for country in pycountry.countries:
        code = str(country.alpha_2)
        english = [
            str(v) for v in (
                getattr(country, "name", None),
                getattr(country, "common_name", None),
                getattr(country, "official_name", None),
            ) if v
        ]
        display = str(getattr(country, "common_name", None) or country.name)
        forms = set(english) | {t.gettext(e) for t in translations for e in english}
        for form in forms:
            yield code, display, form, _OFFICIAL
            head, comma, tail = form.partition(",")
            if comma:  # 'Russie, Fédération de' -> 'Russie', 'Fédération de Russie'
                yield code, display, head.strip(), _DERIVED
                yield code, display, f"{tail.strip()} {head.strip()}", _DERIVED


def build_tables(
    data: Mapping[str, Any], *, languages: Iterable[str], labels: Iterable[str]
) -> EntityTables:
    """Validate the alias YAML and join it with pycountry; a broken table fails at start-up."""
    allowed = set(labels)
    particles = frozenset(_fold(p) for p in _strings(data.get("name_particles") or [], "particles"))
    leading = tuple(_title_tokens(w) for w in _strings(data.get("leading_words") or [], "leading"))
    titles = {
        scope: tuple(sorted({_title_tokens(t) for t in ts}, key=lambda t: (-len(t), t)))
        for scope, ts in _scoped(data.get("titles"), "titles").items()
    }
    index = _NameIndex(particles, leading)
    entries: dict[str, Canonical] = {}

    countries = data.get("countries") or {}
    country_label = str(countries.get("label", "LOC"))
    country_match = frozenset(_strings(countries.get("match_labels") or [], "countries"))
    if country_label not in allowed or not country_match <= allowed:
        raise ValueError(f"countries: labels must be among {sorted(allowed)}")
    for code, display, form, priority in _country_names(languages):
        entity_id = f"country:{code}"
        entries.setdefault(entity_id, Canonical(entity_id, display, country_label, country_match))
        index.add(ANY_LANGUAGE, form, entity_id, priority)

    for i, raw in enumerate(data.get("entities") or []):
        where = f"entities[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise ValueError(f"{where}: an entry needs an 'id'")
        entity_id = raw["id"]
        if not _ID_PATTERN.match(entity_id):
            raise ValueError(f"{where}: id '{entity_id}' is not namespace:slug")
        known = entries.get(entity_id)
        if entity_id.startswith("country:") and known is None:
            raise ValueError(f"{where}: '{entity_id}' is not an ISO 3166 alpha-2 code")
        if not entity_id.startswith("country:") and entity_id in entries:
            raise ValueError(f"{where}: id '{entity_id}' appears twice")
        name = str(raw.get("name") or (known.name if known else ""))
        label = str(raw.get("label") or (known.label if known else ""))
        if not name or label not in allowed:
            raise ValueError(f"{where}: needs a name and a label among {sorted(allowed)}")
        match = raw.get("match_labels")
        match_labels = (
            frozenset(_strings(match, where)) if match is not None
            else known.match_labels if known else frozenset()
        )
        if not match_labels <= allowed:
            raise ValueError(f"{where}: match_labels must be among {sorted(allowed)}")
        entries[entity_id] = Canonical(entity_id, name, label, match_labels)
        index.add(ANY_LANGUAGE, name, entity_id, _ALIAS)
        for scope, aliases in _scoped(raw.get("aliases"), f"{where}.aliases").items():
            for alias in aliases:
                index.add(scope, alias, entity_id, _ALIAS)

    articles = {
        scope: tuple(_APOSTROPHES.sub("'", _fold(a)) for a in names)
        for scope, names in _scoped(data.get("place_articles"), "place_articles").items()
    }
    return EntityTables(leading, titles, particles, entries, index.resolve(), articles,
                        _typed_names(data, allowed, particles, leading), country_label)


def _typed_names(data: Mapping[str, Any], allowed: set[str], particles: frozenset[str],
                 leading: tuple[tuple[str, ...], ...]) -> dict[str, dict[str, str]]:
    """scope -> match key -> label, from ``typed_names`` and the ``gazetteer`` names."""
    typed: dict[str, dict[str, str]] = {}
    for section in ("gazetteer", "typed_names"):
        by_label = data.get(section) or {}
        if not isinstance(by_label, dict):
            raise ValueError(f"{section}: expected a label -> names mapping")
        for label, value in by_label.items():
            if label not in allowed:
                raise ValueError(f"{section}: label '{label}' is not among {sorted(allowed)}")
            for scope, names in _scoped(value, f"{section}.{label}").items():
                for name in names:
                    key = match_key(strip_leading(name, leading), particles)
                    known = typed.setdefault(scope, {}).setdefault(key, str(label))
                    if known != label:
                        raise ValueError(f"{section}: '{name}' is both {known} and {label}")
    return typed


@functools.cache
def default_tables(config: Path) -> EntityTables:
    """The tables configured in ``config``, read once per process (aliases + languages.yaml)."""
    data = yaml.safe_load((config / ALIAS_FILE).read_text(encoding="utf-8")) or {}
    langs = yaml.safe_load((config / "languages.yaml").read_text(encoding="utf-8")) or {}
    return build_tables(
        data, languages=[*(langs.get("languages") or {}), "en"],
        labels=langs.get("index_labels") or [],
    )
