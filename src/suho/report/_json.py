"""The JSON report, written as a stream so a 100,000-attempt run never sits in memory.

Attempts are written by ``attempt_texts``: scalar fields are encoded once, while the columns the
store already holds as JSON text (taxonomy tags, conversation turns, verdict evidence) are copied
into the output as they are, never decoded and encoded again. Redacted reports go through the
attempt views instead, since redaction rewrites those fields.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import Text, cast, select

from suho.report._data import iter_attempts, summary
from suho.report._pagedata import CHUNK, PARALLEL_ABOVE, fork_pool, seq_halves
from suho.report._redact import redact_attempt
from suho.store import ORIGINAL_PROMPT, Store, attempts

# attempt_view's keys, in order, for the scalar columns (the JSON ones are appended).
_SCALARS = (
    ("id", "id"), ("seq", "seq"), ("probe_id", "probe_id"), ("intent_id", "intent_id"),
    ("lang", "lang"), ("category", "category"), ("expected", "expected"),
    ("variant", "variant"), ("transform", "transform"), ("attack", "attack"),
    ("repeat", "repeat"), ("status", "status"), ("error", "error_kind"),
    ("error_detail", "error_detail"), ("tries", "tries"), ("original_prompt", "original_prompt"),
    ("prompt", "prompt"), ("response", "response"), ("outcome", "outcome"),
    ("success", "success"), ("decided_by", "decided_by"), ("latency_ms", "latency_ms"),
    ("prompt_tokens", "prompt_tokens"), ("completion_tokens", "completion_tokens"),
    ("attacker_calls", "attacker_calls"), ("judge_calls", "judge_calls"),
)  # fmt: skip


def _raw(text: str | None) -> str:
    """A stored JSON value, as text (SQL NULL and JSON null both become ``null``)."""
    return text if text else "null"


def attempt_texts(store: Store, run_id: str, seqs: tuple[int, int] | None = None) -> Iterator[str]:
    """Each attempt of the run (``seqs``: only ``lo <= seq < hi``) as one JSON object text, in
    plan order (``attempt_view`` shape)."""
    a = attempts.c
    where = [a.run_id == run_id]
    if seqs is not None:
        where += [a.seq >= seqs[0], a.seq < seqs[1]]
    q = (
        select(
            *(
                ORIGINAL_PROMPT.label(col) if col == "original_prompt" else getattr(a, col)
                for _key, col in _SCALARS
            ),
            cast(a.turns, Text),
            cast(a.tags, Text),
            cast(a.events, Text),
        )
        .where(*where)
        .order_by(a.seq)
    )
    keys = [key for key, _col in _SCALARS]
    at_seq = keys.index("seq")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    # A verdict's text around its score and evidence depends only on a few repeated values:
    # build each variant once instead of encoding five fields per verdict.
    frames: dict[tuple[Any, ...], tuple[str, str]] = {}
    for rows in store.iter_chunks(q, CHUNK):
        found: dict[str, list[str]] = {}
        for aid, det, hit, score, stage, label, kind, evidence in store.verdict_rows(
            run_id, (rows[0][at_seq], rows[-1][at_seq] + 1), evidence=True
        ):
            key = (det, bool(hit), label, stage, kind)
            frame = frames.get(key)
            if frame is None:
                frame = frames[key] = (
                    f'{dumps(det)}: {{"hit": {"true" if hit else "false"}, "score": ',
                    f', "label": {dumps(label)}, "stage": {dumps(stage)}, "kind": {dumps(kind)}, '
                    '"evidence": ',
                )
            found.setdefault(aid, []).append(
                f"{frame[0]}{float(score)!r}{frame[1]}{_raw(evidence)}}}"
            )
        for r in rows:
            scalars: dict[str, Any] = dict(zip(keys, r[:-3], strict=True))
            if scalars["success"] is not None:
                scalars["success"] = bool(scalars["success"])
            head = dumps(scalars)
            events = r[-1] if r[-1] and r[-1] != "null" else "[]"
            yield (
                f'{head[:-1]}, "turns": {_raw(r[-3])}, "tags": {_raw(r[-2])}, '
                f'"verdicts": {{{", ".join(found.get(r[0], ()))}}}, "events": {events}}}'
            )


def _part_to_file(url: str, run_id: str, seqs: tuple[int, int], path: str) -> int:
    """Write one part's attempts (comma-separated objects) to ``path``; worker-process side."""
    store = Store.open(url, migrate=False)
    n = 0
    try:
        with open(path, "w", encoding="utf-8") as f:
            for text in attempt_texts(store, run_id, seqs):
                f.write(",\n  " if n else "\n  ")
                f.write(text)
                n += 1
    finally:
        store.close()
    return n


def write_json(
    store: Store,
    run_id: str,
    out: TextIO,
    *,
    redact: bool = False,
    parallel: bool | None = None,
    summary_data: dict[str, Any] | None = None,
) -> None:
    """Write ``{...summary, "attempts": [...]}`` to ``out``, one attempt at a time.

    ``redact``: responses (and anything quoting them) become a SHA-256 and a short prefix.
    ``parallel``: None lets runs above ``PARALLEL_ABOVE`` attempts be encoded by two worker
    processes, each writing half of the attempts to a temporary file that is then streamed into
    ``out`` (memory stays flat either way).
    ``summary_data``: the run's ``summary``, when the caller already has it.
    """
    rid = store.resolve_run_id(run_id)
    n = store.totals(rid).attempts
    use = not redact and (n > PARALLEL_ABOVE if parallel is None else parallel)
    pool = fork_pool(2) if use else None
    if pool is None:
        _write_head(store, rid, out, redact, summary_data)
        items: Iterator[str] = (
            (json.dumps(redact_attempt(a), ensure_ascii=False) for a in iter_attempts(store, rid))
            if redact
            else attempt_texts(store, rid)
        )
        first = True
        for text in items:
            out.write("\n  " if first else ",\n  ")
            out.write(text)
            first = False
        out.write("\n ]\n}\n")
        return
    with pool, tempfile.TemporaryDirectory(prefix="suho-json-") as tmp:
        paths = [os.path.join(tmp, "a.part"), os.path.join(tmp, "b.part")]
        jobs = [
            pool.submit(_part_to_file, store.url, rid, seqs, path)
            for seqs, path in zip(seq_halves(store, rid), paths, strict=True)
        ]
        _write_head(store, rid, out, redact, summary_data)
        written = 0
        for job, path in zip(jobs, paths, strict=True):
            count = job.result()
            if count:
                with open(path, encoding="utf-8") as f:
                    if written:
                        out.write(",")
                    shutil.copyfileobj(f, out, 1 << 20)
                written += count
        out.write("\n ]\n}\n")


def _write_head(
    store: Store, rid: str, out: TextIO, redact: bool, given: dict[str, Any] | None
) -> None:
    head = dict(given) if given is not None else summary(store, rid)
    if redact:
        head["redacted"] = True
    body = json.dumps(head, ensure_ascii=False, indent=1)
    out.write(body[:-2] if body.endswith("\n}") else body[:-1])
    out.write(',\n "attempts": [')
