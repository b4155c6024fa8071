"""The gateway's tables: its own SQLAlchemy metadata, in suho's store, versioned on their own.

The gateway does not add an Alembic revision to the store's chain (other features add theirs in
parallel; one linear chain would conflict). Its tables carry their own version row in
``gateway_schema``: ``ensure_schema`` creates missing tables with ``metadata.create_all`` and
records :data:`GATEWAY_SCHEMA_VERSION`; a later version upgrades from the number it finds there.
A store written by a newer gateway is refused rather than guessed at.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)

from suho.errors import SuhoInputError

GATEWAY_SCHEMA_VERSION = 1

metadata = MetaData()

gateway_schema = Table(
    "gateway_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

gateway_keys = Table(
    "gateway_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("tier", String(8), nullable=False),
    Column("scope", Text, nullable=False, default=""),  # comma-separated hosts / domains / CIDRs
    Column("salt", String(64), nullable=False),
    Column("hash", String(128), nullable=False),  # scrypt of the secret part, hex
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("revoked_at", Float, nullable=True),
)

gateway_audit = Table(
    "gateway_audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("ts", Float, nullable=False),
    Column("key_id", String(32), nullable=True, index=True),
    Column("action", String(16), nullable=False),
    Column("entry", Text, nullable=False),  # canonical JSON of the whole entry
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# The newest entry, written in the same transaction as it: deleting the tail of the chain then
# leaves a head that points past the end, which ``verify`` reports.
gateway_audit_head = Table(
    "gateway_audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)


def ensure_schema(engine: Engine) -> None:
    """Create the gateway tables if they are missing; refuse a store from a newer gateway."""
    metadata.create_all(engine)
    with engine.begin() as c:
        found = c.execute(select(gateway_schema.c.version).where(gateway_schema.c.id == 1)).scalar()
        if found is None:
            c.execute(gateway_schema.insert().values(id=1, version=GATEWAY_SCHEMA_VERSION))
        elif found > GATEWAY_SCHEMA_VERSION:
            raise SuhoInputError(
                f"this store's gateway tables are version {found}; this suho knows "
                f"{GATEWAY_SCHEMA_VERSION}: upgrade suho"
            )


__all__ = [
    "GATEWAY_SCHEMA_VERSION",
    "ensure_schema",
    "gateway_audit",
    "gateway_audit_head",
    "gateway_keys",
    "gateway_schema",
    "metadata",
]
