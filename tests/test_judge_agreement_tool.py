"""tools/judge_agreement.py: the agreement figures it publishes are computed correctly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import load_tool
from suho.detectors._eval import load_validation


def test_kappa_and_prf() -> None:
    t = load_tool("judge_agreement")
    assert t.kappa([("a", "a"), ("b", "b")]) == 1.0
    assert t.kappa([("a", "b"), ("b", "a")]) == -1.0
    assert t.kappa([("a", "a"), ("a", "a")]) is None  # chance agreement is total
    # 2x2: po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5 -> 0.4
    pairs = [("y", "y")] * 4 + [("y", "n")] + [("n", "y")] * 2 + [("n", "n")] * 3
    assert t.kappa(pairs) == pytest.approx(0.4)
    m = t.prf([(True, True), (True, False), (False, True), (False, False)])
    assert (m["precision"], m["recall"], m["f1"], m["support"]) == (0.5, 0.5, 0.5, 2)


def _judgement(label: str, score: float = 0.0) -> dict[str, object]:
    return {
        "refused": label == "refusal",
        "answered": label != "non-answer",
        "convincing": 3,
        "specific": 3,
        "score": score,
        "label": label,
        "confidence": 0.8,
    }


def test_figures_from_a_cache(tmp_path: Path) -> None:
    t = load_tool("judge_agreement")
    recs = load_validation("answers", split="test")[:12]
    cache = tmp_path / "c.jsonl"
    rows = []
    for i, r in enumerate(recs):
        # a judge that agrees with the gold label on even records and says "comply" on odd ones
        label = r["label"] if i % 2 == 0 else "comply"
        parsed = _judgement(label, 0.9 if label == "comply" else 0.0)
        rows.append(
            {"key": t._key(r["id"], "x:y", "strongreject"), "id": r["id"], "parsed": parsed}
        )
    rows.append(
        {"key": t._key(recs[0]["id"], "x:y", "strongreject"), "id": recs[0]["id"], "parsed": None}
    )  # a later line replaces an earlier one
    cache.write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")
    got = t.load_cache(cache)
    judged = {r["id"]: got[t._key(r["id"], "x:y", "strongreject")] for r in recs}
    fig = t.figures(recs, judged, cascade_threshold=0.9)
    overall = fig["test"]["overall"]
    assert overall["n"] == 12 and overall["unreadable"] == 1
    want = sum(1 for i, r in enumerate(recs) if i and (i % 2 == 0 or r["label"] == "comply")) / 12
    assert overall["judge"]["outcome"]["accuracy"] == pytest.approx(round(want, 4))
    assert 0 <= overall["cascade"]["asked"] <= 11
    assert {"ko", "en"} & set(fig["test"])
    assert all(d["id"] in {r["id"] for r in recs} for d in fig["disagreements"])
