"""The audit log: append-only, hash-chained, in the store's ``gateway_audit`` table.

Each entry's hash is ``sha256(previous hash + "\\n" + the entry's canonical JSON)``; the first
entry's previous hash is 64 zeros. The canonical JSON (sorted keys, no spaces, UTF-8) is stored
as written, next to the hash, so :func:`verify` recomputes the chain from the table alone and
reports the first entry that was edited, deleted or moved. A head row, written in the same
transaction as the newest entry, catches a deleted tail. ``verify`` also prints the head hash:
kept somewhere else (a ticket, a log shipper), it proves the log was not rebuilt from scratch.

The server computes each hash when it decides (in order, in one process) and a writer thread
inserts entries in batches, so a decision never waits on the disk. One gateway process writes a
store's log; entries still queued when the process is killed are lost (the chain stays valid).
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from suho.gateway._schema import gateway_audit, gateway_audit_head

GENESIS = "0" * 64


def canonical(entry: Mapping[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev: str, text: str) -> str:
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Verification:
    """What :func:`verify` found: ``ok``, the number of entries, the first bad one and why."""

    ok: bool
    entries: int
    head: str
    bad_seq: int | None = None
    reason: str = ""


class AuditLog:
    """Appends entries to the chain; a background thread writes them in batches."""

    def __init__(self, engine: Engine, *, batch: int = 500, linger: float = 0.05) -> None:
        self.engine = engine
        self.batch = batch
        self.linger = linger
        with engine.connect() as c:
            last = c.execute(
                select(gateway_audit.c.seq, gateway_audit.c.hash)
                .order_by(gateway_audit.c.seq.desc())
                .limit(1)
            ).first()
        self.seq, self.head = (int(last[0]), str(last[1])) if last else (0, GENESIS)
        self._lock = threading.Lock()
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.written = 0

    def append(self, entry: Mapping[str, Any], ts: float) -> int:
        """Chain ``entry`` and queue it for writing; returns its sequence number."""
        with self._lock:
            self.seq += 1
            full = {**entry, "seq": self.seq, "ts": round(ts, 6)}
            text = canonical(full)
            h = chain_hash(self.head, text)
            row = {
                "seq": self.seq,
                "ts": full["ts"],
                "key_id": full.get("key_id"),
                "action": str(full.get("action", "")),
                "entry": text,
                "prev_hash": self.head,
                "hash": h,
            }
            self.head = h
            seq = self.seq
        if self._thread is None:
            self._thread = threading.Thread(target=self._writer, name="suho-audit", daemon=True)
            self._thread.start()
        self._queue.put(row)
        return seq

    def _writer(self) -> None:
        while True:
            item = self._queue.get()
            rows = [] if item is None else [item]
            stop = item is None
            # Linger a little after the first entry: one transaction per ``linger`` seconds, not
            # one per request, keeps the writer from competing with the event loop under load.
            deadline = time.monotonic() + self.linger
            while len(rows) < self.batch and not stop:
                left = deadline - time.monotonic()
                try:
                    nxt = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                else:
                    rows.append(nxt)
            if rows:
                self._write(rows)
            for _ in range(len(rows) + (1 if stop else 0)):
                self._queue.task_done()
            if stop:
                return

    def _write(self, rows: list[dict[str, Any]]) -> None:
        last = rows[-1]
        with self.engine.begin() as c:
            c.execute(gateway_audit.insert(), rows)
            done = c.execute(
                gateway_audit_head.update()
                .where(gateway_audit_head.c.id == 1)
                .values(seq=last["seq"], hash=last["hash"])
            )
            if done.rowcount == 0:
                c.execute(
                    gateway_audit_head.insert().values(id=1, seq=last["seq"], hash=last["hash"])
                )
        self.written += len(rows)

    def flush(self) -> None:
        """Wait until every queued entry is in the store."""
        self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


def verify(engine: Engine, *, page: int = 1000) -> Verification:
    """Recompute the chain; the first entry that does not fit is reported with the reason."""
    prev, expected, n = GENESIS, 1, 0
    cols = gateway_audit.c
    with engine.connect() as c:
        after = 0
        while True:
            rows = (
                c.execute(
                    select(gateway_audit).where(cols.seq > after).order_by(cols.seq).limit(page)
                )
                .mappings()
                .all()
            )
            if not rows:
                break
            for r in rows:
                seq = int(r["seq"])
                bad = _check_row(dict(r), prev, expected)
                if bad:
                    return Verification(False, n, prev, seq, bad)
                prev, expected, n, after = str(r["hash"]), expected + 1, n + 1, seq
        head = c.execute(select(gateway_audit_head).where(gateway_audit_head.c.id == 1)).first()
    if n == 0 and head is None:
        return Verification(True, 0, GENESIS)
    if head is None or int(head.seq) != n or str(head.hash) != prev:
        where = n + 1 if head is not None and int(head.seq) > n else max(n, 1)
        return Verification(
            False,
            n,
            prev,
            where,
            "the head record does not match the last entry: entries at the end were deleted "
            "or the head was edited",
        )
    return Verification(True, n, prev)


def _check_row(r: Mapping[str, Any], prev: str, expected: int) -> str:
    seq = int(r["seq"])
    if seq != expected:
        return f"expected entry {expected} here, found {seq}: entries were deleted or renumbered"
    if r["prev_hash"] != prev:
        return "its previous-hash link does not match the entry before it (deleted or reordered)"
    if chain_hash(prev, str(r["entry"])) != r["hash"]:
        return "its hash does not match its content (the entry was edited)"
    try:
        entry = json.loads(r["entry"])
    except json.JSONDecodeError:
        return "its content is not JSON (the entry was edited)"
    if (
        entry.get("seq") != seq
        or entry.get("ts") != r["ts"]
        or entry.get("key_id") != r["key_id"]
        or str(entry.get("action", "")) != r["action"]
    ):
        return "its columns differ from its hashed content (the entry was edited or moved)"
    return ""


__all__ = ["GENESIS", "AuditLog", "Verification", "canonical", "chain_hash", "verify"]
