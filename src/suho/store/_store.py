"""The Store: runs, attempts, verdicts and findings in SQLite or PostgreSQL.

Synchronous SQLAlchemy Core on purpose: the engine calls it from one writer thread in batches, and
reads page through attempts by ``seq`` so nothing ever holds a whole run in memory.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Text,
    and_,
    bindparam,
    case,
    cast,
    create_engine,
    event,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import Select

from suho.episode import Attempt
from suho.errors import SuhoInputError
from suho.store._schema import (
    HEAD_REVISION,
    attempt_events,
    attempts,
    findings,
    metadata,
    runs,
    verdicts,
)
from suho.store._types import (
    DEFAULT_DB,
    AttemptResult,
    Totals,
    VerdictRecord,
    check_sqlite_file,
    lease_owner_id,
    resolve_url,
)

PAGE = 500


def display_url(url: str) -> str:
    """The store URL with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


# How many matching runs an ambiguous run-id prefix lists.
_AMBIGUOUS_SHOWN = 10


class Store:
    """A connection to one store. Create with ``Store.open(url)``; it migrates on first use."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    # -- opening and schema -------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, create: bool = True) -> Store:
        """Open (and bring up to date) the store at ``url``.

        ``create=False`` is for commands that only read runs: a SQLite file that does not exist
        is then an input error naming the path, instead of a new empty store left behind.
        """
        full = resolve_url(url)
        try:
            parsed = make_url(full)
        except ArgumentError as e:
            raise SuhoInputError(f"--db {url!r} is not a database URL ({e})") from e
        is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {}
        if is_sqlite:
            db = parsed.database
            if db and db != ":memory:":
                check_sqlite_file(db, url, create=create)
            kwargs["connect_args"] = {"timeout": 30}
        try:
            engine = create_engine(full, **kwargs)
        except (ArgumentError, ImportError) as e:
            raise SuhoInputError(f"--db {display_url(full)}: {e}") from e
        if is_sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, full)
        if migrate:
            store.migrate()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as c:
                if not inspect(c).has_table("alembic_version"):
                    return None
                return c.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as e:
            raise SuhoInputError(f"cannot open store {display_url(self.url)}: {e.orig}") from e

    def migrate(self) -> None:
        """Bring the schema to the head revision.

        An up-to-date store costs one query. An empty database gets the current tables at once
        and is stamped at the head revision (Alembic's recommended way to build a fresh database;
        a test proves the migrations build exactly the same schema). An older store is upgraded
        by the Alembic migrations.
        """
        rev = self.current_revision()
        if rev == HEAD_REVISION:
            return
        if rev is None and not inspect(self.engine).get_table_names():
            with self.engine.begin() as c:
                metadata.create_all(c)
                c.execute(
                    text(
                        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
                    )
                )
                c.execute(
                    text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                    {"v": HEAD_REVISION},
                )
            return
        from suho.store._migrate import upgrade

        upgrade(self.engine)

    # -- runs -----------------------------------------------------------------------------------

    def create_run(self, row: Mapping[str, Any]) -> None:
        now = time.time()
        values = {"created_at": now, "updated_at": now, "total": 0, **row}
        with self.engine.begin() as c:
            c.execute(runs.insert().values(**values))

    def update_run(self, run_id: str, **values: Any) -> None:
        values["updated_at"] = time.time()
        with self.engine.begin() as c:
            c.execute(runs.update().where(runs.c.id == run_id).values(**values))

    def resolve_run_id(self, run_id: str) -> str:
        """``latest`` means the newest run; a unique prefix of an id is accepted too."""
        with self.engine.connect() as c:
            if run_id == "latest":
                found = c.execute(
                    select(runs.c.id).order_by(runs.c.created_at.desc()).limit(1)
                ).scalar()
                if found is None:
                    raise SuhoInputError(f"no runs in {display_url(self.url)}")
                return str(found)
            if c.execute(select(runs.c.id).where(runs.c.id == run_id)).scalar():
                return run_id
            like = run_id.replace("%", "").replace("_", "\\_") + "%"
            rows = c.execute(
                select(runs.c.id)
                .where(runs.c.id.like(like, escape="\\"))
                .order_by(runs.c.created_at.desc())
                .limit(_AMBIGUOUS_SHOWN + 1)
            ).all()
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            shown = ", ".join(str(r[0]) for r in rows[:_AMBIGUOUS_SHOWN])
            more = " and more" if len(rows) > _AMBIGUOUS_SHOWN else ""
            raise SuhoInputError(
                f"run id prefix {run_id!r} is ambiguous: it matches {shown}{more}; "
                "give more of the id"
            )
        raise SuhoInputError(f"no run {run_id!r} in {display_url(self.url)} (see `suho runs`)")

    def get_run(self, run_id: str) -> dict[str, Any]:
        rid = self.resolve_run_id(run_id)
        with self.engine.connect() as c:
            row = c.execute(select(runs).where(runs.c.id == rid)).mappings().one()
        return dict(row)

    def list_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = (
                c.execute(select(runs).order_by(runs.c.created_at.desc()).limit(limit))
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    # -- leases: one process executes a run at a time -------------------------------------------

    def acquire_lease(self, run_id: str, owner: str, *, stale_after: float = 30.0) -> None:
        """Take the run for this process, or raise if another live process holds it.

        A holder on this host is alive while its pid exists; a holder elsewhere while its
        heartbeat is younger than ``stale_after`` seconds. The take-over is a compare-and-set,
        so two resumes racing for one run cannot both win.
        """
        run = self.get_run(run_id)
        old = run["lease_owner"]
        if old and old != owner and _lease_alive(old, run["lease_heartbeat"], stale_after):
            raise SuhoInputError(
                f"run {run_id} is being executed by another process ({old}); "
                "wait for it or stop it first"
            )
        now = time.time()
        cond = runs.c.lease_owner.is_(None) if old is None else runs.c.lease_owner == old
        with self.engine.begin() as c:
            n = c.execute(
                runs.update()
                .where(and_(runs.c.id == run_id, cond))
                .values(lease_owner=owner, lease_heartbeat=now, updated_at=now)
            ).rowcount
        if n != 1:
            raise SuhoInputError(f"run {run_id} was taken by another process just now")

    def heartbeat(self, run_id: str, owner: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                runs.update()
                .where(and_(runs.c.id == run_id, runs.c.lease_owner == owner))
                .values(lease_heartbeat=time.time())
            )

    def release_lease(self, run_id: str, owner: str, status: str) -> None:
        now = time.time()
        values: dict[str, Any] = {"lease_owner": None, "status": status, "updated_at": now}
        if status == "done":
            values["finished_at"] = now
        with self.engine.begin() as c:
            c.execute(
                runs.update()
                .where(and_(runs.c.id == run_id, runs.c.lease_owner == owner))
                .values(**values)
            )

    # -- attempts -------------------------------------------------------------------------------

    def add_attempts(
        self, run_id: str, rows: Iterable[Mapping[str, Any]], chunk: int = 1000
    ) -> int:
        """Insert planned attempts in chunks; returns how many."""
        n = 0
        buf: list[Mapping[str, Any]] = []
        for r in rows:
            buf.append(r)
            if len(buf) >= chunk:
                n += self._insert_attempts(buf)
                buf = []
        if buf:
            n += self._insert_attempts(buf)
        self.update_run(run_id, total=n)
        return n

    def _insert_attempts(self, rows: Sequence[Mapping[str, Any]]) -> int:
        with self.engine.begin() as c:
            c.execute(attempts.insert(), [_stored_prompts(r) for r in rows])
        return len(rows)

    def pending_page(self, run_id: str, after_seq: int, limit: int = PAGE) -> list[Attempt]:
        """The next pending attempts in plan order, after ``after_seq``."""
        cols = [
            attempts.c.id,
            attempts.c.run_id,
            attempts.c.seq,
            attempts.c.probe_id,
            attempts.c.intent_id,
            attempts.c.goal,
            attempts.c.extra,
            attempts.c.lang,
            attempts.c.category,
            attempts.c.expected,
            attempts.c.transform,
            attempts.c.attack,
            attempts.c.system_prompt,
            attempts.c.original_prompt,
            attempts.c.prompt,
            attempts.c.tags,
            attempts.c.repeat,
        ]
        q = (
            select(*cols)
            .where(
                and_(
                    attempts.c.run_id == run_id,
                    attempts.c.status == "pending",
                    attempts.c.seq > after_seq,
                )
            )
            .order_by(attempts.c.seq)
            .limit(limit)
        )
        with self.engine.connect() as c:
            return [Attempt.from_row(_read_prompts(dict(r))) for r in c.execute(q).mappings()]

    # -- episode checkpoints ----------------------------------------------------------------------

    def append_events(
        self, run_id: str, attempt_id: str, events: Sequence[Mapping[str, Any]]
    ) -> None:
        """Append a pending attempt's checkpointed events (keyed by their ``seq``: an event can
        never be stored twice)."""
        self.append_checkpoints(run_id, [(attempt_id, events)])

    def append_checkpoints(
        self, run_id: str, checkpoints: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]
    ) -> None:
        """``append_events`` for several pending attempts in one transaction: all are stored or
        none. The engine gathers the checkpoints of the conversations in flight this way (one
        commit for many, instead of one each)."""
        rows = [
            {
                "attempt_id": attempt_id,
                "seq": e["seq"],
                "run_id": run_id,
                "event": e if isinstance(e, dict) else dict(e),
            }
            for attempt_id, events in checkpoints
            for e in events
        ]
        if not rows:
            return
        with self.engine.begin() as c:
            c.execute(attempt_events.insert(), rows)

    def load_events(self, attempt_id: str) -> list[dict[str, Any]]:
        """A pending attempt's checkpointed events, in order."""
        q = (
            select(attempt_events.c.event)
            .where(attempt_events.c.attempt_id == attempt_id)
            .order_by(attempt_events.c.seq)
        )
        with self.engine.connect() as c:
            return [e if isinstance(e, dict) else json.loads(e) for (e,) in c.execute(q)]

    def checkpointed_ids(self, run_id: str) -> frozenset[str]:
        """The pending attempts of a run that have checkpointed events (a resume replays them)."""
        q = select(attempt_events.c.attempt_id).where(attempt_events.c.run_id == run_id).distinct()
        with self.engine.connect() as c:
            return frozenset(str(a) for (a,) in c.execute(q))

    def reset_errors(self, run_id: str) -> int:
        """Put errored attempts back to pending (``suho resume --retry-errors``); they start
        their episodes afresh (an error's checkpoints were cleared when it was recorded)."""
        with self.engine.begin() as c:
            n = c.execute(
                attempts.update()
                .where(and_(attempts.c.run_id == run_id, attempts.c.status == "error"))
                .values(status="pending", error_kind=None, error_detail=None)
            ).rowcount
        return int(n or 0)

    def record_results(self, run_id: str, results: Sequence[AttemptResult]) -> list[AttemptResult]:
        """Write finished attempts and their verdicts in one transaction.

        An attempt is written only if it is still pending, so a result can never be recorded
        twice; returns the results that were written. The whole batch is one executemany
        UPDATE (one compiled statement, not one per attempt); only when it touches fewer rows
        than it was given (an attempt was no longer pending) is the batch redone row by row to
        learn which ones were written.
        """
        if not results:
            return []
        if self.engine.dialect.supports_sane_multi_rowcount:
            try:
                with self.engine.begin() as c:
                    n = c.execute(_RECORD, [_result_params(r) for r in results]).rowcount
                    if n != len(results):
                        raise _NotAllPending
                    self._insert_verdicts(c, run_id, results)
                    self._clear_checkpoints(c, results)
                return list(results)
            except _NotAllPending:
                pass  # rolled back; find out attempt by attempt
        written: list[AttemptResult] = []
        with self.engine.begin() as c:
            for r in results:
                if c.execute(_RECORD, _result_params(r)).rowcount == 1:
                    written.append(r)
            self._insert_verdicts(c, run_id, written)
            self._clear_checkpoints(c, results)
        return written

    @staticmethod
    def _insert_verdicts(c: Connection, run_id: str, results: Sequence[AttemptResult]) -> None:
        vrows = [
            {**_verdict_row(v), "attempt_id": r.id, "run_id": run_id}
            for r in results
            for v in r.verdicts
        ]
        if vrows:
            c.execute(verdicts.insert(), vrows)

    @staticmethod
    def _clear_checkpoints(c: Connection, results: Sequence[AttemptResult]) -> None:
        """The checkpointed events of finished attempts: now in ``attempts.events``."""
        ids = [r.id for r in results if r.checkpointed]
        if ids:
            c.execute(attempt_events.delete().where(attempt_events.c.attempt_id.in_(ids)))

    def totals(self, run_id: str) -> Totals:
        """Where a run stands. ``hits`` are attack successes on harmful probes only; a refused
        benign probe is an over-refusal, counted apart (one definition for every display)."""
        is_done = attempts.c.status == "done"
        success = attempts.c.success.is_(True)
        harmful = and_(is_done, attempts.c.expected != "comply")
        benign = and_(is_done, attempts.c.expected == "comply")
        q = select(
            func.count(),
            func.sum(case((attempts.c.status == "pending", 1), else_=0)),
            _count(is_done),
            _count(attempts.c.status == "error"),
            _count(and_(harmful, success)),
            _count(harmful),
            _count(and_(benign, success)),
            _count(benign),
        ).where(attempts.c.run_id == run_id)
        with self.engine.connect() as c:
            row = c.execute(q).one()
        total, pending, done, errors, hits, judged, over, n_benign = (int(x or 0) for x in row)
        return Totals(
            attempts=total,
            pending=pending,
            done=done,
            errors=errors,
            hits=hits,
            judged=judged,
            over_refusals=over,
            benign=n_benign,
        )

    def iter_attempts(self, run_id: str, *, page: int = PAGE) -> Iterator[dict[str, Any]]:
        """Every attempt of a run in plan order, each with its final ``verdicts``
        {detector: {...}} (per-turn verdicts are in its ``events``)."""
        after = -1
        while True:
            with self.engine.connect() as c:
                rows = [
                    dict(r)
                    for r in c.execute(
                        select(attempts)
                        .where(and_(attempts.c.run_id == run_id, attempts.c.seq > after))
                        .order_by(attempts.c.seq)
                        .limit(page)
                    ).mappings()
                ]
                if not rows:
                    return
                ids = [r["id"] for r in rows]
                vmap: dict[str, dict[str, Any]] = {}
                for v in c.execute(
                    select(verdicts).where(
                        and_(verdicts.c.attempt_id.in_(ids), verdicts.c.turn.is_(None))
                    )
                ).mappings():
                    vmap.setdefault(v["attempt_id"], {})[v["detector"]] = {
                        "kind": v["kind"],
                        "hit": v["hit"],
                        "score": v["score"],
                        "label": v["label"],
                        "stage": v["stage"],
                        "evidence": v["evidence"],
                    }
            for r in rows:
                r["verdicts"] = vmap.get(r["id"], {})
                yield _read_prompts(r)
            after = rows[-1]["seq"]

    def pair_cells(self, run_id: str) -> Iterator[tuple[Any, ...]]:
        """Paired outcomes aggregated in the database, one row per pair key:
        ``(intent_id, category, transform, attack, repeat, expected, en, ko, ko_adapted)``, each
        side 1/0 when a finished attempt succeeded/did not, or None when that side has none.

        One GROUP BY instead of streaming every attempt through Python (the gap statistics of a
        100,000-attempt run in a fraction of the time); ``iter_outcomes`` is the reference.
        Rows stream from the cursor: the caller decides what to keep."""
        a = attempts.c
        ok = and_(a.status == "done", a.success.is_not(None))
        won = case((a.success.is_(True), 1), else_=0)

        def side(cond: Any) -> Any:
            return func.max(case((and_(ok, cond), won), else_=None))

        adapted = a.variant == "adapted"
        not_adapted = or_(a.variant.is_(None), a.variant != "adapted")
        q = (
            select(
                a.intent_id,
                func.min(a.category),
                a.transform,
                a.attack,
                a.repeat,
                a.expected,
                side(a.lang == "en"),
                side(and_(a.lang == "ko", not_adapted)),
                side(and_(a.lang == "ko", adapted)),
            )
            .where(a.run_id == run_id)
            .group_by(a.intent_id, a.transform, a.attack, a.repeat, a.expected)
        )
        with self.engine.connect() as c:
            for r in c.execute(q).yield_per(5000):
                yield tuple(r)

    def seq_range(self, run_id: str) -> tuple[int, int]:
        """``(first seq, last seq + 1)`` of a run's attempts (``(0, 0)`` when it has none)."""
        a = attempts.c
        with self.engine.connect() as c:
            lo, hi = c.execute(
                select(func.min(a.seq), func.max(a.seq)).where(a.run_id == run_id)
            ).one()
        return (0, 0) if lo is None else (int(lo), int(hi) + 1)

    def transforms_in_plan_order(self, run_id: str) -> list[str]:
        """The run's transforms, in the order the plan first used them."""
        a = attempts.c
        q = (
            select(a.transform, func.min(a.seq).label("first"))
            .where(a.run_id == run_id)
            .group_by(a.transform)
            .order_by("first")
        )
        with self.engine.connect() as c:
            return [str(r[0]) for r in c.execute(q)]

    def iter_outcomes(self, run_id: str, *, page: int = 5000) -> Iterator[tuple[Any, ...]]:
        """The few columns the paired statistics need, one tuple per attempt in plan order:
        ``(intent_id, lang, variant, category, transform, attack, repeat, expected, status,
        success)``. Pages by ``seq``; never loads prompts, responses or verdicts."""
        cols = (
            attempts.c.intent_id,
            attempts.c.lang,
            attempts.c.variant,
            attempts.c.category,
            attempts.c.transform,
            attempts.c.attack,
            attempts.c.repeat,
            attempts.c.expected,
            attempts.c.status,
            attempts.c.success,
        )
        after = -1
        while True:
            q = (
                select(attempts.c.seq, *cols)
                .where(and_(attempts.c.run_id == run_id, attempts.c.seq > after))
                .order_by(attempts.c.seq)
                .limit(page)
            )
            with self.engine.connect() as c:
                rows = c.execute(q).all()
            if not rows:
                return
            for r in rows:
                yield tuple(r[1:])
            after = rows[-1][0]

    def probe_ids(self, run_id: str) -> set[str]:
        """The distinct probe ids a run planned."""
        q = select(attempts.c.probe_id).where(attempts.c.run_id == run_id).distinct()
        with self.engine.connect() as c:
            return {str(r[0]) for r in c.execute(q)}

    def group_counts(self, run_id: str, *, probes: set[str] | None = None) -> list[dict[str, Any]]:
        """Counts per (category, lang, transform, attack, expected): trials, successes, errors.

        ``probes`` keeps only those probe ids (to compare two runs on the probes they share).
        """
        if probes is not None:
            return self._group_counts_of(run_id, probes)
        g = (
            attempts.c.category,
            attempts.c.lang,
            attempts.c.transform,
            attempts.c.attack,
            attempts.c.expected,
        )
        q = (
            select(
                *g,
                func.sum(case((attempts.c.status == "done", 1), else_=0)).label("trials"),
                func.sum(
                    case(
                        (and_(attempts.c.status == "done", attempts.c.success.is_(True)), 1),
                        else_=0,
                    )
                ).label("successes"),
                func.sum(case((attempts.c.status == "error", 1), else_=0)).label("errors"),
                func.sum(case((attempts.c.status == "pending", 1), else_=0)).label("pending"),
            )
            .where(attempts.c.run_id == run_id)
            .group_by(*g)
            .order_by(*g)
        )
        with self.engine.connect() as c:
            return [
                {
                    k: (int(v) if k in ("trials", "successes", "errors", "pending") else v)
                    for k, v in r.items()
                }
                for r in c.execute(q).mappings()
            ]

    def iter_chunks(self, query: Select[Any], size: int = 5000) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a read-only SQLAlchemy Core ``query`` (built on this package's tables, its
        values bound), ``size`` at a time, as plain tuples: for readers that stream a whole run
        (the reports). SQLite runs the compiled statement on the driver's own cursor, whose
        tuples cost a fraction of result rows; other databases stream a server-side result."""
        with self.engine.connect() as c:
            if c.dialect.name == "sqlite":
                compiled = query.compile(dialect=c.dialect)
                params = [compiled.params[k] for k in compiled.positiontup or ()]
                cur = c.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    cur.execute(str(compiled), params)
                    while part := cur.fetchmany(size):
                        yield list(part)
                finally:
                    cur.close()
                return
            result = c.execution_options(stream_results=True, yield_per=size).execute(query)
            while rows := result.fetchmany(size):
                yield [tuple(r) for r in rows]

    def verdict_rows(
        self, run_id: str, seqs: tuple[int, int], *, evidence: bool = False
    ) -> list[tuple[Any, ...]]:
        """The final verdicts (a turn's verdicts are in the events) of the run's attempts with
        ``lo <= seq < hi``, ordered by attempt then detector, as plain tuples: ``(attempt_id,
        detector, hit, score, stage, label)``, and with ``evidence`` also ``kind`` and the
        evidence as its stored JSON text (not decoded).

        For readers that page through a run by ``seq`` (the reports, a few thousand attempts at
        a time): three bound values whatever the page; the page's attempt ids come from the
        plan-order index and, without ``evidence``, the covering index answers the rest."""
        v, a = verdicts.c, attempts.c
        cols: list[Any] = [v.attempt_id, v.detector, v.hit, v.score, v.stage, v.label]
        if evidence:
            cols += [v.kind, cast(v.evidence, Text)]
        page = select(a.id).where(a.run_id == run_id, a.seq >= seqs[0], a.seq < seqs[1])
        q = (
            select(*cols)
            .where(v.attempt_id.in_(page), v.turn.is_(None))
            .order_by(v.attempt_id, v.detector)
        )
        # one page of a run: its verdicts fit in one fetch
        return next(self.iter_chunks(q, size=1 << 30), [])

    def _group_counts_of(self, run_id: str, probes: set[str]) -> list[dict[str, Any]]:
        """``group_counts`` over some probes: grouped per probe in SQL (no giant IN list),
        filtered and summed here."""
        keys = ("category", "lang", "transform", "attack", "expected")
        counts = ("trials", "successes", "errors", "pending")
        g = (attempts.c.probe_id, *(attempts.c[k] for k in keys))
        done = attempts.c.status == "done"
        q = (
            select(
                *g,
                _count(done),
                _count(and_(done, attempts.c.success.is_(True))),
                _count(attempts.c.status == "error"),
                _count(attempts.c.status == "pending"),
            )
            .where(attempts.c.run_id == run_id)
            .group_by(*g)
        )
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        with self.engine.connect() as c:
            for row in c.execute(q):
                if row[0] not in probes:
                    continue
                key = tuple(row[1:6])
                slot = out.setdefault(
                    key, {**dict(zip(keys, key, strict=True)), **dict.fromkeys(counts, 0)}
                )
                for name, v in zip(counts, row[6:], strict=True):
                    slot[name] += int(v or 0)
        return [out[k] for k in sorted(out, key=lambda k: tuple(str(x) for x in k))]

    def verdict_stage_counts(self, run_id: str) -> dict[str, dict[str, int]]:
        """How many verdicts each detector gave from each stage (rule, morph, judge, ...)."""
        q = (
            select(verdicts.c.detector, verdicts.c.stage, func.count())
            .where(verdicts.c.run_id == run_id, verdicts.c.turn.is_(None))
            .group_by(verdicts.c.detector, verdicts.c.stage)
            .order_by(verdicts.c.detector, verdicts.c.stage)
        )
        out: dict[str, dict[str, int]] = {}
        with self.engine.connect() as c:
            for det, stage, n in c.execute(q):
                out.setdefault(str(det), {})[str(stage)] = int(n)
        return out

    def outcome_counts(self, run_id: str) -> dict[str, dict[str, dict[str, int]]]:
        """Done attempts per expected behaviour, language and outcome label
        (``{"refuse": {"ko": {"refused": 3, "complied": 1, "non-answer": 2}}}``)."""
        q = (
            select(attempts.c.expected, attempts.c.lang, attempts.c.outcome, func.count())
            .where(and_(attempts.c.run_id == run_id, attempts.c.status == "done"))
            .group_by(attempts.c.expected, attempts.c.lang, attempts.c.outcome)
        )
        out: dict[str, dict[str, dict[str, int]]] = {}
        with self.engine.connect() as c:
            for exp, lang, outcome, n in c.execute(q):
                slot = out.setdefault(str(exp), {}).setdefault(str(lang), {})
                slot[str(outcome or "unknown")] = int(n)
        return out

    def category_taxonomy(self, run_id: str) -> dict[str, dict[str, list[str]]]:
        """Union of the probes' taxonomy tags per category (one pass over distinct probes)."""
        out: dict[str, dict[str, set[str]]] = {}
        q = select(attempts.c.category, attempts.c.probe_id, attempts.c.tags).where(
            and_(
                attempts.c.run_id == run_id, attempts.c.repeat == 0, attempts.c.transform == "none"
            )
        )
        seen: set[str] = set()
        with self.engine.connect() as c:
            for cat, pid, tags in c.execute(q):
                if pid in seen or not tags:
                    continue
                seen.add(pid)
                slot = out.setdefault(cat, {})
                for k, vals in (tags if isinstance(tags, dict) else json.loads(tags)).items():
                    slot.setdefault(k, set()).update(vals)
        return {cat: {k: sorted(v) for k, v in d.items()} for cat, d in out.items()}

    def replace_findings(self, run_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        with self.engine.begin() as c:
            c.execute(findings.delete().where(findings.c.run_id == run_id))
            if rows:
                c.execute(findings.insert(), [{**r, "run_id": run_id} for r in rows])

    def get_findings(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [
                dict(r)
                for r in c.execute(
                    select(findings).where(findings.c.run_id == run_id).order_by(findings.c.id)
                ).mappings()
            ]

    def delete_run(self, run_id: str) -> None:
        with self.engine.begin() as c:
            c.execute(attempt_events.delete().where(attempt_events.c.run_id == run_id))
            c.execute(verdicts.delete().where(verdicts.c.run_id == run_id))
            c.execute(findings.delete().where(findings.c.run_id == run_id))
            c.execute(attempts.delete().where(attempts.c.run_id == run_id))
            c.execute(runs.delete().where(runs.c.id == run_id))


def _stored_prompts(row: Mapping[str, Any]) -> Mapping[str, Any]:
    """An attempt row as stored: an untransformed prompt (the baseline, most attempts of a run)
    is stored once, with ``original_prompt`` empty (never a real value: a probe's prompt is
    never blank). ``_read_prompts`` and ``ORIGINAL_PROMPT`` read it back."""
    orig = row.get("original_prompt")
    if orig is not None and orig != "" and (orig is row.get("prompt") or orig == row.get("prompt")):
        return {**row, "original_prompt": ""}
    return row


def _read_prompts(row: dict[str, Any]) -> dict[str, Any]:
    if "original_prompt" in row and not row["original_prompt"]:
        row["original_prompt"] = row.get("prompt")
    return row


# ``original_prompt`` as a SQL expression, for queries that read it without ``_read_prompts``.
ORIGINAL_PROMPT = func.coalesce(func.nullif(attempts.c.original_prompt, ""), attempts.c.prompt)


class _NotAllPending(Exception):
    """Raised inside a batch write to roll it back: some attempt was no longer pending."""


# Every field of a result is a column of its attempt, but the key and the verdicts (their own table).
_RESULT_COLUMNS = tuple(
    f.name
    for f in fields(AttemptResult)
    if f.name not in ("id", "verdicts", "checkpointed", "expected")
)
# SET takes its columns from the parameter names; the guard keeps a done attempt from being
# overwritten (a result is recorded once).
_RECORD = attempts.update().where(
    and_(attempts.c.id == bindparam("b_id"), attempts.c.status == "pending")
)


def _count(cond: Any) -> Any:
    return func.sum(case((cond, 1), else_=0))


def _result_params(r: AttemptResult) -> dict[str, Any]:
    p = {k: getattr(r, k) for k in _RESULT_COLUMNS}
    p["b_id"] = r.id
    return p


def _verdict_row(v: VerdictRecord | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(v, VerdictRecord):
        return v.row()
    return {"turn": None, **v}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _lease_alive(owner: str, heartbeat: float | None, stale_after: float) -> bool:
    host, _, rest = owner.partition(":")
    pid_s = rest.split(":", 1)[0]
    if host == socket.gethostname() and pid_s.isdigit():
        try:
            os.kill(int(pid_s), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        # The pid exists; a heartbeat silent for minutes means the pid was reused or the holder hung.
        return heartbeat is None or time.time() - heartbeat < max(stale_after, 120.0)
    return heartbeat is not None and time.time() - heartbeat < stale_after


__all__ = [
    "DEFAULT_DB",
    "ORIGINAL_PROMPT",
    "AttemptResult",
    "SQLAlchemyError",
    "Store",
    "Totals",
    "display_url",
    "lease_owner_id",
    "metadata",
    "resolve_url",
]
