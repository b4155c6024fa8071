"""Episodes: the full event trace of every attempt, per-turn verdicts, calls per model role.

``attempts`` gains ``goal`` and ``extra`` (plan fields of agent and cyber attempts), ``events``
(the episode's trace, written with the result) and ``attacker_calls`` / ``judge_calls``.
``attempt_events`` holds the events of episodes still in progress, appended by checkpoints, so
``suho resume`` can continue a multi-step episode. ``verdicts`` gains ``turn`` (None for the
attempt's final verdict) and its unique key widens to (attempt, detector, turn).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

VERDICT_COLUMNS = ["attempt_id", "detector", "hit", "score", "stage", "label"]


def upgrade() -> None:
    with op.batch_alter_table("attempts") as b:
        b.add_column(sa.Column("goal", sa.Text, nullable=True))
        b.add_column(sa.Column("extra", sa.JSON, nullable=True))
        b.add_column(sa.Column("events", sa.JSON, nullable=True))
        b.add_column(sa.Column("attacker_calls", sa.Integer, nullable=True))
        b.add_column(sa.Column("judge_calls", sa.Integer, nullable=True))
    with op.batch_alter_table("verdicts") as b:
        b.add_column(sa.Column("turn", sa.Integer, nullable=True))
        b.drop_constraint("uq_verdicts_attempt_detector", type_="unique")
        b.create_unique_constraint(
            "uq_verdicts_attempt_detector_turn", ["attempt_id", "detector", "turn"]
        )
    # Reports still read an attempt's verdicts from the index alone, now telling a turn's
    # verdicts from the final ones.
    op.drop_index("ix_verdicts_attempt_cover", table_name="verdicts")
    op.create_index("ix_verdicts_attempt_cover", "verdicts", [*VERDICT_COLUMNS, "turn"])
    op.create_table(
        "attempt_events",
        sa.Column(
            "attempt_id",
            sa.String(64),
            sa.ForeignKey("attempts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("event", sa.JSON, nullable=False),
    )
    op.create_index("ix_attempt_events_run", "attempt_events", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_attempt_events_run", table_name="attempt_events")
    op.drop_table("attempt_events")
    op.execute("DELETE FROM verdicts WHERE turn IS NOT NULL")
    op.drop_index("ix_verdicts_attempt_cover", table_name="verdicts")
    op.create_index("ix_verdicts_attempt_cover", "verdicts", VERDICT_COLUMNS)
    with op.batch_alter_table("verdicts") as b:
        b.drop_constraint("uq_verdicts_attempt_detector_turn", type_="unique")
        b.create_unique_constraint("uq_verdicts_attempt_detector", ["attempt_id", "detector"])
        b.drop_column("turn")
    with op.batch_alter_table("attempts") as b:
        for col in ("judge_calls", "attacker_calls", "events", "extra", "goal"):
            b.drop_column(col)
