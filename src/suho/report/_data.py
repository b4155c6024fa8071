"""What every report format shows: the run's header, totals, rates and attempts.

Attempts are streamed from the store; only the summary is held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from suho.detectors._measured import measured_accuracy
from suho.report._views import probes_by_lang
from suho.stats import MultiTurnTally, compute_gap, wilson
from suho.store import Store


def _rate(successes: int, trials: int) -> dict[str, Any]:
    return wilson(successes, trials).to_dict()


def summary(store: Store, run_id: str) -> dict[str, Any]:
    """Run header, totals, headline rates and findings (everything but the attempts)."""
    run = store.get_run(run_id)
    rid = run["id"]
    totals = store.totals(rid)
    groups = store.group_counts(rid)

    def agg(rows: list[dict[str, Any]]) -> tuple[int, int]:
        return sum(r["successes"] for r in rows), sum(r["trials"] for r in rows)

    harmful = [g for g in groups if g["expected"] == "refuse"]
    benign = [g for g in groups if g["expected"] == "comply"]
    langs = sorted({g["lang"] for g in groups})
    by_lang = {lang: _rate(*agg([g for g in harmful if g["lang"] == lang])) for lang in langs}
    over_by_lang = {lang: _rate(*agg([g for g in benign if g["lang"] == lang])) for lang in langs}
    by_transform = {
        t: _rate(*agg([g for g in harmful if g["transform"] == t]))
        for t in sorted({g["transform"] for g in harmful})
    }
    by_category = {
        c: _rate(*agg([g for g in harmful if g["category"] == c]))
        for c in sorted({g["category"] for g in harmful})
    }
    by_attack = {
        a: _rate(*agg([g for g in harmful if g["attack"] == a]))
        for a in sorted({g["attack"] for g in harmful})
    }
    by_attack_lang = {
        a: {
            lang: _rate(*agg([g for g in harmful if g["attack"] == a and g["lang"] == lang]))
            for lang in sorted({g["lang"] for g in harmful if g["attack"] == a})
        }
        for a in by_attack
    }
    by_attack_category = {
        a: {
            c: _rate(*agg([g for g in harmful if g["attack"] == a and g["category"] == c]))
            for c in sorted({g["category"] for g in harmful if g["attack"] == a})
        }
        for a in by_attack
    }
    config = dict(run["config"])
    agent: dict[str, Any] = {}
    if config.get("environment") == "agents":
        from suho.agents import agent_section

        agent = {"agent": agent_section(store, rid)}
    cyber: dict[str, Any] = {}
    if config.get("environment") == "cyber":
        from suho.cyber import cyber_store_section

        cyber = {"cyber": cyber_store_section(store, rid)}
    head: dict[str, Any] = {
        "schema": "suho.report/1",
        "run_id": rid,
        "status": run["status"],
        "created_at": run["created_at"],
        "finished_at": run["finished_at"],
        "suho_version": run["suho_version"],
        "target": run["target"],
        "suite": run["suite"],
        "seed": run["seed"],
        "config": config,
        "note": run["note"],
        "totals": totals.to_dict(),
        "rates": {
            "attack_success": _rate(*agg(harmful)),
            "attack_success_by_lang": by_lang,
            "attack_success_by_transform": by_transform,
            "attack_success_by_category": by_category,
            "attack_success_by_attack": by_attack,
            "attack_success_by_attack_lang": by_attack_lang,
            "attack_success_by_attack_category": by_attack_category,
            "over_refusal": _rate(*agg(benign)),
            "over_refusal_by_lang": {k: v for k, v in over_by_lang.items() if v["trials"]},
        },
        "verdict_stages": store.verdict_stage_counts(rid),
        "outcomes": store.outcome_counts(rid),
        "detector_accuracy": measured_accuracy(config.get("detectors") or []),
        "gap": compute_gap(store, rid),
        "not_applicable": _not_applicable(config, store, rid),
        "findings": [
            {k: v for k, v in f.items() if k not in ("id", "run_id")}
            for f in store.get_findings(rid)
        ],
        **agent,
        **cyber,
    }
    if any(a not in ("single", "agent", "cyber") for a in config.get("attacks") or ()):
        head["multi_turn"] = multi_turn(store, rid)
    return head


def multi_turn(store: Store, run_id: str) -> dict[str, Any]:
    """Per conversation attack: queries to success (median, distribution) and per role."""
    tally = MultiTurnTally()
    for row in store.iter_attempts(run_id):
        if row["attack"] != "single" and row["status"] != "pending":
            tally.add(row)
    return tally.to_dict()


def attempt_view(row: dict[str, Any]) -> dict[str, Any]:
    """One attempt as reports show it (the JSON report's ``attempts`` items)."""
    return {
        "id": row["id"],
        "seq": row["seq"],
        "probe_id": row["probe_id"],
        "intent_id": row["intent_id"],
        "lang": row["lang"],
        "category": row["category"],
        "expected": row["expected"],
        "variant": row["variant"],
        "transform": row["transform"],
        "attack": row["attack"],
        "repeat": row["repeat"],
        "status": row["status"],
        "error": row["error_kind"],
        "error_detail": row["error_detail"],
        "tries": row["tries"],
        "original_prompt": row["original_prompt"],
        "prompt": row["prompt"],
        "response": row["response"],
        "turns": row["turns"],
        "outcome": row["outcome"],
        "success": row["success"],
        "decided_by": row["decided_by"],
        "latency_ms": row["latency_ms"],
        "prompt_tokens": row["prompt_tokens"],
        "completion_tokens": row["completion_tokens"],
        "attacker_calls": row.get("attacker_calls"),
        "judge_calls": row.get("judge_calls"),
        "tags": row["tags"],
        "verdicts": {
            name: {
                "hit": v["hit"],
                "score": v["score"],
                "label": v["label"],
                "stage": v["stage"],
                "kind": v["kind"],
                "evidence": v["evidence"],
            }
            for name, v in row["verdicts"].items()
        },
        "events": row.get("events") or [],
    }


def iter_attempts(store: Store, run_id: str) -> Iterator[dict[str, Any]]:
    rid = store.resolve_run_id(run_id)
    for row in store.iter_attempts(rid):
        yield attempt_view(row)


def _not_applicable(config: dict[str, Any], store: Store, rid: str) -> dict[str, Any]:
    """Attempts the plan skipped because a transform does not apply to a probe's language
    (a Korean-only transform on an English probe): ``{"total", "by_transform"}``."""
    from suho.engine import RunConfig, not_applicable_counts
    from suho.errors import SuhoError

    try:
        cfg = RunConfig.model_validate(config)
        counts = not_applicable_counts(cfg, probes_by_lang(store, rid))
    except (ValueError, SuhoError):  # a run from another version, a transform gone: say nothing
        counts = {}
    return {"total": sum(counts.values()), "by_transform": counts}
