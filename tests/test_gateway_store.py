"""The gateway's tables in SQLite and PostgreSQL: its own schema version, keys, the audit chain."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from suho.errors import SuhoInputError
from suho.gateway import AuditLog, KeyStore, ensure_schema, verify
from suho.gateway._keys import check_secret, in_scope, parse_expires, parse_scope, split_key
from suho.store import Store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        s = Store.open(url)
        with s.engine.begin() as c:
            for t in ("gateway_audit", "gateway_audit_head", "gateway_keys", "gateway_schema"):
                c.execute(text(f"DROP TABLE IF EXISTS {t}"))
    else:
        s = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    ensure_schema(s.engine)
    yield s.engine
    s.close()


def test_schema_is_versioned_on_its_own(engine: Any) -> None:
    ensure_schema(engine)  # idempotent
    with engine.begin() as c:
        assert c.execute(text("SELECT version FROM gateway_schema")).scalar() == 1
        c.execute(text("UPDATE gateway_schema SET version = 99"))
    with pytest.raises(SuhoInputError, match="version 99"):
        ensure_schema(engine)


def test_keys_are_hashed_and_checked(engine: Any) -> None:
    ks = KeyStore(engine)
    key, rec = ks.add(tier="T2", owner="bob", scope=("10.0.0.0/24",))
    kid, secret = split_key(key) or ("", "")
    assert kid == rec.key_id and rec.hash != secret and secret not in rec.hash
    got = ks.get(kid)
    assert (
        got is not None and check_secret(got, secret) and not check_secret(got, secret[:-1] + "x")
    )
    with engine.connect() as c:
        dump = " ".join(
            str(v) for row in c.execute(text("SELECT * FROM gateway_keys")) for v in row
        )
    assert secret not in dump
    assert ks.revoke(kid).revoked
    with pytest.raises(SuhoInputError):
        ks.add(tier="T1", owner="x", scope=("a.com",))  # scope is for T2
    with pytest.raises(SuhoInputError):
        ks.revoke("nope")


def test_audit_chain_across_restarts(engine: Any) -> None:
    log = AuditLog(engine)
    for i in range(3):
        log.append({"key_id": "k", "action": "allow", "n": i}, time.time())
    log.close()
    log = AuditLog(engine)  # a restart continues the chain
    assert log.seq == 3
    log.append({"key_id": "k", "action": "block"}, time.time())
    log.close()
    v = verify(engine, page=2)
    assert v.ok and v.entries == 4
    with engine.begin() as c:
        c.execute(text("UPDATE gateway_audit SET key_id = 'other' WHERE seq = 2"))
    v = verify(engine)
    assert not v.ok and v.bad_seq == 2


def test_scope_and_expiry_parsing() -> None:
    scope = parse_scope("10.0.0.0/24, *.Example.com ,shop.test")
    assert scope == ("10.0.0.0/24", "*.example.com", "shop.test")
    assert in_scope("10.0.0.7", scope) and in_scope("10.0.0.0/28", scope)
    assert in_scope("a.b.example.com", scope) and in_scope("api.shop.test", scope)
    assert not in_scope("10.0.1.1", scope) and not in_scope("example.org", scope)
    assert not in_scope("evilexample.com", scope)
    with pytest.raises(SuhoInputError):
        parse_scope("not a host!")
    now = 1_000_000.0
    assert parse_expires("30d", now=now) == now + 30 * 86400
    assert parse_expires("2999-01-01", now=now) is not None
    for bad in ("0d", "soon", "2000-01-01"):
        with pytest.raises(SuhoInputError):
            parse_expires(bad, now=time.time())


def test_cli_import_stays_light() -> None:
    """`suho --help` must not pay for FastAPI, uvicorn or SQLAlchemy."""
    import subprocess
    import sys

    code = (
        "import sys, suho.cli; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
