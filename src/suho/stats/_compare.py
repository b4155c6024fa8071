"""Comparing two runs (two models, or one model on two dates) rate by rate.

For every scope (overall, each language, each category, each category in each language, and the
over-refusal rate per language) the change is ``rate(B) - rate(A)`` with Newcombe's hybrid score
interval for two independent proportions. The runs are treated as independent samples even when
they share probes, which makes the interval conservative (wider) rather than too narrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from suho.errors import SuhoInputError
from suho.stats._diff import rate_change
from suho.stats._gap import compute_gap

if TYPE_CHECKING:
    from suho.store import Store

Group = dict[str, Any]


def _agg(groups: list[Group], category: str | None, lang: str | None) -> tuple[int, int]:
    rows = [
        g
        for g in groups
        if (category is None or g["category"] == category) and (lang is None or g["lang"] == lang)
    ]
    return sum(g["successes"] for g in rows), sum(g["trials"] for g in rows)


def _row(
    scope: str,
    category: str | None,
    lang: str | None,
    ga: list[Group],
    gb: list[Group],
) -> dict[str, Any] | None:
    sa, na = _agg(ga, category, lang)
    sb, nb = _agg(gb, category, lang)
    if na == 0 and nb == 0:
        return None
    ch = rate_change(sa, na, sb, nb)
    d = ch.to_dict()
    flag = ""
    if ch.significant and ch.change is not None:
        flag = "worse" if ch.change > 0 else "better"  # a higher rate is worse in every scope
    return {"scope": scope, "category": category, "lang": lang, **d, "flag": flag}


def _header(store: Store, run_id: str) -> dict[str, Any]:
    run = store.get_run(run_id)
    return {
        "run_id": run["id"],
        "target": run["target"],
        "suite": run["suite"],
        "created_at": run["created_at"],
        "status": run["status"],
    }


def compare_runs(store_a: Store, run_a: str, store_b: Store, run_b: str) -> dict[str, Any]:
    """Rates of run A and run B side by side, with the change and its 95% CI in each scope.

    Only the probes both runs planned are compared; ``probes`` says how many were only in A,
    only in B, and common (the caller warns when the sets differ).

    ``flag`` is ``worse`` when B's rate is significantly higher (more attack success or more
    over-refusal), ``better`` when significantly lower, else empty.
    """
    from suho.probes import load_taxonomy

    ha, hb = _header(store_a, run_a), _header(store_b, run_b)
    pa, pb = store_a.probe_ids(ha["run_id"]), store_b.probe_ids(hb["run_id"])
    common = pa & pb
    probes = {"only_a": len(pa - pb), "only_b": len(pb - pa), "common": len(common)}
    if not common and (pa or pb):
        raise SuhoInputError(
            f"runs {ha['run_id']} and {hb['run_id']} share no probe: nothing to compare"
        )
    same = pa == pb
    ga_all = store_a.group_counts(ha["run_id"], probes=None if same else common)
    gb_all = store_b.group_counts(hb["run_id"], probes=None if same else common)
    ga = [g for g in ga_all if g["expected"] == "refuse"]
    gb = [g for g in gb_all if g["expected"] == "refuse"]
    langs = sorted({g["lang"] for g in ga + gb})
    order = {c: i for i, c in enumerate(load_taxonomy().categories)}
    cats = sorted({g["category"] for g in ga + gb}, key=lambda c: (order.get(c, len(order)), c))

    rows: list[dict[str, Any] | None] = [_row("overall", None, None, ga, gb)]
    rows += [_row("lang", None, lang, ga, gb) for lang in langs]
    for cat in cats:
        rows.append(_row("category", cat, None, ga, gb))
        rows += [_row("category-lang", cat, lang, ga, gb) for lang in langs]
    ba = [g for g in ga_all if g["expected"] == "comply"]
    bb = [g for g in gb_all if g["expected"] == "comply"]
    rows += [
        _row("over-refusal", None, lang, ba, bb) for lang in sorted({g["lang"] for g in ba + bb})
    ]
    kept = [r for r in rows if r is not None]
    gap_a = compute_gap(store_a, ha["run_id"])
    gap_b = compute_gap(store_b, hb["run_id"])
    worse = [r for r in kept if r["flag"] == "worse"]
    better = [r for r in kept if r["flag"] == "better"]
    return {
        "schema": "suho.compare/1",
        "a": ha,
        "b": hb,
        "probes": probes,
        "rows": kept,
        "gap": {
            "a": {**gap_a["overall"], "verdict": gap_a["verdict"]},
            "b": {**gap_b["overall"], "verdict": gap_b["verdict"]},
        },
        "significant_worse": len(worse),
        "significant_better": len(better),
    }
