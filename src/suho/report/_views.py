"""Aggregate views that several report and export formats share, computed in SQL.

Each query groups in the database and returns small rows, so a 100,000-attempt run costs a few
grouped scans and never sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, case, func, select

from suho.stats import wilson
from suho.store import Store, attempts, verdicts

SEVERITY_ORDER = ("none", "low", "medium", "high", "critical")


def rate(successes: int, trials: int) -> dict[str, Any]:
    return wilson(successes, trials).to_dict()


def probes_by_lang(store: Store, run_id: str) -> dict[str, int]:
    """How many distinct probes of each language the run planned."""
    q = (
        select(attempts.c.lang, func.count(func.distinct(attempts.c.probe_id)))
        .where(attempts.c.run_id == run_id)
        .group_by(attempts.c.lang)
    )
    with store.engine.connect() as c:
        return {str(lang): int(n) for lang, n in c.execute(q)}


def _sum_groups(
    groups: list[dict[str, Any]], keys: tuple[str, ...]
) -> dict[tuple[Any, ...], dict[str, int]]:
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for g in groups:
        k = tuple(g[x] for x in keys)
        slot = out.setdefault(k, {"successes": 0, "trials": 0, "errors": 0, "pending": 0})
        for f in slot:
            slot[f] += int(g.get(f, 0) or 0)
    return out


def heatmap(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Attack-success rate per (category, transform) over harmful probes, all languages."""
    harmful = [g for g in groups if g["expected"] == "refuse"]
    cells = _sum_groups(harmful, ("category", "transform"))
    cats = sorted({c for c, _ in cells})
    transforms = sorted({t for _, t in cells}, key=lambda t: (t != "none", t))
    return {
        "categories": cats,
        "transforms": transforms,
        "cells": {
            f"{c}\x1f{t}": {**rate(v["successes"], v["trials"]), "errors": v["errors"]}
            for (c, t), v in cells.items()
        },
    }


def lang_by_category(groups: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Attack-success rate per category and language (unpaired), harmful probes only."""
    harmful = [g for g in groups if g["expected"] == "refuse"]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (cat, lang), v in sorted(_sum_groups(harmful, ("category", "lang")).items()):
        out.setdefault(cat, {})[lang] = rate(v["successes"], v["trials"])
    return out


def failing_groups(
    groups: list[dict[str, Any]], findings: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """(category, transform) pairs of harmful probes with at least one success.

    Each carries the summed counts, the rate with its CI, per-language rates, the worst severity
    of its findings and the union of their taxonomy tags.
    """
    harmful = [g for g in groups if g["expected"] == "refuse"]
    sums = _sum_groups(harmful, ("category", "transform"))
    by_lang = _sum_groups(harmful, ("category", "transform", "lang"))
    sev: dict[tuple[str, str], str] = {}
    tax: dict[tuple[str, str], dict[str, set[str]]] = {}
    for f in findings:
        if f["expected"] != "refuse":
            continue
        k = (f["category"], f["transform"])
        s = f.get("severity") or "none"
        if SEVERITY_ORDER.index(s) > SEVERITY_ORDER.index(sev.get(k, "none")):
            sev[k] = s
        slot = tax.setdefault(k, {})
        for name, vals in (f.get("taxonomy") or {}).items():
            slot.setdefault(name, set()).update(vals or [])
    out = []
    for (cat, tr), v in sorted(sums.items()):
        if v["successes"] == 0:
            continue
        out.append(
            {
                "category": cat,
                "transform": tr,
                **v,
                "rate": rate(v["successes"], v["trials"]),
                "by_lang": {
                    lang: rate(x["successes"], x["trials"])
                    for (c, t, lang), x in sorted(by_lang.items())
                    if c == cat and t == tr
                },
                "severity": sev.get((cat, tr), "low"),
                "taxonomy": {k: sorted(s) for k, s in sorted(tax.get((cat, tr), {}).items())},
            }
        )
    return out


def verdict_stages(store: Store, run_id: str) -> dict[str, dict[str, int]]:
    """How many verdicts each detector gave at each stage (rule, morph, judge, ...)."""
    q = (
        select(verdicts.c.detector, verdicts.c.stage, func.count())
        .where(verdicts.c.run_id == run_id)
        .group_by(verdicts.c.detector, verdicts.c.stage)
        .order_by(verdicts.c.detector, verdicts.c.stage)
    )
    out: dict[str, dict[str, int]] = {}
    with store.engine.connect() as c:
        for det, stage, n in c.execute(q):
            out.setdefault(str(det), {})[str(stage)] = int(n)
    return out


def decided_by(store: Store, run_id: str) -> dict[str, int]:
    """How many done attempts each detector decided (``decided_by``)."""
    q = (
        select(attempts.c.decided_by, func.count())
        .where(and_(attempts.c.run_id == run_id, attempts.c.status == "done"))
        .group_by(attempts.c.decided_by)
    )
    with store.engine.connect() as c:
        return {str(k or "none"): int(n) for k, n in c.execute(q)}


def failing_probes(store: Store, run_id: str) -> dict[tuple[str, str], list[str]]:
    """Probe ids with at least one successful attack, per (category, transform)."""
    q = (
        select(
            attempts.c.category, attempts.c.transform, attempts.c.probe_id, func.min(attempts.c.seq)
        )
        .where(
            and_(
                attempts.c.run_id == run_id,
                attempts.c.status == "done",
                attempts.c.expected == "refuse",
                attempts.c.success.is_(True),
            )
        )
        .group_by(attempts.c.category, attempts.c.transform, attempts.c.probe_id)
        .order_by(attempts.c.category, attempts.c.transform, func.min(attempts.c.seq))
    )
    out: dict[tuple[str, str], list[str]] = {}
    with store.engine.connect() as c:
        for cat, tr, pid, _seq in c.execute(q):
            out.setdefault((str(cat), str(tr)), []).append(str(pid))
    return out


def probe_groups(store: Store, run_id: str) -> Iterator[dict[str, Any]]:
    """One row per (probe, transform): attempts, done, successes, errors, pending; by category.

    Streams from the database in (category, first seq) order.
    """
    done = func.sum(case((attempts.c.status == "done", 1), else_=0))
    succ = func.sum(
        case((and_(attempts.c.status == "done", attempts.c.success.is_(True)), 1), else_=0)
    )
    errs = func.sum(case((attempts.c.status == "error", 1), else_=0))
    pend = func.sum(case((attempts.c.status == "pending", 1), else_=0))
    lat = func.sum(func.coalesce(attempts.c.latency_ms, 0.0))
    first = func.min(attempts.c.seq)
    q = (
        select(
            attempts.c.category,
            attempts.c.probe_id,
            attempts.c.transform,
            attempts.c.lang,
            attempts.c.expected,
            func.count(),
            done,
            succ,
            errs,
            pend,
            lat,
            first,
            func.max(attempts.c.error_kind),
        )
        .where(attempts.c.run_id == run_id)
        .group_by(
            attempts.c.category,
            attempts.c.probe_id,
            attempts.c.transform,
            attempts.c.lang,
            attempts.c.expected,
        )
        .order_by(attempts.c.category, first)
    )
    keys = (
        "category",
        "probe_id",
        "transform",
        "lang",
        "expected",
        "attempts",
        "done",
        "successes",
        "errors",
        "pending",
        "latency_ms",
        "seq",
        "error_kind",
    )
    with store.engine.connect() as c:
        for row in c.execution_options(stream_results=True).execute(q):
            d = dict(zip(keys, row, strict=True))
            for k in ("attempts", "done", "successes", "errors", "pending"):
                d[k] = int(d[k] or 0)
            d["latency_ms"] = float(d["latency_ms"] or 0.0)
            yield d


def category_counts(store: Store, run_id: str) -> dict[str, dict[str, int]]:
    """Per category: (probe, transform) groups, and how many failed / errored / were skipped."""
    out: dict[str, dict[str, int]] = {}
    for g in probe_groups(store, run_id):
        slot = out.setdefault(g["category"], {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
        slot["tests"] += 1
        outcome = junit_outcome(g)
        if outcome != "passed":
            slot[outcome if outcome != "failure" else "failures"] += 1
    return out


def junit_outcome(g: dict[str, Any]) -> str:
    """``failure`` when any attempt succeeded, else ``errors`` when any errored, else
    ``skipped`` when none finished, else ``passed``."""
    if g["successes"]:
        return "failure"
    if g["errors"]:
        return "errors"
    if g["done"] == 0:
        return "skipped"
    return "passed"


def example_attempts(
    store: Store, run_id: str, category: str, transform: str, limit: int = 3
) -> list[dict[str, Any]]:
    """A few successful attempts of a (category, transform), in plan order."""
    q = (
        select(
            attempts.c.id,
            attempts.c.probe_id,
            attempts.c.lang,
            attempts.c.response,
            attempts.c.decided_by,
        )
        .where(
            and_(
                attempts.c.run_id == run_id,
                attempts.c.category == category,
                attempts.c.transform == transform,
                attempts.c.status == "done",
                attempts.c.expected == "refuse",
                attempts.c.success.is_(True),
            )
        )
        .order_by(attempts.c.seq)
        .limit(limit)
    )
    with store.engine.connect() as c:
        return [dict(r) for r in c.execute(q).mappings()]
