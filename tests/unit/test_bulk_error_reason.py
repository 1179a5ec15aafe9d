"""What an operator reads in quarantine when Elasticsearch refuses one document of a bulk."""

from worker.index.writes import REASON_PART_CHARS, bulk_error_reason


def test_the_cause_is_kept_and_a_quoted_huge_value_is_cut() -> None:
    huge = "x" * 40_000
    error = {
        "type": "document_parsing_exception",
        "reason": f"failed to parse field [entities.key] of type [keyword]. Preview: '{huge}'",
        "caused_by": {"type": "illegal_argument_exception",
                      "reason": "Document contains at least one immense term in field"},
    }
    reason = bulk_error_reason(error, 400)
    assert reason.startswith("document_parsing_exception: failed to parse field [entities.key]")
    assert "caused by illegal_argument_exception: Document contains at least one immense term" \
        in reason
    assert len(reason) < 2 * REASON_PART_CHARS + 200
    assert "characters)" in reason


def test_an_item_without_an_error_body_names_its_status() -> None:
    assert bulk_error_reason({}, 400) == "refused with HTTP 400"
