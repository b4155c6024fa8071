"""Tables of the store (DESIGN.md section 3). Alembic migrations in ``migrations/`` build the same
schema; a test proves the two never drift apart.

Change a table only together with a new migration, and bump ``HEAD_REVISION``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

HEAD_REVISION = "0003"

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", Float, nullable=False),  # unix seconds, UTC
    Column("updated_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    Column("suho_version", String(32), nullable=False),
    Column("target", JSON, nullable=False),  # provider/model/base_url, never a secret
    Column("suite", String(200), nullable=True),
    Column("config", JSON, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # planning/running/interrupted/done/failed
    Column("total", Integer, nullable=False, default=0),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_heartbeat", Float, nullable=True),
    Column("note", Text, nullable=True),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),  # plan order, for keyset paging
    Column("probe_id", String(200), nullable=False),
    Column("intent_id", String(200), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("category", String(100), nullable=False),
    Column("expected", String(16), nullable=False),
    Column("variant", String(16), nullable=True),
    Column("transform", String(200), nullable=False),
    Column("attack", String(100), nullable=False),
    Column("repeat", Integer, nullable=False),
    Column("tags", JSON, nullable=True),
    Column("system_prompt", Text, nullable=True),
    Column("original_prompt", Text, nullable=False),
    Column("prompt", Text, nullable=False),  # rendered: after transforms
    Column("status", String(16), nullable=False),  # pending/done/error
    Column("error_kind", String(32), nullable=True),
    Column("error_detail", Text, nullable=True),
    Column("tries", Integer, nullable=False, default=0),
    Column("response", Text, nullable=True),
    Column("turns", JSON, nullable=True),
    Column("finish_reason", String(64), nullable=True),
    Column("outcome", String(16), nullable=True),  # refused/partial/complied
    Column("success", Boolean, nullable=True),  # the failure the probe looks for happened
    Column("decided_by", String(100), nullable=True),
    Column("latency_ms", Float, nullable=True),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("started_at", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    # Migration 0003: what the attacker wants, kind-specific plan fields (agent and cyber
    # tasks), the episode's whole trace and the requests to the other model roles.
    Column("goal", Text, nullable=True),
    Column("extra", JSON, nullable=True),
    Column("events", JSON, nullable=True),
    Column("attacker_calls", Integer, nullable=True),
    Column("judge_calls", Integer, nullable=True),
    Index("ix_attempts_run_status_seq", "run_id", "status", "seq"),
    Index("ix_attempts_run_seq", "run_id", "seq"),
    # Covers every statistics query (pairing, group counts), ordered by the pair key, so they
    # never read the wide prompt/response rows (migration 0002).
    Index(
        "ix_attempts_outcomes",
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
    ),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("attempt_id", String(64), ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("detector", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("hit", Boolean, nullable=False),
    Column("score", Float, nullable=False),
    Column("label", String(32), nullable=True),
    Column("stage", String(32), nullable=False),
    Column("evidence", JSON, nullable=True),
    Column("turn", Integer, nullable=True),  # None: the attempt's final verdict (0003)
    UniqueConstraint("attempt_id", "detector", "turn", name="uq_verdicts_attempt_detector_turn"),
    # Per-run verdict keys (detectors, stages, labels) from the index alone (migration 0002).
    Index("ix_verdicts_run_keys", "run_id", "detector", "stage", "label"),
    # Reports read an attempt's verdicts from the index alone (migrations 0002, 0003).
    Index(
        "ix_verdicts_attempt_cover",
        "attempt_id",
        "detector",
        "hit",
        "score",
        "stage",
        "label",
        "turn",
    ),
)

# Events of episodes still in progress, appended by checkpoints (migration 0003). When the
# attempt's result is written, its whole trace goes to ``attempts.events`` and these rows are
# deleted in the same transaction; a resumed run replays them.
attempt_events = Table(
    "attempt_events",
    metadata,
    Column(
        "attempt_id", String(64), ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("run_id", String(64), nullable=False),
    Column("event", JSON, nullable=False),
    Index("ix_attempt_events_run", "run_id"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("category", String(100), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("transform", String(200), nullable=False),
    Column("attack", String(100), nullable=False),
    Column("expected", String(16), nullable=False),
    Column("trials", Integer, nullable=False),
    Column("successes", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("rate", Float, nullable=True),
    Column("ci_low", Float, nullable=True),
    Column("ci_high", Float, nullable=True),
    Column("severity", String(16), nullable=True),
    Column("taxonomy", JSON, nullable=True),
    UniqueConstraint(
        "run_id", "category", "lang", "transform", "attack", "expected", name="uq_findings_group"
    ),
)
