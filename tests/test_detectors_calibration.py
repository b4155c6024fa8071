"""Calibrated refusal scores: the shipped map is what the tool fits, and it is a probability."""

from __future__ import annotations

import json
import random
from itertools import pairwise
from pathlib import Path

import pytest

from conftest import load_tool
from suho.detectors._base import DetectInput
from suho.detectors._calibration import Platt, ece, fit_platt, load_calibration, logit
from suho.detectors._eval import load_validation, refusal_input
from suho.detectors._refusal import RefusalDetector

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_parameters_are_what_the_tool_fits() -> None:
    shipped = json.loads(
        (ROOT / "src/suho/data/calibration/refusal.json").read_text(encoding="utf-8")
    )
    assert shipped == json.loads(json.dumps(load_tool("calibrate_refusal").build()))
    assert shipped["fit"]["split"] == "dev"


def test_maps_are_increasing_probabilities() -> None:
    cal = load_calibration("refusal")
    assert {"all", "ko", "en"} <= set(cal.maps)
    grid = [i / 200 for i in range(201)]
    for lang in [*cal.maps, "mixed", ""]:
        ps = [cal.probability(r, lang) for r in grid]
        assert all(0.0 <= p <= 1.0 for p in ps)
        assert all(b >= a for a, b in pairwise(ps)), lang
        assert ps[-1] > ps[0]


def test_detector_scores_are_calibrated_and_verdicts_unchanged() -> None:
    cal_det, raw_det = RefusalDetector(), RefusalDetector(calibrated=False)
    cal = load_calibration("refusal")
    for rec in load_validation("answers") + load_validation("refusal", split="dev"):
        item = refusal_input(rec)
        v, r = cal_det.check(item), raw_det.check(item)
        assert (v.hit, v.label, v.stage) == (r.hit, r.label, r.stage)
        assert 0.0 <= v.score <= 1.0
        assert v.evidence["raw_score"] == pytest.approx(r.score, abs=1e-4)
        assert v.score == pytest.approx(cal.probability(r.score, item.lang))
        assert "raw_score" not in r.evidence


def test_unknown_language_uses_the_pooled_map() -> None:
    cal = load_calibration("refusal")
    det = RefusalDetector()
    v = det.check(DetectInput(text="I can't help with that.", lang="ja"))
    assert v.score == pytest.approx(cal.maps["all"](v.evidence["raw_score"]))


def test_fit_platt_recovers_a_known_map() -> None:
    rng = random.Random(5)
    true = Platt(2.0, -1.0)
    raw = [rng.uniform(0.02, 0.98) for _ in range(4000)]
    truth = [rng.random() < true(r) for r in raw]
    got = fit_platt(raw, truth, strength=0.01)
    assert got.a == pytest.approx(2.0, abs=0.2) and got.b == pytest.approx(-1.0, abs=0.2)
    # a strong prior keeps the prior
    held = fit_platt(raw[:20], truth[:20], prior=Platt(1.0, 0.0), strength=1e6)
    assert held.a == pytest.approx(1.0, abs=1e-3) and held.b == pytest.approx(0.0, abs=1e-3)
    # never decreasing, even on reversed data
    rev = fit_platt(raw, [not t for t in truth])
    assert rev.a > 0


def test_ece() -> None:
    assert ece([], []) == 0.0
    assert ece([1.0, 0.0], [True, False]) == 0.0
    assert ece([0.9] * 10, [True] * 9 + [False]) == pytest.approx(0.0)
    assert ece([0.9] * 10, [False] * 10) == pytest.approx(0.9)
    assert ece([0.05, 0.95], [True, False]) == pytest.approx(0.95)
    assert logit(0.0) == pytest.approx(-logit(1.0))


def test_eval_reports_reliability_as_the_calibration_file_does() -> None:
    from suho.detectors._eval import evaluate

    shipped = load_calibration("refusal").meta["reliability"]["test"]
    rel = evaluate("refusal", dataset="answers", split="test").to_dict()["reliability"]
    assert set(rel) == set(shipped)
    for lang, r in rel.items():
        assert r["n"] == shipped[lang]["n"] and r["refusals"] == shipped[lang]["refusals"]
        assert r["ece"] == pytest.approx(shipped[lang]["ece_calibrated"], abs=1e-3)
        assert r["ece_raw"] == pytest.approx(shipped[lang]["ece_raw"], abs=1e-3)
    # a detector whose score is not P(refusal) (the judge's is P(harm)) gets no such figures
    assert "reliability" not in evaluate("pii-kr").to_dict()
