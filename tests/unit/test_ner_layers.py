"""The Indonesian model's custom embedding layers: features a user's text actually produces."""

from __future__ import annotations

import numpy
import pytest
import spacy

from worker.enrich import ner_layers
from worker.enrich.ner_layers import (
    FREQUENCY_BUCKETS,
    frequency_features,
    hash_char_embed,
    lookup_buckets,
    zipf_bucket,
)


def test_zipf_bucket_orders_common_above_rare_and_marks_unlisted() -> None:
    assert zipf_bucket(0.0) == 0
    assert zipf_bucket(1e-8) < zipf_bucket(1e-5) < zipf_bucket(1e-2)
    assert zipf_bucket(1e-12) == 1
    assert zipf_bucket(0.5) == FREQUENCY_BUCKETS - 1


def test_lookup_buckets_finds_known_keys_and_zeroes_unknown() -> None:
    table = (numpy.array([3, 7, 11], dtype="uint64"), numpy.array([5, 6, 9], dtype="uint64"))
    keys = numpy.array([7, 1, 11, 12], dtype="uint64")
    assert lookup_buckets(table, keys).tolist() == [6, 0, 9, 0]


def test_frequency_features_tell_common_words_from_unknown_names() -> None:
    nlp = spacy.blank("id")
    doc = nlp("Presiden menghadiri rapat bersama Xqzvwa")
    model = frequency_features(["id", "en"])
    model.initialize(X=[doc])
    [columns] = model.predict([doc])
    assert columns.shape == (len(doc), 2)
    indonesian = columns[:, 0].tolist()
    assert all(bucket > 0 for bucket in indonesian[:4])  # common Indonesian words
    assert indonesian[4] == 0 and int(columns[4, 1]) == 0  # an unknown name
    assert int(columns[0, 1]) < indonesian[0]  # "presiden" is rarer in English


def test_hash_char_embed_gives_one_vector_of_width_per_token() -> None:
    nlp = spacy.blank("id")
    docs = [nlp("Joko Widodo ke Bandung ."), nlp("bakso")]
    model = hash_char_embed(
        width=16, attrs=["NORM", "SHAPE"], rows=[100, 50], nM=4, nC=4,
        lexicons=["id"], lexicon_width=4,
    )
    model.initialize(X=docs)
    vectors = model.predict(docs)
    assert [v.shape for v in vectors] == [(5, 16), (1, 16)]


def test_frequency_tables_travel_inside_the_saved_model(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = spacy.blank("id")("rapat bersama Xqzvwa")
    trained = frequency_features(["id"])
    trained.initialize(X=[doc])
    expected = trained.predict([doc])[0]

    def no_wordfreq(language: str) -> None:
        raise AssertionError("a saved model must not need wordfreq")

    monkeypatch.setattr(ner_layers, "frequency_table", no_wordfreq)
    loaded = frequency_features(["id"])
    with pytest.raises(ValueError, match="missing"):
        loaded.predict([doc])
    loaded.from_bytes(trained.to_bytes())
    assert (loaded.predict([doc])[0] == expected).all()

