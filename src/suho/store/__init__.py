"""The store: SQLAlchemy 2 tables with Alembic migrations; SQLite by default, PostgreSQL by URL."""

from suho.store._schema import HEAD_REVISION, attempts, findings, metadata, runs, verdicts
from suho.store._store import (
    DEFAULT_DB,
    AttemptResult,
    Store,
    Totals,
    display_url,
    lease_owner_id,
    resolve_url,
)

__all__ = [
    "DEFAULT_DB",
    "HEAD_REVISION",
    "AttemptResult",
    "Store",
    "Totals",
    "attempts",
    "display_url",
    "findings",
    "lease_owner_id",
    "metadata",
    "resolve_url",
    "runs",
    "verdicts",
]
