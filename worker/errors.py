"""Exception classes decide what happens to a failed message: quarantine it or retry it."""

from __future__ import annotations


class QuarantineError(Exception):
    """Bad input: retrying cannot help, so the item is kept in quarantine with this reason."""

    reason_code = "rejected"

    def __init__(self, message: str, *, reason_code: str | None = None) -> None:
        super().__init__(message)
        if reason_code:
            self.reason_code = reason_code


class NotTextError(QuarantineError):
    """The seed file is binary or undecodable."""

    reason_code = "not_text"


class EmptyInputError(QuarantineError):
    """Nothing left to index after parsing."""

    reason_code = "empty"


class TooLargeError(QuarantineError):
    """Input above a configured size limit."""

    reason_code = "too_large"


class UnsupportedFormatError(QuarantineError):
    """A file type no reader handles."""

    reason_code = "unsupported_format"


class NoArticlesError(QuarantineError):
    """A file whose records are all bad: one refusal for the file, not one per record."""

    reason_code = "no_articles"


class PoisonMessageError(QuarantineError):
    """A message delivered again and again whose worker process died every time (killed,
    out of memory, a crash in native code): parked so that the queue keeps flowing."""

    reason_code = "poison_message"


class TransientError(Exception):
    """A service hiccup (timeouts, 429, 5xx): the item stays queued and is retried."""
