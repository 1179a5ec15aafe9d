"""The worker's only HTTP client: ``fetch`` under a ``FetchPolicy``, failing with a FetchError."""

from worker.http.client import FetchPolicy, FetchResult, fetch
from worker.http.errors import (
    BlockedAddressError,
    BodyTooLargeError,
    ContentEncodingError,
    FetchConnectError,
    FetchError,
    FetchTimeoutError,
    HttpStatusError,
    InvalidUrlError,
    RateLimitedError,
    RobotsDisallowedError,
    SchemeNotAllowedError,
    TooManyRedirectsError,
    UpstreamError,
)

__all__ = [
    "BlockedAddressError",
    "BodyTooLargeError",
    "ContentEncodingError",
    "FetchConnectError",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "FetchTimeoutError",
    "HttpStatusError",
    "InvalidUrlError",
    "RateLimitedError",
    "RobotsDisallowedError",
    "SchemeNotAllowedError",
    "TooManyRedirectsError",
    "UpstreamError",
    "fetch",
]
