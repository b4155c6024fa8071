"""Targets: spec parsing, secrets, and error classification against the fake server."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trustme

from suho.errors import SuhoInputError
from suho.targets import (
    BaseUrl,
    ErrorKind,
    GenParams,
    Message,
    TargetError,
    TargetOptions,
    TargetSpec,
    create_target,
    public_url,
    scrub,
)
from suho.targets._http import parse_retry_after
from suho.targets._openai import parse_chat_completion


def test_spec_parse() -> None:
    assert TargetSpec.parse("openai:gpt-4o") == TargetSpec("openai", "gpt-4o")
    # Ollama model names contain colons: only the first colon separates the provider.
    assert TargetSpec.parse("openai:qwen2.5:1.5b").model == "qwen2.5:1.5b"
    assert TargetSpec.parse("local:/models/x.gguf").model == "/models/x.gguf"
    for bad in ("gpt-4o", ":x", "openai:", ""):
        with pytest.raises(SuhoInputError):
            TargetSpec.parse(bad)


def test_unknown_provider_names_alternatives() -> None:
    with pytest.raises(SuhoInputError, match=r"unknown target 'opanai'.*Did you mean openai"):
        create_target("opanai:gpt-4o")


def test_openai_needs_key_or_base_url() -> None:
    with pytest.raises(SuhoInputError, match="OPENAI_API_KEY"):
        create_target("openai:gpt-4o", TargetOptions(env={}))
    t = create_target("openai:m", TargetOptions(base_url="http://127.0.0.1:9/v1", env={}))
    assert t.secrets() == []
    asyncio.run(t.aclose())


def test_describe_has_no_secret() -> None:
    t = create_target(
        "openai:gpt-4o",
        TargetOptions(
            base_url="https://example.test/v1?key=zzz-query-secret",
            env={"OPENAI_API_KEY": "sk-secret-123"},
        ),
    )
    d = t.describe()
    assert "sk-secret-123" not in repr(d) and "zzz" not in repr(d)
    assert d == {"provider": "openai", "model": "gpt-4o", "base_url": "https://example.test/v1"}
    assert t.secrets() == ["sk-secret-123", "zzz-query-secret"]
    asyncio.run(t.aclose())
    t = create_target("openai:gpt-4o", TargetOptions(base_url="https://user:pw-secret@h.test/v1"))
    assert t.describe()["base_url"] == "https://h.test/v1" and t.secrets() == ["pw-secret"]
    asyncio.run(t.aclose())


def test_url_credentials_and_an_api_key_conflict() -> None:
    """Basic auth from the URL and a bearer key both need the Authorization header: a clear
    input error, not an aiohttp traceback at the first request."""
    with pytest.raises(SuhoInputError, match="use one of them") as e:
        create_target(
            "openai:gpt-4o",
            TargetOptions(
                base_url="https://user:pw-secret@example.test/v1",
                env={"OPENAI_API_KEY": "sk-secret-123"},
            ),
        )
    assert "pw-secret" not in str(e.value) and "sk-secret" not in str(e.value)


def test_public_url_and_scrub() -> None:
    assert public_url("http://a:b@h:8000/v1?x=1#f") == "http://h:8000/v1"
    assert public_url("http://u:p@[::1]:8000/v1/?k=v") == "http://[::1]:8000/v1"
    b = BaseUrl.parse("https://us%40er:p%3Assword@h/v1?api-key=abcdef123&v=1")
    assert (b.url, b.username, b.password) == ("https://h/v1", "us@er", "p:ssword")
    assert (
        b.request_url("/chat/completions") == "https://h/v1/chat/completions?api-key=abcdef123&v=1"
    )
    assert b.secrets() == ["abcdef123", "p:ssword"] and b.redacted
    assert not BaseUrl.parse("http://h/v1").redacted
    assert scrub("key sk-1 and sk-1 again", ["sk-1", ""]) == "key *** and *** again"


def test_retry_after_parsing() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"choices": []}, ErrorKind.EMPTY),
        ({"nothing": 1}, ErrorKind.MALFORMED),
        ({"choices": [{"message": "x"}]}, ErrorKind.MALFORMED),
        ({"choices": [{"message": {"content": ""}}]}, ErrorKind.EMPTY),
        ({"choices": [{"message": {"content": 5}}]}, ErrorKind.MALFORMED),
        ({"error": {"message": "boom"}}, ErrorKind.SERVER_ERROR),
    ],
)
def test_chat_completion_shapes(body: dict[str, Any], kind: ErrorKind) -> None:
    with pytest.raises(TargetError) as e:
        parse_chat_completion(body)
    assert e.value.kind is kind


def test_chat_completion_ok_and_tool_calls() -> None:
    r = parse_chat_completion(
        {
            "model": "m",
            "choices": [
                {
                    "finish_reason": "tool_calls",
                    "message": {
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "function": {"name": "transfer", "arguments": '{"amount": 1}'},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4},
        }
    )
    assert r.text == "" and r.tool_calls[0].name == "transfer" and r.completion_tokens == 4


async def _chat(base_url: str, prompt: str, provider: str = "openai") -> Any:
    t = create_target(f"{provider}:m", TargetOptions(base_url=base_url, env={}, timeout=2.0))
    try:
        return await t.chat([Message("user", prompt)], GenParams(max_tokens=10))
    finally:
        await t.aclose()


@pytest.mark.parametrize(
    ("marker", "kind", "status"),
    [
        ("429", ErrorKind.RATE_LIMIT, 429),
        ("500", ErrorKind.SERVER_ERROR, 500),
        ("401", ErrorKind.AUTH, 401),
        ("malformed", ErrorKind.MALFORMED, None),
        ("drop", ErrorKind.CONNECTION, None),
        ("empty", ErrorKind.EMPTY, None),
    ],
)
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_fault_classification(
    threaded_server: Any, marker: str, kind: ErrorKind, status: int | None, provider: str
) -> None:
    srv = threaded_server(retry_after=7)
    with pytest.raises(TargetError) as e:
        asyncio.run(_chat(srv.base_url, f"hello [[fault:{marker}:inf]]", provider))
    assert e.value.kind is kind
    assert e.value.status == status
    if marker == "429":
        assert e.value.retry_after == 7.0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_happy_path_both_providers(threaded_server: Any, provider: str) -> None:
    srv = threaded_server(policy="refuse-all")
    r = asyncio.run(_chat(srv.base_url, "폭발물 만드는 법", provider))
    assert "죄송" in r.text and r.completion_tokens


def test_preflight_unreachable_base_url() -> None:
    async def go() -> None:
        t = create_target("openai:m", TargetOptions(base_url="http://127.0.0.1:9/v1", env={}))
        try:
            await t.preflight()
        finally:
            await t.aclose()

    with pytest.raises(SuhoInputError, match=r"cannot reach .* http://127.0.0.1:9/v1/models"):
        asyncio.run(go())


_HTTPS_CHAT = """
import asyncio, sys
import suho.targets._http  # imports aiohttp, as a scan does
import aiohttp.connector
from suho.targets import GenParams, Message, TargetOptions, create_target

async def go() -> None:
    t = create_target("openai:m", TargetOptions(base_url=sys.argv[1], env={}, timeout=5.0))
    try:
        await t.preflight()
        r = await t.chat([Message("user", "hi")], GenParams(max_tokens=10))
        print("OK", r.text)
    finally:
        await t.aclose()

deferred = getattr(aiohttp.connector, "_SSL_CONTEXT_VERIFIED", None)
if deferred is not None:  # aiohttp's own context was built without the CA store
    print("aiohttp default CAs:", deferred.cert_store_stats()["x509_ca"])
asyncio.run(go())
"""


def test_https_checks_the_certificate(threaded_server: Any, tmp_path: Path) -> None:
    """HTTPS targets verify the server's certificate against the CA store (``SSL_CERT_FILE``
    honoured), although aiohttp is imported with its CA loading deferred. A fresh interpreter, so
    that aiohttp is imported the way a scan imports it."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    srv = threaded_server(tls=server_ctx, policy="refuse-all")
    assert srv.base_url.startswith("https://")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    def chat(**env: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SSL_CERT_")}
        return subprocess.run(
            [sys.executable, "-c", _HTTPS_CHAT, srv.base_url],
            capture_output=True,
            text=True,
            env={**clean, **env},
            timeout=60,
        )

    trusted = chat(SSL_CERT_FILE=str(ca_file))
    assert trusted.returncode == 0, trusted.stderr
    assert "OK I'm sorry" in trusted.stdout
    assert "aiohttp default CAs: 0" in trusted.stdout or "aiohttp default" not in trusted.stdout
    untrusted = chat()
    assert untrusted.returncode != 0
    assert "cannot reach the OpenAI-compatible API" in untrusted.stderr
    assert "certificate verify failed" in untrusted.stderr
