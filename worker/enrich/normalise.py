"""Entity normalisation: titles stripped, names merged per document, linked to canonical ids,
and every mention typed by its document's entity.

Everything here is a pure function of the mentions and of plain-data tables
(``config/entity_aliases.yaml`` and pycountry's ISO 3166 names, ``entity_tables``), loaded
once per process.

Choices worth knowing:

* A linked entity takes its label and display name from the table: a model that tags
  "Kremlin" as LOC or PER still yields ``ORG:kremlin`` / ``org:kremlin``. A name in
  ``typed_names`` or the ``gazetteer`` that the model put on the wrong side of the person
  line takes the table's label (a PER "Rotterdam" is LOC, an ORG "Assad" PER); a titled
  name tagged otherwise ("Presiden Putin" ORG) is the person of that name in the document.
* Every mention carries its entity's label; what the model said, when it differs, stays on
  the mention as ``model_label``, so nothing is lost.
* A mention's span is the name: personal titles ("Bpk.", "Mr.") and leading words ("the")
  are moved out of it (a dropped title is kept as ``title``), and a leading article ("la
  France", "l'Iran") only when the rest is a known place, so "Le Monde" keeps its "Le".
* Unlinked mentions with the same name but different model labels collapse onto one label
  when it dominates (at least twice as many mentions as all others together).
* A bare PER name ("Putin", "al-Assad") joins a longer PER name of the same document whose
  tokens start or end with it, only when exactly one such longer name exists.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from worker.enrich.entities import entity_name
from worker.enrich.entity_tables import (
    ALIAS_FILE,
    ANY_LANGUAGE,
    Canonical,
    EntityTables,
    article_length,
    build_tables,
    default_tables,
    leading_count,
    match_key,
    strip_leading,
)
from worker.record import Entity, Mention

__all__ = [
    "ALIAS_FILE", "ANY_LANGUAGE", "Canonical", "EntityTables", "build_tables", "default_tables",
    "match_key", "normalise_entities", "normalise_mentions", "search_names", "strip_leading",
    "strip_titles",
]

_WORD = re.compile(r"\S+")
# What may stand at the edges of a mention but is no part of its name; a final dot stays
# ("U.S.", "Jr.").
_LEAD_PUNCT = " .,;:\"'“”‘’«»()"
_TRAIL_PUNCT = " ,;:\"'“”‘’«»()"


def strip_titles(text: str, language: str | None, *, personal: bool, tables: EntityTables) -> str:
    """Display name of a mention: 'Mr. Putin' -> 'Putin'; personal titles only when asked."""
    memo = tables.names_memo()
    key = (text, language, personal)
    name = memo.get(key)
    if name is None:
        name = strip_leading(entity_name(text), tables.leading_words)
        if personal:
            name = strip_leading(name, tables.titles_for(language))
        memo[key] = name
    return name


# --- normalisation ------------------------------------------------------------------------


@dataclass
class _Group:
    """Mentions believed to name one entity, while a document is being normalised."""

    label: str
    canonical: Canonical | None
    keys: set[str] = field(default_factory=set)
    names: Counter[str] = field(default_factory=Counter)
    surfaces: dict[str, int] = field(default_factory=dict)  # surface -> first position
    members: list[Mention] = field(default_factory=list)  # typed and trimmed

    def absorb(self, other: _Group) -> None:
        """Take over another group's mentions."""
        self.keys |= other.keys
        self.names.update(other.names)
        for surface, position in other.surfaces.items():
            self.surfaces[surface] = min(position, self.surfaces.get(surface, position))
        self.members += other.members

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
    """One mention after stripping and linking; ``label`` is the tables' when they know it."""

    mention: Mention
    name: str
    key: str
    label: str
    canonical: Canonical | None
    untitled: bool = False  # name and key are without personal titles
    bare: tuple[str, str] | None = None  # (name, key) without the titles of an unlinked non-PER


def _edges(text: str) -> tuple[int, int]:
    """Where the name in a mention's text starts and ends: edge quotes, brackets off."""
    start, end = 0, len(text)
    while start < end and (text[start] in _LEAD_PUNCT or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in _TRAIL_PUNCT or text[end - 1].isspace()):
        end -= 1
    return start, end


def _cut(mention: Mention, start: int, end: int) -> Mention:
    """The mention narrowed to ``text[start:end]``; its offsets still index the document."""
    return mention.model_copy(update={"text": mention.text[start:end],
                                      "start": mention.start + start,
                                      "end": mention.start + end})


def _key(text: str, language: str | None, personal: bool, tables: EntityTables) -> tuple[str, str]:
    """(name, match key) of a mention text."""
    name = strip_titles(text, language, personal=personal, tables=tables)
    return name, match_key(name, tables.particles) if name else ""


def _without_place_article(mention: Mention, language: str | None,
                           tables: EntityTables) -> Mention:
    """'la France' -> 'France', 'l'Iran' -> 'Iran': only when the rest is a known place and
    the whole is no known name, so 'Le Monde', 'El País' and 'El Salvador' stay whole."""
    articles = tables.place_articles.get(language or "", ())
    start, end = _edges(mention.text)
    cut = article_length(mention.text[start:end].split(), articles)
    if not cut:
        return mention
    _, whole = _key(mention.text, language, False, tables)
    if tables.lookup(whole, language, mention.label) or tables.typed_label(whole, language):
        return mention
    rest = start + cut
    while rest < end and mention.text[rest].isspace():
        rest += 1
    _, key = _key(mention.text[rest:end], language, False, tables)
    if not key or not tables.is_place(key, language, mention.label):
        return mention
    return _cut(mention, rest, end)


def _resolve(mention: Mention, language: str | None, tables: EntityTables) -> _Resolved | None:
    """Strip titles and articles, try the tables; None for a mention with no usable name."""
    mention = _without_place_article(mention, language, tables)
    personal = mention.label == "PER"
    name, key = _key(mention.text, language, personal, tables)
    if not key:
        return None
    canonical = tables.lookup(key, language, mention.label)
    label = canonical.label if canonical else tables.typed_label(key, language, mention.label)
    if label is None and not personal:
        # 'Presiden Putin' tagged ORG: try the name without personal titles too.
        bare, bare_key = _key(mention.text, language, True, tables)
        canonical = tables.lookup(bare_key, language, mention.label)
        label = (canonical.label if canonical
                 else tables.typed_label(bare_key, language, mention.label))
        if label == "PER":
            name, key = bare, bare_key
        elif label is None and bare_key != key:
            return _Resolved(mention, name, key, mention.label, None, bare=(bare, bare_key))
        personal = label is not None  # found by its name without titles
    return _Resolved(mention, name, key, label or mention.label, canonical, personal)


def _titled_people(resolved: list[_Resolved]) -> list[_Resolved]:
    """A titled name tagged otherwise ('Presiden Putin' ORG) is the person of the same name
    elsewhere in the document ('Putin' PER); without one, the model's label stands."""
    people = {r.key for r in resolved if r.label == "PER"}
    return [
        replace(r, name=r.bare[0], key=r.bare[1], label="PER", untitled=True, bare=None)
        if r.bare is not None and r.bare[1] in people else r
        for r in resolved
    ]


def _typed(r: _Resolved, label: str, language: str | None, tables: EntityTables) -> Mention:
    """The mention with its entity's label, its span the name: leading words ('the') and,
    for a person or a name found without them, titles ('Bpk.', kept as ``title``) moved out;
    the model's label kept if other."""
    mention = r.mention
    start, end = _edges(mention.text)
    words = list(_WORD.finditer(mention.text, start, end))
    tokens = [w.group() for w in words]
    lead = leading_count(tokens, tables.leading_words)
    personal = label == "PER" or r.untitled
    titles = leading_count(tokens[lead:], tables.titles_for(language)) if personal else 0
    title = None
    if titles:
        title = mention.text[words[lead].start() : words[lead + titles - 1].end()]
    if lead + titles:
        start = words[lead + titles].start()
    model_label = mention.model_label or mention.label
    typed = _cut(mention, start, end) if words else mention
    return typed.model_copy(update={
        "label": label, "model_label": model_label if model_label != label else None,
        "title": title or mention.title,
    })


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


def normalise_mentions(
    mentions: list[Mention], language: str | None, *, tables: EntityTables
) -> tuple[list[Mention], list[Entity]]:
    """A document's mentions, each typed by its entity and spanning only the name, and its
    entities, one per real-world thing, linked where the tables know it.

    A mention with no usable name (punctuation, a lone title) belongs to no entity: dropped.
    """
    resolved = _titled_people(
        [r for m in mentions if (r := _resolve(m, language, tables)) is not None])
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
        typed = _typed(r, label, language, tables)
        group.surfaces.setdefault(typed.text, position)
        group.members.append(typed)
    _merge_person_names(groups)
    typed_mentions = sorted((m for g in groups.values() for m in g.members),
                            key=lambda m: (m.start, m.end))
    return typed_mentions, _entities(groups.values())


def normalise_entities(
    mentions: list[Mention], language: str | None, *, tables: EntityTables
) -> list[Entity]:
    """One entity per real-world thing in a document, linked where the tables know it."""
    return normalise_mentions(mentions, language, tables=tables)[1]


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
                count=len(g.members), canonical_id=g.canonical.id if g.canonical else None,
            )
        else:
            known.count += len(g.members)
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
