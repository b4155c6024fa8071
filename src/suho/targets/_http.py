"""Shared plumbing for HTTP targets: one pooled client, error classification, Retry-After."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from suho.errors import SuhoInputError
from suho.targets._base import ErrorKind, TargetError, TargetOptions


def make_client(options: TargetOptions, headers: Mapping[str, str]) -> httpx.AsyncClient:
    """An async client sized for the run's concurrency. The engine enforces the total timeout;
    httpx's own timeout is a backstop a little above it."""
    limits = httpx.Limits(
        max_connections=options.max_connections,
        max_keepalive_connections=options.max_connections,
    )
    timeout = httpx.Timeout(options.timeout + 5.0, connect=min(options.timeout, 10.0))
    return httpx.AsyncClient(
        headers={**headers, **options.headers},
        limits=limits,
        timeout=timeout,
        trust_env=False,  # never route through a proxy the user did not configure for suho
    )


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


def status_error(resp: httpx.Response) -> TargetError:
    """Classify a non-2xx response."""
    code = resp.status_code
    detail = resp.text[:300] if resp.content else ""
    msg = f"HTTP {code}" + (f": {detail}" if detail else "")
    retry_after = parse_retry_after(resp.headers.get("retry-after"))
    if code == 429:
        return TargetError(ErrorKind.RATE_LIMIT, msg, status=code, retry_after=retry_after)
    if code in (401, 403):
        return TargetError(ErrorKind.AUTH, msg, status=code)
    if code == 408:
        return TargetError(ErrorKind.TIMEOUT, msg, status=code)
    if code >= 500:
        return TargetError(ErrorKind.SERVER_ERROR, msg, status=code, retry_after=retry_after)
    return TargetError(ErrorKind.CLIENT_ERROR, msg, status=code)


async def post_json(client: httpx.AsyncClient, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST ``body`` and return the decoded JSON object, or raise a classified ``TargetError``."""
    try:
        resp = await client.post(url, content=json.dumps(body, ensure_ascii=False).encode())
    except httpx.TimeoutException as e:
        raise TargetError(ErrorKind.TIMEOUT, f"timed out: {type(e).__name__}") from e
    except (httpx.TransportError, httpx.DecodingError) as e:
        # ConnectError, ReadError, RemoteProtocolError (server closed mid-response), ...
        raise TargetError(ErrorKind.CONNECTION, f"{type(e).__name__}: {e}") from e
    if resp.status_code >= 300:
        raise status_error(resp)
    try:
        data = json.loads(resp.content)
    except (ValueError, UnicodeDecodeError) as e:
        raise TargetError(ErrorKind.MALFORMED, f"response is not JSON: {resp.text[:120]!r}") from e
    if not isinstance(data, dict):
        raise TargetError(ErrorKind.MALFORMED, f"response JSON is a {type(data).__name__}")
    return data


async def check_reachable(client: httpx.AsyncClient, url: str, what: str) -> None:
    """Fail fast, before a run starts, when nothing answers at ``url``.

    Any HTTP answer (even 404 or 401) proves the server is there; only transport failures count.
    """
    try:
        await client.get(url, timeout=10.0)
    except httpx.HTTPError as e:
        raise SuhoInputError(
            f"cannot reach {what} at {url} ({type(e).__name__}: {e or 'no answer'}); "
            "check --base-url and that the server is running"
        ) from e
