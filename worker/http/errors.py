"""Why a fetch failed, as the error that decides between retry and quarantine."""

from __future__ import annotations

from worker.errors import QuarantineError, TooLargeError, TransientError


class FetchError(Exception):
    """Marker shared by every error raised here, so callers can catch fetch failures at once."""


class SchemeNotAllowedError(QuarantineError, FetchError):
    """Only http(s) is fetched: file:, ftp:, gopher:, data: … would read local or odd sources."""

    reason_code = "scheme_not_allowed"


class InvalidUrlError(QuarantineError, FetchError):
    """The URL cannot be parsed or has no host; retrying the same string cannot help."""

    reason_code = "invalid_url"


class BlockedAddressError(QuarantineError, FetchError):
    """The host is or resolves to a non-public address: fetching it would be an SSRF."""

    reason_code = "blocked_address"


class TooManyRedirectsError(QuarantineError, FetchError):
    """The redirect chain is longer than the policy allows (or loops)."""

    reason_code = "too_many_redirects"


class HttpStatusError(QuarantineError, FetchError):
    """A 4xx (or unusable 3xx) answer: the resource is gone or refused for good."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, reason_code=f"http_{status}")
        self.status = status


class RobotsDisallowedError(QuarantineError, FetchError):
    """The origin's robots.txt disallows the URL (``robots_disallowed``), or could not be had
    and so is taken to disallow everything for a while (``robots_unreachable``)."""

    reason_code = "robots_disallowed"


class BodyTooLargeError(TooLargeError, FetchError):
    """The decompressed body exceeds the cap; reading on would only waste memory."""


class ContentEncodingError(QuarantineError, FetchError):
    """The body's Content-Encoding is unsupported or its compressed data is corrupt."""

    reason_code = "bad_content_encoding"


class RateLimitedError(TransientError, FetchError):
    """429/503: the server asked us to come back later, possibly saying when."""

    def __init__(self, message: str, *, status: int, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class UpstreamError(TransientError, FetchError):
    """A 5xx other than 503: the server failed, a later try may work."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class FetchTimeoutError(TransientError, FetchError):
    """The fetch's total time budget ran out."""


class FetchConnectError(TransientError, FetchError):
    """Resolution, connection, TLS or the HTTP exchange failed on the network."""
