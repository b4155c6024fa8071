"""Initial schema: runs, attempts, verdicts, findings.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("suho_version", sa.String(32), nullable=False),
        sa.Column("target", sa.JSON, nullable=False),
        sa.Column("suite", sa.String(200), nullable=True),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_heartbeat", sa.Float, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("probe_id", sa.String(200), nullable=False),
        sa.Column("intent_id", sa.String(200), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("expected", sa.String(16), nullable=False),
        sa.Column("variant", sa.String(16), nullable=True),
        sa.Column("transform", sa.String(200), nullable=False),
        sa.Column("attack", sa.String(100), nullable=False),
        sa.Column("repeat", sa.Integer, nullable=False),
        sa.Column("tags", sa.JSON, nullable=True),
        sa.Column("system_prompt", sa.Text, nullable=True),
        sa.Column("original_prompt", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_kind", sa.String(32), nullable=True),
        sa.Column("error_detail", sa.Text, nullable=True),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=True),
        sa.Column("turns", sa.JSON, nullable=True),
        sa.Column("finish_reason", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("success", sa.Boolean, nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=True),
        sa.Column("prompt_tokens", sa.Integer, nullable=True),
        sa.Column("completion_tokens", sa.Integer, nullable=True),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
    )
    op.create_index("ix_attempts_run_status_seq", "attempts", ["run_id", "status", "seq"])
    op.create_index("ix_attempts_run_seq", "attempts", ["run_id", "seq"])
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "attempt_id",
            sa.String(64),
            sa.ForeignKey("attempts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("detector", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("hit", sa.Boolean, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("label", sa.String(32), nullable=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=True),
        sa.UniqueConstraint("attempt_id", "detector", name="uq_verdicts_attempt_detector"),
    )
    op.create_index("ix_verdicts_run", "verdicts", ["run_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("transform", sa.String(200), nullable=False),
        sa.Column("attack", sa.String(100), nullable=False),
        sa.Column("expected", sa.String(16), nullable=False),
        sa.Column("trials", sa.Integer, nullable=False),
        sa.Column("successes", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("rate", sa.Float, nullable=True),
        sa.Column("ci_low", sa.Float, nullable=True),
        sa.Column("ci_high", sa.Float, nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("taxonomy", sa.JSON, nullable=True),
        sa.UniqueConstraint(
            "run_id",
            "category",
            "lang",
            "transform",
            "attack",
            "expected",
            name="uq_findings_group",
        ),
    )


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_index("ix_verdicts_run", table_name="verdicts")
    op.drop_table("verdicts")
    op.drop_index("ix_attempts_run_seq", table_name="attempts")
    op.drop_index("ix_attempts_run_status_seq", table_name="attempts")
    op.drop_table("attempts")
    op.drop_table("runs")
