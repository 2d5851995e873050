"""The one HTTP session every index request goes through.

Why a single factory: timeouts, retries, caching and the User-Agent are policy, and policy
should be decided in one place rather than at each call site. The pieces:

* **Retries** (urllib3 ``Retry``) for connection errors and the transient statuses an index
  behind a CDN produces (429/500/502/503/504), on GET/HEAD only. Kept deliberately short: a
  tool that predicts an upload failure must answer "the index is unreachable" in seconds, not
  after minutes of exponential backoff.
* **On-disk HTTP cache** (CacheControl with ``FileCache``) with plain RFC semantics: a response
  with an ``ETag`` is stored and revalidated with ``If-None-Match`` on the next run (a cheap
  304); a response without validators or freshness headers is never stored, so a project page
  is always fresh. No heuristic TTL is applied on purpose: a stale project page would hide a
  file uploaded a minute ago and turn a refusal into a false "pass".
* **A default timeout** on every request. requests has no session-wide timeout and waits
  forever by default; :class:`~preupload_guard.index.client.Index` passes its own timeout per
  request, and the adapter fills in the session's default for any caller that forgets.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from preupload_guard import __version__

__all__ = [
    "RETRY_STATUSES",
    "USER_AGENT",
    "make_retry",
    "make_session",
]

#: Sent with every request, so index operators can tell this tool apart from pip or twine.
USER_AGENT = f"preupload-guard/{__version__}"

#: Statuses worth one more try: rate limiting and the CDN/origin hiccups of a busy index.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: Redirects followed per request (requests' default is 30); a loop ends here.
MAX_REDIRECTS = 10

#: The longest ``Retry-After`` we honour. A server asking for an hour would otherwise stall
#: the whole run; past this we give up and report the index as unreachable.
MAX_RETRY_AFTER = 5.0


class _CappedRetry(Retry):
    """``Retry`` whose ``Retry-After`` sleep is capped at :data:`MAX_RETRY_AFTER` seconds.

    urllib3 only grew a ``retry_after_max`` option recently (2.5); overriding the parser works
    with every urllib3 that requests supports.
    """

    def parse_retry_after(self, retry_after: str) -> float:
        return min(float(super().parse_retry_after(retry_after)), MAX_RETRY_AFTER)


def make_retry() -> Retry:
    """The retry policy: at most two retries in total, at most one after a read error.

    Read retries are limited to one because a read timeout already cost a full ``timeout``;
    retrying more would multiply the wait of a slow index. ``raise_on_status=False`` hands the
    final 5xx response back to the caller, which can then name the status in its message.
    """
    return _CappedRetry(
        total=2,
        connect=2,
        read=1,
        status=2,
        other=0,
        backoff_factor=0.2,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )


class _DefaultTimeoutMixin:
    """Fill in a timeout when the caller gave none (requests' own default is "wait forever")."""

    default_timeout: float | None = None

    def send(self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any) -> Any:
        if timeout is None:
            timeout = self.default_timeout
        return super().send(request, stream=stream, timeout=timeout, **kwargs)  # type: ignore[misc]


class _PlainAdapter(_DefaultTimeoutMixin, HTTPAdapter):
    """Retries and default timeout, no cache."""


@functools.cache
def _cache_adapter_class() -> type[HTTPAdapter]:
    # Imported lazily: CacheControl (and msgpack/filelock behind it) only matter when a
    # cache directory is in use.
    from cachecontrol import CacheControlAdapter

    class _CachingAdapter(_DefaultTimeoutMixin, CacheControlAdapter):
        """Retries, default timeout and an RFC-semantics HTTP cache."""

    return _CachingAdapter


def make_session(
    cache_dir: Path | None,
    timeout: float,
    *,
    headers: Mapping[str, str] | None = None,
) -> requests.Session:
    """Build the session used for every index request.

    ``cache_dir`` is the tool's cache directory; HTTP responses go to ``cache_dir/http``.
    ``None`` means no disk cache at all (every request goes to the network), which is what
    tests and one-off bulk downloads want. ``timeout`` becomes the default for requests that
    do not pass their own. ``headers`` are added to the session's default headers.
    """
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    session.headers["User-Agent"] = USER_AGENT
    if headers:
        session.headers.update(headers)

    adapter: HTTPAdapter
    if cache_dir is not None:
        from cachecontrol.caches.file_cache import FileCache

        http_dir = Path(cache_dir) / "http"
        try:
            http_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            # An unwritable cache must not stop the run: the cache only saves time.
            adapter = _PlainAdapter(max_retries=make_retry())
        else:
            adapter = _cache_adapter_class()(
                cache=FileCache(str(http_dir)), max_retries=make_retry()
            )
    else:
        adapter = _PlainAdapter(max_retries=make_retry())
    adapter.default_timeout = timeout  # type: ignore[attr-defined]
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
