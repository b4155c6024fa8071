"""Covering indexes for the statistics queries and for reading verdicts.

Pairing Korean and English attempts and counting outcomes read only the indexed columns; with the
index they scan it in pair-key order instead of reading every prompt and response. Reports read
an attempt's verdicts, and a run's detectors, stages and labels, from the other two alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = [
    "run_id",
    "intent_id",
    "transform",
    "attack",
    "repeat",
    "expected",
    "lang",
    "variant",
    "category",
    "status",
    "success",
    "seq",
    "probe_id",
    "outcome",
    "error_kind",
    "decided_by",
]


VERDICT_COLUMNS = ["attempt_id", "detector", "hit", "score", "stage", "label"]


def upgrade() -> None:
    op.create_index("ix_attempts_outcomes", "attempts", COLUMNS)
    op.create_index("ix_verdicts_attempt_cover", "verdicts", VERDICT_COLUMNS)
    op.drop_index("ix_verdicts_run", table_name="verdicts")
    op.create_index("ix_verdicts_run_keys", "verdicts", ["run_id", "detector", "stage", "label"])


def downgrade() -> None:
    op.drop_index("ix_verdicts_run_keys", table_name="verdicts")
    op.create_index("ix_verdicts_run", "verdicts", ["run_id"])
    op.drop_index("ix_verdicts_attempt_cover", table_name="verdicts")
    op.drop_index("ix_attempts_outcomes", table_name="attempts")
