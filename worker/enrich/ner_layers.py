"""Registered spaCy layers of the Indonesian NER model; import before loading or training it.

Lower-cased news (NERP) carries no capitalisation cue, so the model also sees (1) the word's
first and last UTF-8 bytes by position: Indonesian affixes (me-, di-, -kan, -nya) and name
endings become visible to the CNN without widening it; (2) how common the word is in
Indonesian and in English (wordfreq), a prior the 8k training sentences cannot give for
words they never contain.
"""

from __future__ import annotations

import functools
import math
from typing import Any, cast

import numpy
from spacy.attrs import LOWER
from spacy.ml._character_embed import CharacterEmbed
from spacy.ml.featureextractor import FeatureExtractor
from spacy.strings import hash_string  # type: ignore[attr-defined]
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    Embed,
    HashEmbed,
    Maxout,
    Model,
    chain,
    concatenate,
    list2ragged,
    ragged2list,
    with_array,
)
from thinc.types import Floats2d, Ints2d, Ragged

ARCHITECTURE = "newsworker.HashCharEmbed.v1"
# Zipf frequency in half steps: 1 = once per 10^9 words ... 16 = once per 10 words; 0 = unlisted.
FREQUENCY_BUCKETS = 17


def zipf_bucket(frequency: float) -> int:
    """Half-step Zipf bucket of a word frequency, 0 for words wordfreq does not list."""
    if frequency <= 0:
        return 0
    return max(1, min(FREQUENCY_BUCKETS - 1, int((math.log10(frequency) + 9) * 2)))


def _sorted_table(codes: dict[str, int]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Word -> code as two arrays sorted by the word's hash, for vectorised lookup."""
    pairs = sorted({hash_string(word): code for word, code in codes.items()}.items())
    keys = numpy.array([k for k, _ in pairs], dtype="uint64")
    values = numpy.array([v for _, v in pairs], dtype="uint8")
    return keys, values


@functools.cache
def frequency_table(language: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Sorted lower-case word hashes and their Zipf buckets for one language, built once."""
    try:
        from wordfreq import get_frequency_dict
    except ImportError as exc:  # only training needs it; trained models carry their tables
        raise RuntimeError("training needs wordfreq: pip install 'newsworker[train]'") from exc
    words = get_frequency_dict(language, wordlist="best")
    return _sorted_table({word: zipf_bucket(freq) for word, freq in words.items()})

def lookup_buckets(table: tuple[numpy.ndarray, numpy.ndarray], keys: numpy.ndarray) -> Any:
    """Vectorised table lookup: the bucket of each key, 0 where the word is not listed."""
    known, buckets = table
    if not len(known):
        return numpy.zeros(len(keys), dtype="uint64")
    index = numpy.minimum(numpy.searchsorted(known, keys), len(known) - 1)
    return numpy.where(known[index] == keys, buckets[index], 0).astype("uint64")


def frequency_features(languages: list[str]) -> Model[list[Doc], list[Ints2d]]:
    """One column per language: the Zipf bucket of each token's lower-cased form.

    The tables are filled from wordfreq when the model is initialised for training and are
    saved inside the model, so a trained model needs neither wordfreq nor its data to run.
    """

    def init(model: Model[list[Doc], list[Ints2d]], X: Any = None, Y: Any = None) -> None:
        if not model.attrs["tables"]:
            model.attrs["tables"] = {lang: list(frequency_table(lang)) for lang in languages}

    def forward(model: Model[list[Doc], list[Ints2d]], docs: list[Doc], is_train: bool) -> Any:
        stored = model.attrs["tables"]
        missing = [lang for lang in languages if lang not in stored]
        if missing:
            raise ValueError(f"frequency tables for {missing} missing: initialise the model")
        tables = [(stored[lang][0], stored[lang][1]) for lang in languages]
        out: list[Ints2d] = []
        for doc in docs:
            keys = doc.to_array([LOWER]).reshape(-1).astype("uint64")
            columns = numpy.zeros((len(keys), len(tables)), dtype="uint64")
            for j, table in enumerate(tables):
                columns[:, j] = lookup_buckets(table, keys)
            out.append(model.ops.asarray(columns, dtype="uint64"))  # type: ignore[arg-type]
        return out, lambda d_out: []

    return Model(
        "frequency_features",
        forward,
        init=init,
        attrs={"languages": list(languages), "tables": {}},
    )


@registry.architectures(ARCHITECTURE)  # type: ignore[untyped-decorator]
def hash_char_embed(
    width: int,
    attrs: list[str],
    rows: list[int],
    nM: int,
    nC: int,
    lexicons: list[str] | None = None,
    lexicon_width: int = 32,
) -> Model[list[Doc], list[Floats2d]]:
    """Hashed attribute, positional byte and word-frequency embeddings mixed by one maxout."""
    if len(rows) != len(attrs):
        raise ValueError(f"rows ({len(rows)}) and attrs ({len(attrs)}) differ in length")
    embeddings: list[Model[Ints2d, Floats2d]] = [
        HashEmbed(width, n_rows, column=i, seed=8 + i, dropout=0.0)
        for i, n_rows in enumerate(rows)
    ]
    parts: list[Model[list[Doc], Ragged]] = [
        chain(
            FeatureExtractor(attrs),
            cast(Model[list[Ints2d], Ragged], list2ragged()),
            with_array(concatenate(*embeddings)),
        ),
        chain(
            CharacterEmbed(nM=nM, nC=nC),
            cast(Model[list[Floats2d], Ragged], list2ragged()),
        ),
    ]
    size = width * len(rows) + nM * nC
    languages = list(lexicons or [])
    if languages:
        tables: list[Model[Ints2d, Floats2d]] = [
            Embed(lexicon_width, FREQUENCY_BUCKETS, column=j, dropout=0.0)
            for j, lang in enumerate(languages)
        ]
        parts.append(
            chain(
                frequency_features(languages),
                cast(Model[list[Ints2d], Ragged], list2ragged()),
                with_array(concatenate(*tables)),
            )
        )
        size += lexicon_width * len(languages)
    mix: Model[Ragged, Ragged] = with_array(
        Maxout(width, size, nP=3, dropout=0.0, normalize=True)
    )
    return cast(
        Model[list[Doc], list[Floats2d]], chain(concatenate(*parts), mix, ragged2list())
    )


# The shipped model's other custom part: importing this module registers it too.
from worker.enrich import entity_relabeller as _entity_relabeller  # noqa: E402,F401
