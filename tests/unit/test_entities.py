"""Entity extraction: offsets into the text as given, merging, chunking, unsupported languages."""

from __future__ import annotations

from tests.unit.shipped_config import CONFIG_DIR, ENRICHER, TABLES
from worker.enrich.annotate import Enricher
from worker.enrich.entities import text_chunks
from worker.enrich.normalise import normalise_entities
from worker.enrich.pipelines import NlpConfig, parse_language_table, tokenizer_pipeline
from worker.record import Mention


def test_chunks_cover_paragraphs_with_exact_offsets() -> None:
    text = "First para.\n\nSecond para. Still second.\n\n\nThird."
    chunks = list(text_chunks(text))
    assert [c for _, c in chunks] == ["First para.", "Second para. Still second.", "Third."]
    assert all(text[o : o + len(c)] == c for o, c in chunks)


def test_long_paragraph_cut_at_sentence_ends_and_nothing_lost() -> None:
    text = " ".join(f"Sentence number {i} ends here." for i in range(400))
    chunks = list(text_chunks(text, max_chars=500))
    assert all(len(c) <= 500 for _, c in chunks)
    assert "".join(c for _, c in chunks) == text
    assert all(c.endswith(" ") or c.endswith(".") for _, c in chunks)


def test_merge_groups_case_variants_and_counts() -> None:
    ms = [Mention(text=t, label=lbl, start=0, end=1) for t, lbl in
          [("Kremlin", "ORG"), ("kremlin", "ORG"), ("Putin", "PER"), ("Kremlin", "ORG")]]
    [kremlin, putin] = normalise_entities(ms, "en", tables=TABLES)
    assert (kremlin.key, kremlin.count, kremlin.surface_forms) == (
        "ORG:kremlin", 3, ["Kremlin", "kremlin"])
    assert putin.count == 1


def test_english_entities_with_offsets_into_the_given_text() -> None:
    text = ("Dock workers returned to work.\n\nUnion negotiator Niek Stam said "
            "Maersk ships would return to the port of Rotterdam in the Netherlands.")
    result = ENRICHER.annotate(text)
    assert result.language.language == "en"
    assert result.ner_status == "ok"
    for m in result.mentions:
        assert text[m.start : m.end] == m.text
    found = {(m.label, m.text) for m in result.mentions}
    assert ("PER", "Niek Stam") in found
    assert ("LOC", "Netherlands") in found
    assert {"DATE", "CARDINAL"}.isdisjoint(m.label for m in result.mentions)


def test_language_without_a_model_gets_no_guessed_entities() -> None:
    result = ENRICHER.annotate("Die Deutsche Bahn will ab Dezember mehr Schnellzüge zwischen "
                           "Berlin und München einsetzen, sagte Volker Wissing am Montag.")
    assert result.language.language == "de"
    assert result.ner_status == "unsupported"
    assert result.mentions == []


def test_language_table_rejects_bad_entries() -> None:
    good = {"index_labels": ["PER"], "languages": {"xx": {"package": "p", "labels": {"P": "PER"}}}}
    assert parse_language_table(good)["xx"].labels == {"P": "PER"}
    for bad in (
        {"index_labels": ["PER"], "languages": {"xx": {"labels": {}}}},
        {"index_labels": ["PER"], "languages": {"xx": {"package": "p", "labels": {"P": "BAD"}}}},
    ):
        try:
            parse_language_table(bad)
        except ValueError:
            continue
        raise AssertionError("accepted a broken table")


def test_a_process_keeps_the_words_it_reads_up_to_a_bound() -> None:
    """The words of the news a process reads stay in its vocabulary (the next batch finds them
    made), until ``vocab_growth`` of them; past that, a batch's new words go with it, so
    memory is bounded however long a worker runs."""
    nlp = tokenizer_pipeline("de")  # a language without a model: keyphrases still tokenize
    learning = Enricher(NlpConfig(CONFIG_DIR, vocab_growth=1_000))
    words = nlp.vocab.strings  # spaCy's Vocab length never shrinks; its strings do
    before = len(words)
    learning.annotate_many(["Quarkbällchen und Zwetschgendatschi füllen den Wochenmarkt."],
                           ["de"])
    assert len(words) > before
    full = Enricher(NlpConfig(CONFIG_DIR, vocab_growth=0))
    before = len(words)
    result = full.annotate_many(["Streuselschnecken und Kartoffelpuffer am Marktplatz."],
                                ["de"])
    assert len(words) == before  # made for the batch, dropped with it
    assert "Kartoffelpuffer" in " ".join(result[0].keyphrases)  # and used meanwhile
