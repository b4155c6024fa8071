"""The report page's data element: every attempt of a run, compact and quick to build.

Shape (JSON; gzip + base64 inside the page for large runs)::

    {"fields": [...ROW_FIELDS], "chunks": [CHUNK, ...], "dict": {"probe": [...], ...}}

A chunk holds up to ``CHUNK`` consecutive attempts *by column*: ``CHUNK[k]`` is the list of
field ``ROW_FIELDS[k]`` for those attempts, except ``verdicts``, which is itself columnar:
``[row_index, detector, hit, score, stage, label]`` lists over the chunk's verdicts. The page
turns chunks back into rows (``report.js``). Columns are built with list comprehensions and
encoded by the C JSON encoder, so no Python code runs per attempt field; that is what keeps a
100,000-attempt report within its time budget.

Coded fields hold an index into ``dict[name]`` (-1: none). ``orig`` and ``prompt`` are null when
they repeat the previous attempt's text (plan order repeats them: every transform of a probe
shares its original prompt, every repeat its rendered prompt); ``tcut`` has bit 1 set when the
original prompt was cut, bit 2 when the rendered one was.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy import func, select

from suho.report._redact import redact_text
from suho.store import ORIGINAL_PROMPT, Store, attempts, verdicts

ROW_FIELDS = (
    "seq", "probe", "lang", "cat", "tr", "attack", "repeat", "status", "outcome", "success",
    "expected", "err", "edetail", "orig", "prompt", "response", "cut", "verdicts", "decided",
    "tcut", "turns",
)  # fmt: skip
# A conversation's turns in the page: at most this many, each as [role, content, turn, rating,
# flags ("b" backtracked, "p" pruned), branch]; contents capped like responses.
MAX_TURNS = 60
CHUNK = 5000
# Above this many attempts, reports are built by two worker processes (one per core).
PARALLEL_ABOVE = 20_000
EDETAIL_CAP = 300
_STATUS = {"pending": 0, "done": 1, "error": 2}

# Attempt columns coded through a dictionary, in first-appearance (plan) order.
_ATTEMPT_DICTS = {
    "probe": attempts.c.probe_id,
    "lang": attempts.c.lang,
    "cat": attempts.c.category,
    "tr": attempts.c.transform,
    "attack": attempts.c.attack,
    "outcome": attempts.c.outcome,
    "err": attempts.c.error_kind,
}
# Verdict columns coded through a dictionary, in sorted order.
_VERDICT_DICTS = {"stage": verdicts.c.stage, "label": verdicts.c.label}


def fork_pool(workers: int) -> ProcessPoolExecutor | None:
    """Worker processes by fork (nothing re-imported), where the platform has it and there is
    more than one core; None otherwise (callers then work in this process)."""
    if sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))


def seq_halves(store: Store, run_id: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """The run's ``seq`` range cut in two ``(lo, hi)`` halves, one per report worker."""
    lo, hi = store.seq_range(run_id)
    mid = (lo + hi) // 2
    return (lo, mid), (mid, hi)


def dictionaries(store: Store, run_id: str) -> dict[str, list[str]]:
    """The run's code dictionaries: attempt values in first-appearance (plan) order, verdict
    values and detectors sorted. Two grouped scans of covering indexes, whatever the run's size."""
    a, v = attempts.c, verdicts.c
    keys = [*_ATTEMPT_DICTS.values(), a.decided_by]
    first: dict[str, dict[str, int]] = {name: {} for name in _ATTEMPT_DICTS}
    dets: set[str] = set()
    vals: dict[str, set[str]] = {name: set() for name in _VERDICT_DICTS}
    with store.engine.connect() as c:
        for *row, decided, seq in c.execute(
            select(*keys, func.min(a.seq)).where(a.run_id == run_id).group_by(*keys)
        ):
            for slot, val in zip(first.values(), row, strict=True):
                if val is None:
                    continue
                old = slot.get(val)
                if old is None or seq < old:
                    slot[val] = seq
            if decided is not None:
                dets.add(str(decided))
        for det, stage, label in c.execute(
            select(v.detector, v.stage, v.label)
            .where(v.run_id == run_id)
            .group_by(v.detector, v.stage, v.label)
        ):
            dets.add(str(det))
            vals["stage"].add(str(stage))
            if label is not None:
                vals["label"].add(str(label))
    out = {
        name: [str(k) for k in sorted(slot, key=slot.__getitem__)] for name, slot in first.items()
    }
    out.update({name: sorted(vs) for name, vs in vals.items()})
    out["det"] = sorted(dets)
    return out


def iter_chunks(
    store: Store,
    run_id: str,
    dicts: dict[str, list[str]],
    *,
    cap: int,
    pcap: int,
    redact: bool,
    seqs: tuple[int, int] | None = None,
) -> Iterator[list[Any]]:
    """The run's attempts in plan order (``seqs``: only ``lo <= seq < hi``), ``CHUNK`` at a
    time, as columnar chunks."""
    code = {name: {val: i for i, val in enumerate(vals)} for name, vals in dicts.items()}
    a = attempts.c
    response = a.response if redact else func.substr(a.response, 1, cap + 1)
    where = [a.run_id == run_id]
    if seqs is not None:
        where += [a.seq >= seqs[0], a.seq < seqs[1]]
    q = (
        select(
            a.id,
            a.seq,
            a.probe_id,
            a.lang,
            a.category,
            a.transform,
            a.attack,
            a.repeat,
            a.status,
            a.outcome,
            a.success,
            a.expected,
            a.error_kind,
            func.substr(a.error_detail, 1, EDETAIL_CAP),
            func.substr(ORIGINAL_PROMPT, 1, pcap + 1),  # stored once when untransformed
            func.substr(a.prompt, 1, pcap + 1),
            response,
            a.decided_by,
            a.turns,
        )
        .where(*where)
        .order_by(a.seq)
    )
    last_orig: str | None = None
    last_prompt: str | None = None
    for rows in store.iter_chunks(q, CHUNK):
        (ids, seq, pid, lang, cat, tr, attack, rep, status, outcome, success, expected, err,
         edetail, orig, prompt, resp, decided, turns) = map(list, zip(*rows, strict=True))  # fmt: skip

        def coded(name: str, col: list[Any]) -> list[int]:
            m = code[name]
            return [-1 if x is None else m[x] for x in col]

        if redact:
            resp = [redact_text(x) for x in resp]
            edetail = [redact_text(x) if x else x for x in edetail]
            cut = [0] * len(resp)
        else:
            cut = [1 if x is not None and len(x) > cap else 0 for x in resp]
            resp = [x[:cap] if x is not None and len(x) > cap else x for x in resp]
        tcut = [(len(o) > pcap) + 2 * (len(p) > pcap) for o, p in zip(orig, prompt, strict=True)]
        orig_out = [
            None if o == b else o[:pcap] for o, b in zip(orig, [last_orig, *orig[:-1]], strict=True)
        ]
        prompt_out = [
            None if p == b else p[:pcap]
            for p, b in zip(prompt, [last_prompt, *prompt[:-1]], strict=True)
        ]
        last_orig, last_prompt = orig[-1], prompt[-1]
        vrows = store.verdict_rows(run_id, (seq[0], seq[-1] + 1))
        if vrows:
            row_of = {aid: i for i, aid in enumerate(ids)}
            vaid, vdet, vhit, vscore, vstage, vlabel = map(list, zip(*vrows, strict=True))
            vcols: list[list[Any]] = [
                [row_of[x] for x in vaid],
                coded("det", vdet),
                [1 if h else 0 for h in vhit],
                [round(s, 2) for s in vscore],
                coded("stage", vstage),
                coded("label", vlabel),
            ]
        else:
            vcols = [[], [], [], [], [], []]
        yield [
            seq, coded("probe", pid), coded("lang", lang), coded("cat", cat), coded("tr", tr),
            coded("attack", attack), rep, [_STATUS.get(s, 0) for s in status],
            coded("outcome", outcome), [-1 if s is None else (1 if s else 0) for s in success],
            [1 if e == "comply" else 0 for e in expected], coded("err", err),
            [x or None for x in edetail], orig_out, prompt_out, resp, cut, vcols,
            coded("det", decided), tcut, [page_turns(t, cap, redact) for t in turns],
        ]  # fmt: skip


def page_turns(turns: Any, cap: int, redact: bool) -> list[list[Any]] | None:
    """An attempt's ``turns`` as the page shows them (None for a single-turn attempt)."""
    if isinstance(turns, str):  # a JSON column read as text by some drivers
        turns = json.loads(turns)
    if not isinstance(turns, list) or not turns:
        return None
    out: list[list[Any]] = []
    for t in turns[:MAX_TURNS]:
        if not isinstance(t, dict):
            continue
        role = str(t.get("role", ""))
        content = str(t.get("content") or "")
        if redact and role == "assistant":
            content = redact_text(content) or ""
        elif len(content) > cap:
            content = content[:cap] + "…"
        flags = ("b" if t.get("backtracked") else "") + ("p" if t.get("pruned") else "")
        out.append([role, content, t.get("turn"), t.get("rating"), flags, t.get("branch")])
    return out


def iter_json(
    store: Store,
    run_id: str,
    *,
    cap: int,
    pcap: int,
    redact: bool,
    dicts: dict[str, list[str]] | None = None,
    seqs: tuple[int, int] | None = None,
) -> Iterator[str]:
    """A data element's JSON text, in pieces (``seqs``: one part of the run)."""
    dicts = dictionaries(store, run_id) if dicts is None else dicts
    yield '{"fields":' + json.dumps(list(ROW_FIELDS)) + ',"chunks":['
    first = True
    for chunk in iter_chunks(store, run_id, dicts, cap=cap, pcap=pcap, redact=redact, seqs=seqs):
        body = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
        yield body if first else "," + body
        first = False
    yield '],"dict":' + json.dumps(dicts, ensure_ascii=False, separators=(",", ":")) + "}"


def merge_parts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One data object from the page's data elements, in order (they share ``fields``/``dict``)."""
    out = dict(parts[0])
    out["chunks"] = [c for p in parts for c in p["chunks"]]
    return out


def decode_rows(data: dict[str, Any]) -> list[list[Any]]:
    """Rows back from a decoded data element, as the page builds them (for tests and tools):
    one list per attempt in ``ROW_FIELDS`` order, verdicts as ``[det, hit, score, stage,
    label]`` lists, and repeated prompts filled in."""
    fields = data["fields"]
    vi, oi, pi = fields.index("verdicts"), fields.index("orig"), fields.index("prompt")
    rows: list[list[Any]] = []
    orig = prompt = None
    for chunk in data["chunks"]:
        n = len(chunk[0])
        vs: list[list[list[Any]]] = [[] for _ in range(n)]
        for row, *rest in zip(*chunk[vi], strict=True):
            vs[row].append(rest)
        for i in range(n):
            r = [col[i] if k != vi else vs[i] for k, col in enumerate(chunk)]
            orig = r[oi] = orig if r[oi] is None else r[oi]
            prompt = r[pi] = prompt if r[pi] is None else r[pi]
            rows.append(r)
    return rows
