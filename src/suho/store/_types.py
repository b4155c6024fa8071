"""The store's plain values, importable without SQLAlchemy.

The engine needs these to run a scan; keeping them apart from the SQLAlchemy code lets a scan
start sending while the store module (a quarter of a second of imports) loads in the background.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suho.errors import SuhoInputError

DEFAULT_DB = "sqlite:///suho.db"


def resolve_url(url: str | None, env: Mapping[str, str] | None = None) -> str:
    """``--db`` value, else ``SUHO_DB``, else ``./suho.db``. A bare path means a SQLite file;
    ``postgresql://`` uses the psycopg 3 driver."""
    env = os.environ if env is None else env
    url = url or env.get("SUHO_DB") or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_file(url: str) -> str | None:
    """The file a ``sqlite:///PATH`` URL (from ``resolve_url``) names; None for anything else,
    including an in-memory database."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    return path if path and path != ":memory:" else None


def check_sqlite_file(path: str, url: str | None, *, create: bool) -> None:
    """Input errors for a SQLite store file, named as the user wrote ``--db``: its directory
    must exist, and so must the file unless this command creates stores (only a scan does)."""
    file = Path(path).expanduser()
    parent = file.resolve().parent
    if not parent.is_dir():
        raise SuhoInputError(f"--db {url!r}: directory {parent} does not exist")
    if not create and not file.exists():
        raise SuhoInputError(
            f"no store at {file} (nothing has been scanned into it; "
            "pass --db or set SUHO_DB to the store you scanned into)"
        )


@dataclass(frozen=True, slots=True)
class VerdictRecord:
    """One detector's verdict as stored: the final one (``turn`` None) or one of a turn
    (``ctx.score(turn=...)`` in a multi-turn episode)."""

    detector: str
    kind: str
    hit: bool
    score: float
    label: str | None = None
    stage: str = "rule"
    evidence: dict[str, Any] = field(default_factory=dict)
    turn: int | None = None

    def row(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "kind": self.kind,
            "hit": self.hit,
            "score": self.score,
            "label": self.label,
            "stage": self.stage,
            "evidence": self.evidence,
            "turn": self.turn,
        }


@dataclass(slots=True)
class AttemptResult:
    """What the engine learned about one attempt, written in one transaction with its verdicts."""

    id: str
    status: str  # done / error
    tries: int
    response: str | None = None
    turns: list[dict[str, Any]] | None = None
    finish_reason: str | None = None
    error_kind: str | None = None
    error_detail: str | None = None
    outcome: str | None = None
    success: bool | None = None
    decided_by: str | None = None
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    events: list[dict[str, Any]] | None = None  # the episode's whole trace, in order
    attacker_calls: int | None = None  # requests to the attacker model (None: no attacker)
    judge_calls: int | None = None  # requests to the judge model role (None: no judge role)
    # Not a column: the attempt has checkpointed events to clear when its result is written.
    checkpointed: bool = False
    verdicts: list[VerdictRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Totals:
    attempts: int
    pending: int
    done: int
    errors: int
    hits: int  # done attempts whose outcome is a success for the attacker (see decide())

    def to_dict(self) -> dict[str, int]:
        return {
            "attempts": self.attempts,
            "pending": self.pending,
            "done": self.done,
            "errors": self.errors,
            "hits": self.hits,
        }


def lease_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"
