"""Shared plumbing for HTTP targets: one pooled aiohttp session, error classification, Retry-After.

Why aiohttp and not httpx: on the engine benchmark (3,000 requests, 32 in flight) httpx spent
~3.5 ms of CPU per request, most of it in its connection pool's bookkeeping, and aiohttp ~0.35 ms;
the scan engine's budget is 2 ms per attempt in total (docs/benchmarks.md).
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import ssl
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from suho.errors import SuhoInputError
from suho.targets._base import BaseUrl, ErrorKind, TargetError, TargetOptions, scrub


@contextlib.contextmanager
def _ca_store_deferred() -> Iterator[None]:
    """While aiohttp is imported, SSL contexts do not load the system CA store.

    aiohttp builds two default SSL contexts at import, and each parses every system CA
    certificate: about 0.1 s of CPU, a tenth of a short scan's fixed cost, spent even when the
    target is a plain-HTTP local server. Those two contexts are never used here: every HTTPS
    request carries a context of ours (``HttpClient._tls``), built with the real CA store on first
    use, so certificate checking is unchanged (tests/test_targets.py proves both ways).
    """
    if "aiohttp.connector" in sys.modules:
        yield
        return
    setattr(ssl.SSLContext, "set_default_verify_paths", lambda self: None)  # noqa: B010
    try:
        yield
    finally:
        delattr(ssl.SSLContext, "set_default_verify_paths")


with _ca_store_deferred():
    import aiohttp


class HttpClient:
    """A lazily created aiohttp session sized for the run's concurrency.

    The engine enforces the per-request timeout; aiohttp's own total timeout is a backstop a
    little above it. Proxies from the environment are ignored (``trust_env=False``): suho talks
    only to the endpoints the user configured.
    """

    def __init__(self, options: TargetOptions, headers: Mapping[str, str], base: BaseUrl) -> None:
        self.base = base
        self.headers = {**headers, **options.headers}
        if base.username is not None or base.password is not None:  # user:password@ in the URL
            pair = f"{base.username or ''}:{base.password or ''}".encode()
            self.headers["authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        self.limit = options.max_connections
        self.timeout = aiohttp.ClientTimeout(
            total=options.timeout + 5.0, connect=min(options.timeout, 10.0)
        )
        self._session: aiohttp.ClientSession | None = None
        self._tls_context: ssl.SSLContext | None = None

    def _tls(self, url: str) -> ssl.SSLContext | bool:
        """The SSL context for ``url``: verified against the system CA store (or
        ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), built once per client on its first HTTPS request."""
        if not url.startswith("https:"):
            return True
        if self._tls_context is None:
            ctx = ssl.create_default_context()
            ctx.set_alpn_protocols(["http/1.1"])
            self._tls_context = ctx
        return self._tls_context

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=self.headers,
                connector=aiohttp.TCPConnector(limit=self.limit, limit_per_host=self.limit),
                timeout=self.timeout,
                trust_env=False,
                json_serialize=lambda o: json.dumps(o, ensure_ascii=False),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def post_json(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``path`` under the base URL; return the decoded JSON object or raise
        a classified ``TargetError``."""
        data = json.dumps(body, ensure_ascii=False).encode()
        url = self.base.request_url(path)
        try:
            async with self.session().post(url, data=data, ssl=self._tls(url)) as resp:
                raw = await resp.read()
                status = resp.status
                retry_after = resp.headers.get("retry-after")
        except (TimeoutError, aiohttp.ServerTimeoutError) as e:
            raise TargetError(ErrorKind.TIMEOUT, f"timed out: {type(e).__name__}") from e
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as e:
            # refused, reset, server closed mid-response, truncated body, ...
            raise TargetError(ErrorKind.CONNECTION, f"{type(e).__name__}: {e}") from e
        except aiohttp.ClientError as e:
            raise TargetError(ErrorKind.CONNECTION, f"{type(e).__name__}: {e}") from e
        if status >= 300:
            raise status_error(status, raw, retry_after)
        try:
            obj = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise TargetError(ErrorKind.MALFORMED, f"response is not JSON: {raw[:120]!r}") from e
        if not isinstance(obj, dict):
            raise TargetError(ErrorKind.MALFORMED, f"response JSON is a {type(obj).__name__}")
        return obj

    async def check_reachable(self, path: str, what: str) -> None:
        """Fail fast, before a run starts, when nothing answers at ``path`` under the base URL.

        Any HTTP answer (even 404 or 401) proves the server is there; only transport failures
        count. The message shows the URL without credentials or query string.
        """
        url = self.base.request_url(path)
        try:
            async with self.session().get(
                url, timeout=aiohttp.ClientTimeout(total=10), ssl=self._tls(url)
            ) as resp:
                await resp.read()
        except (aiohttp.ClientError, TimeoutError) as e:
            reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            raise SuhoInputError(
                f"cannot reach {what} at {self.base.url}{path} "
                f"({scrub(reason, self.base.secrets())}); "
                "check --base-url and that the server is running"
            ) from e


def http_base_url(url: str) -> BaseUrl:
    """``--base-url`` parsed for an HTTP target: ``http://`` or ``https://`` and a host, or an
    input error that shows the URL without its secrets."""
    base = BaseUrl.parse(url)
    parts = urlsplit(base.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SuhoInputError(
            f"--base-url {base.url!r} must start with http:// or https:// and name a host"
        )
    return base


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_error(code: int, raw: bytes, retry_after_header: str | None) -> TargetError:
    """Classify a non-2xx response."""
    detail = raw[:300].decode("utf-8", "replace") if raw else ""
    msg = f"HTTP {code}" + (f": {detail}" if detail else "")
    retry_after = parse_retry_after(retry_after_header)
    if code == 429:
        return TargetError(ErrorKind.RATE_LIMIT, msg, status=code, retry_after=retry_after)
    if code in (401, 403):
        return TargetError(ErrorKind.AUTH, msg, status=code)
    if code == 408:
        return TargetError(ErrorKind.TIMEOUT, msg, status=code)
    if code >= 500:
        return TargetError(ErrorKind.SERVER_ERROR, msg, status=code, retry_after=retry_after)
    return TargetError(ErrorKind.CLIENT_ERROR, msg, status=code)
