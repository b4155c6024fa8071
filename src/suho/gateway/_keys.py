"""API keys: created once, shown once, stored as a salted scrypt hash, checked in constant time.

A key reads ``suho_<key id>_<secret>``. The key id (12 hex characters, not secret) finds the row;
the secret (32 random bytes, URL-safe base64) is never stored, only ``scrypt(secret, salt)``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update

from suho.errors import SuhoInputError
from suho.gateway._schema import gateway_keys

TIERS = ("T0", "T1", "T2", "T3")
PREFIX = "suho"
# scrypt cost: about 30 ms of one core per check; the server caches a verified key (see _app).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_KEY = re.compile(r"^suho_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A stored key, without anything that would let one rebuild it."""

    key_id: str
    owner: str
    tier: str
    scope: tuple[str, ...]
    salt: str
    hash: str
    created_at: float
    expires_at: float | None
    revoked: bool

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and (now or time.time()) >= self.expires_at

    def public(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "owner": self.owner,
            "tier": self.tier,
            "scope": list(self.scope),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked": self.revoked,
        }


def hash_secret(secret: str, salt: str) -> str:
    return hashlib.scrypt(
        secret.encode(), salt=bytes.fromhex(salt), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    ).hex()


def split_key(key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    m = _KEY.match(key.strip())
    return (m.group(1), m.group(2)) if m else None


def check_secret(record: KeyRecord, secret: str) -> bool:
    """Constant-time comparison of the secret's hash with the stored one."""
    return hmac.compare_digest(hash_secret(secret, record.salt), record.hash)


def parse_expires(text: str | None, *, now: float | None = None) -> float | None:
    """``30d``, ``12h``, ``45m`` from now, or an ISO date / date-time (UTC when no zone)."""
    if not text:
        return None
    now = time.time() if now is None else now
    m = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if n <= 0:
            raise SuhoInputError(f"--expires {text!r} must be in the future")
        return now + n * {"d": 86400, "h": 3600, "m": 60}[unit]
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise SuhoInputError(
            f"--expires {text!r} is neither a duration (30d, 12h, 45m) nor an ISO date"
        ) from e
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    ts = when.timestamp()
    if ts <= now:
        raise SuhoInputError(f"--expires {text!r} is in the past")
    return ts


def parse_scope(text: str | None) -> tuple[str, ...]:
    """Hosts, ``*.domain`` wildcards, IP addresses and CIDR ranges, comma-separated."""
    out: list[str] = []
    for raw in (text or "").split(","):
        item = raw.strip().lower()
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            if not re.fullmatch(r"(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+", item):
                raise SuhoInputError(
                    f"--scope entry {raw.strip()!r} is not a host, domain or CIDR"
                ) from None
        out.append(item)
    return tuple(out)


def in_scope(host: str, scope: Sequence[str]) -> bool:
    """Whether ``host`` (a name, an address or a CIDR) lies inside one of the ``scope`` entries."""
    host = host.lower().rstrip(".")
    try:
        net = ipaddress.ip_network(host, strict=False)
    except ValueError:
        net = None
    for s in scope:
        if net is not None:
            try:
                if net.subnet_of(ipaddress.ip_network(s, strict=False)):  # type: ignore[arg-type]
                    return True
            except (ValueError, TypeError):
                continue
            continue
        if s.startswith("*."):
            if host.endswith(s[1:]) or host == s[2:]:
                return True
        elif host == s or host.endswith("." + s):
            return True
    return False


class KeyStore:
    """The ``gateway_keys`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self, *, tier: str, owner: str, scope: Sequence[str] = (), expires_at: float | None = None
    ) -> tuple[str, KeyRecord]:
        """Create a key; returns ``(the key, its record)``. The key is not kept anywhere."""
        if tier not in TIERS:
            raise SuhoInputError(f"--tier must be one of {', '.join(TIERS)}, not {tier!r}")
        if not owner.strip():
            raise SuhoInputError("--owner must not be empty")
        if scope and tier != "T2":
            raise SuhoInputError("--scope applies to T2 keys (verified defenders) only")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        rec = KeyRecord(
            key_id,
            owner.strip(),
            tier,
            tuple(scope),
            salt,
            hash_secret(secret, salt),
            time.time(),
            expires_at,
            False,
        )
        with self.engine.begin() as c:
            c.execute(
                gateway_keys.insert().values(
                    key_id=rec.key_id,
                    owner=rec.owner,
                    tier=rec.tier,
                    scope=",".join(rec.scope),
                    salt=rec.salt,
                    hash=rec.hash,
                    created_at=rec.created_at,
                    expires_at=rec.expires_at,
                    revoked=False,
                )
            )
        return f"{PREFIX}_{key_id}_{secret}", rec

    def all(self) -> list[KeyRecord]:
        with self.engine.connect() as c:
            rows = c.execute(select(gateway_keys).order_by(gateway_keys.c.created_at)).mappings()
            return [_record(dict(r)) for r in rows]

    def get(self, key_id: str) -> KeyRecord | None:
        with self.engine.connect() as c:
            row = (
                c.execute(select(gateway_keys).where(gateway_keys.c.key_id == key_id))
                .mappings()
                .first()
            )
        return _record(dict(row)) if row else None

    def revoke(self, key_id: str) -> KeyRecord:
        key_id = key_id.strip()
        if self.get(key_id) is None:
            raise SuhoInputError(f"no key with id {key_id!r} (see `suho gateway keys list`)")
        with self.engine.begin() as c:
            c.execute(
                update(gateway_keys)
                .where(gateway_keys.c.key_id == key_id)
                .values(revoked=True, revoked_at=time.time())
            )
        rec = self.get(key_id)
        assert rec is not None
        return rec


def _record(m: Mapping[str, Any]) -> KeyRecord:
    return KeyRecord(
        m["key_id"],
        m["owner"],
        m["tier"],
        tuple(s for s in m["scope"].split(",") if s),
        m["salt"],
        m["hash"],
        m["created_at"],
        m["expires_at"],
        bool(m["revoked"]),
    )


__all__ = [
    "TIERS",
    "KeyRecord",
    "KeyStore",
    "check_secret",
    "hash_secret",
    "in_scope",
    "parse_expires",
    "parse_scope",
    "split_key",
]
