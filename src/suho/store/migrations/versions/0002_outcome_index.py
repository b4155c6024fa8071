"""Covering indexes for the statistics queries and for reading verdicts.

Pairing Korean and English attempts and counting outcomes read only the indexed columns; with the
index they scan it in pair-key order instead of reading every prompt and response. Reports read
an attempt's verdicts from the second index alone.

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
]


VERDICT_COLUMNS = ["attempt_id", "detector", "hit", "score", "stage", "label"]


def upgrade() -> None:
    op.create_index("ix_attempts_outcomes", "attempts", COLUMNS)
    op.create_index("ix_verdicts_attempt_cover", "verdicts", VERDICT_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_verdicts_attempt_cover", table_name="verdicts")
    op.drop_index("ix_attempts_outcomes", table_name="attempts")
