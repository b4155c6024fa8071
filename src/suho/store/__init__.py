"""The store: SQLAlchemy 2 tables with Alembic migrations; SQLite by default, PostgreSQL by URL.

The plain values (``AttemptResult``, ``Totals``, URL helpers) import without SQLAlchemy; the
``Store`` and the tables load on first use, so a scan can send its first requests while they do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from suho._lazy import lazy_attributes
from suho.store._types import (
    DEFAULT_DB,
    AttemptResult,
    Totals,
    VerdictRecord,
    check_sqlite_file,
    lease_owner_id,
    resolve_url,
    sqlite_file,
)

if TYPE_CHECKING:
    from suho.store._schema import (
        HEAD_REVISION,
        attempt_events,
        attempts,
        findings,
        metadata,
        runs,
        verdicts,
    )
    from suho.store._store import Store, display_url

_LAZY = {
    "HEAD_REVISION": "suho.store._schema",
    "attempts": "suho.store._schema",
    "attempt_events": "suho.store._schema",
    "findings": "suho.store._schema",
    "metadata": "suho.store._schema",
    "runs": "suho.store._schema",
    "verdicts": "suho.store._schema",
    "Store": "suho.store._store",
    "display_url": "suho.store._store",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "DEFAULT_DB",
    "HEAD_REVISION",
    "AttemptResult",
    "Store",
    "Totals",
    "VerdictRecord",
    "attempt_events",
    "attempts",
    "check_sqlite_file",
    "display_url",
    "findings",
    "lease_owner_id",
    "metadata",
    "resolve_url",
    "runs",
    "sqlite_file",
    "verdicts",
]
