"""Entity normalisation: titles stripped, names merged per document, linked to canonical ids.

Everything here is a pure function of the mentions and of plain-data tables
(``config/entity_aliases.yaml`` and pycountry's ISO 3166 names), loaded once per process.

Choices worth knowing:

* A linked entity takes its label and display name from the table: a model that tags
  "Kremlin" as LOC or PER still yields ``ORG:kremlin`` / ``org:kremlin``. What the model said
  stays on each ``Mention`` (``Article.mentions``), so nothing is lost.
* Unlinked mentions with the same name but different model labels collapse onto one label
  when it dominates (at least twice as many mentions as all others together).
* A bare PER name ("Putin", "al-Assad") joins a longer PER name of the same document whose
  tokens start or end with it, only when exactly one such longer name exists.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from worker.enrich.entities import entity_name
from worker.record import Entity, Mention

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

    _merged_titles: dict[str | None, tuple[tuple[str, ...], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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


def _fold(text: str) -> str:
    """Case-, accent- and width-insensitive form of text, so 'Moscou' == 'MOSCOU'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _title_tokens(title: str) -> tuple[str, ...]:
    """A title as folded tokens without trailing dots: 'Mr.' and 'mr' are the same title."""
    return tuple(_fold(t).rstrip(".") for t in title.split())


def strip_leading(name: str, prefixes: tuple[tuple[str, ...], ...]) -> str:
    """``name`` without leading titles (repeatedly), never stripped down to nothing."""
    tokens = name.split()
    changed = True
    while changed:
        changed = False
        folded = [_fold(t).rstrip(".") for t in tokens]
        for prefix in prefixes:
            n = len(prefix)
            if len(tokens) > n and tuple(folded[:n]) == prefix:
                tokens = tokens[n:]
                changed = True
                break
    return " ".join(tokens)


def strip_titles(text: str, language: str | None, *, personal: bool, tables: EntityTables) -> str:
    """Display name of a mention: 'Mr. Putin' -> 'Putin'; personal titles only when asked."""
    name = strip_leading(entity_name(text), tables.leading_words)
    if personal:
        name = strip_leading(name, tables.titles_for(language))
    return name


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

    return EntityTables(leading, titles, particles, entries, index.resolve())


@functools.cache
def default_tables(config: Path) -> EntityTables:
    """The tables configured in ``config``, read once per process (aliases + languages.yaml)."""
    data = yaml.safe_load((config / ALIAS_FILE).read_text(encoding="utf-8")) or {}
    langs = yaml.safe_load((config / "languages.yaml").read_text(encoding="utf-8")) or {}
    return build_tables(
        data, languages=[*(langs.get("languages") or {}), "en"],
        labels=langs.get("index_labels") or [],
    )


# --- normalisation ------------------------------------------------------------------------


@dataclass
class _Group:
    """Mentions believed to name one entity, while a document is being normalised."""

    label: str
    canonical: Canonical | None
    keys: set[str] = field(default_factory=set)
    names: Counter[str] = field(default_factory=Counter)
    surfaces: dict[str, int] = field(default_factory=dict)  # surface -> first position
    count: int = 0

    def absorb(self, other: _Group) -> None:
        """Take over another group's mentions."""
        self.keys |= other.keys
        self.names.update(other.names)
        for surface, position in other.surfaces.items():
            self.surfaces[surface] = min(position, self.surfaces.get(surface, position))
        self.count += other.count

    def surface_forms(self) -> list[str]:
        """Surface forms in the order the document first used them."""
        return sorted(self.surfaces, key=lambda s: self.surfaces[s])

    def display(self) -> str:
        """Table name when linked, else the longest (then most frequent, then first) name."""
        if self.canonical:
            return self.canonical.name
        return min(self.names, key=lambda n: (-len(n), -self.names[n], n))


@dataclass(frozen=True)
class _Resolved:
    """One mention after stripping and linking."""

    surface: str
    name: str
    key: str
    label: str
    canonical: Canonical | None


def _resolve(mention: Mention, language: str | None, tables: EntityTables) -> _Resolved | None:
    """Strip titles and try the tables; None for a mention with no usable name."""
    personal = mention.label == "PER"
    name = strip_titles(mention.text, language, personal=personal, tables=tables)
    if not name:
        return None
    key = match_key(name, tables.particles)
    if not key:
        return None
    canonical = tables.lookup(key, language, mention.label)
    if canonical is None and not personal:
        # 'Presiden Putin' tagged ORG: try the name without personal titles too.
        bare = strip_titles(mention.text, language, personal=True, tables=tables)
        canonical = tables.lookup(match_key(bare, tables.particles), language, mention.label)
    return _Resolved(mention.text, name, key, mention.label, canonical)


def _dominant_labels(resolved: list[_Resolved]) -> dict[str, str]:
    """Unlinked name -> label that outnumbers all its other labels at least two to one."""
    per_key: dict[str, Counter[str]] = {}
    for r in resolved:
        if r.canonical is None:
            per_key.setdefault(r.key, Counter())[r.label] += 1
    dominant: dict[str, str] = {}
    for key, labels in per_key.items():
        if len(labels) > 1:
            (top, top_count), *_ = labels.most_common()
            if top_count >= 2 * (labels.total() - top_count):
                dominant[key] = top
    return dominant


def _merge_person_names(groups: dict[tuple[str, ...], _Group]) -> None:
    """Fold each bare PER name into the one longer PER name it starts or ends (in place)."""
    persons = [(gid, g) for gid, g in groups.items() if g.label == "PER"]
    by_edge: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for gid, g in persons:
        for key in g.keys:
            tokens = tuple(key.split())
            for edge in {tokens[0], tokens[-1]}:
                by_edge.setdefault(edge, []).append((gid, tokens))
    root: dict[tuple[str, ...], tuple[str, ...]] = {}

    def find(gid: tuple[str, ...]) -> tuple[str, ...]:
        while gid in root:
            gid = root[gid]
        return gid

    shorts = sorted(
        ((gid, tuple(next(iter(g.keys)).split())) for gid, g in persons if g.canonical is None),
        key=lambda item: (-len(item[1]), item[0]),
    )
    for gid, tokens in shorts:
        n = len(tokens)
        targets = {
            find(other)
            for edge in {tokens[0], tokens[-1]}
            for other, longer in by_edge.get(edge, ())
            if other != gid and len(longer) > n and tokens in (longer[:n], longer[-n:])
        }
        if len(targets) == 1:
            root[gid] = targets.pop()
    for gid in root:
        groups[find(gid)].absorb(groups.pop(gid))


def normalise_entities(
    mentions: list[Mention], language: str | None, *, tables: EntityTables
) -> list[Entity]:
    """One entity per real-world thing in a document, linked where the tables know it."""
    resolved = [r for m in mentions if (r := _resolve(m, language, tables)) is not None]
    dominant = _dominant_labels(resolved)
    groups: dict[tuple[str, ...], _Group] = {}
    for position, r in enumerate(resolved):
        if r.canonical is not None:
            gid: tuple[str, ...] = ("id", r.canonical.id)
            label = r.canonical.label
        else:
            label = dominant.get(r.key, r.label)
            gid = ("name", label, r.key)
        group = groups.setdefault(gid, _Group(label, r.canonical))
        group.keys.add(r.key)
        if r.canonical is not None:
            group.keys.add(match_key(r.canonical.name, tables.particles))
        group.names[r.name] += 1
        group.surfaces.setdefault(r.surface, position)
        group.count += 1
    _merge_person_names(groups)
    return _entities(groups.values())


def _entities(groups: Iterable[_Group]) -> list[Entity]:
    """Entities from groups, most mentioned first; groups that end up with one key join."""
    by_key: dict[str, Entity] = {}
    for g in groups:
        name = g.display()
        key = f"{g.label}:{' '.join(name.split()).casefold()}"
        known = by_key.get(key)
        if known is None:
            by_key[key] = Entity(
                key=key, name=name, label=g.label, surface_forms=g.surface_forms(),
                count=g.count, canonical_id=g.canonical.id if g.canonical else None,
            )
        else:
            known.count += g.count
            known.surface_forms.extend(s for s in g.surface_forms() if s not in known.surface_forms)
            known.canonical_id = known.canonical_id or (g.canonical.id if g.canonical else None)
    return sorted(by_key.values(), key=lambda e: (-e.count, e.key))


def search_names(
    entity: Entity, language: str | None, *, tables: EntityTables
) -> list[tuple[str, str]]:
    """(label, name) pairs an entity filter may use: canonical name, surface forms, id parts."""
    personal = entity.label == "PER"
    pairs = {(entity.label, entity.name)}
    for surface in entity.surface_forms:
        name = strip_titles(surface, language, personal=personal, tables=tables)
        if name:
            pairs.add((entity.label, name))
    if entity.canonical_id:
        namespace, _, rest = entity.canonical_id.partition(":")
        pairs.add((namespace, rest))
    return sorted(pairs)
