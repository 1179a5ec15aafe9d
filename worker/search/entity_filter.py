"""An entity filter as the keyword terms it matches in `entity_keys` (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from worker.enrich.normalise import ANY_LANGUAGE, EntityTables, match_key
from worker.index.documents import entity_key_term
from worker.search.request import SearchError, Vocabulary


def entity_terms(
    value: str, vocabulary: Vocabulary, tables: EntityTables, languages: Iterable[str] = ()
) -> list[str]:
    """'PER:Putin', 'country:SY' or a bare 'Syria' (any label, any language's name)."""
    prefix, sep, name = value.partition(":")
    prefix, name = prefix.strip(), name.strip()
    if sep and prefix.upper() in vocabulary.labels:
        if not name:
            raise SearchError(f"entity filter '{value}' has a label but no name")
        labels: tuple[str, ...] = (prefix.upper(),)
    elif sep and prefix.lower() in vocabulary.id_namespaces:
        if not name:
            raise SearchError(f"entity filter '{value}' has an id namespace but no id")
        return sorted({f"{prefix.lower()}:{name}", entity_key_term(prefix, name)}
                      | _ids_spelled(f"{prefix.lower()}:{name}", tables))
    elif sep and prefix and " " not in prefix:
        raise SearchError(
            f"'{prefix}' in entity filter '{value}' is neither a label nor an id namespace",
            [*vocabulary.labels, *vocabulary.id_namespaces],
        )
    else:
        labels, name = vocabulary.labels, value.strip()
    terms = {entity_key_term(label, name) for label in labels}
    for entity_id in canonical_ids(name, tables, labels, languages):
        terms.add(entity_id)
    return sorted(terms)


def canonical_ids(
    name: str, tables: EntityTables, labels: Iterable[str], languages: Iterable[str] = ()
) -> set[str]:
    """Ids whose name or alias is ``name``, in the asked languages (all when none asked)."""
    key = match_key(name, tables.particles)
    wanted = set(labels)
    scopes = [*languages, ANY_LANGUAGE] if languages else list(tables.names)
    found = set()
    for scope in scopes:
        entity_id = tables.names.get(scope, {}).get(key)
        if entity_id is not None and tables.entries[entity_id].label in wanted:
            found.add(entity_id)
    return found


def _ids_spelled(value: str, tables: EntityTables) -> set[str]:
    """The id as the tables spell it ('country:sy' -> 'country:SY'), so case does not matter."""
    folded = value.casefold()
    return {entity_id for entity_id in tables.entries if entity_id.casefold() == folded}
