"""Leave-one-model-out figures: fitted on the other source models, measured on the held-out one."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from conftest import load_tool, prf, run_cli
from suho.detectors import DetectInput, Verdict
from suho.detectors._calibration import Platt, ece, fit_calibration, fit_platt, load_calibration
from suho.detectors._eval import eval_refusal, evaluate, load_validation
from suho.detectors._lomo import NEEDS_TWO, leave_one_model_out

SMALL, LARGE = "qwen2.5-0.5b", "qwen2.5-1.5b"


@lru_cache(maxsize=1)
def _answers() -> dict[str, Any]:
    return evaluate("refusal", dataset="answers").to_dict()


def test_shipped_answers_structure_and_held_out_counts() -> None:
    rep = _answers()
    lomo = rep["leave_one_model_out"]
    assert lomo["models"] == [SMALL, LARGE] and lomo["n"] == rep["n"] == 197
    assert "do not depend on the fit" in lomo["note"]
    recs = load_validation("answers")
    for model, m in lomo["by_model"].items():
        mine = [r for r in recs if r["source_model"] == model]
        assert m["fit_on"] == [x for x in (SMALL, LARGE) if x != model]
        assert m["n"] == len(mine) == m["cascade"]["n"] == m["reliability"]["all"]["n"]
        assert m["refusals"] == sum(r["label"] == "refusal" for r in recs if r in mine)
        assert m["fit_n"]["all"]["n"] == len(recs) - len(mine)
        # the rules' figures on this model's answers only: what the per-model report says
        assert m["rules"] == rep["by_model"][model]
        for lang, figures in m["rules_by_lang"].items():
            assert figures == rep["by_model_lang"][f"{model}/{lang}"]
        for lang in ("en", "ko"):
            assert m["reliability"][lang]["n"] == sum(r["lang"] == lang for r in mine)
        c = m["cascade"]
        assert c["kept"] + c["to_judge"] == c["n"]
        assert c["kept_right_refusal"] <= c["kept"]
        assert 0.0 < m["threshold"] <= 1.0
    per = list(lomo["by_model"].values())
    mac = lomo["macro"]
    assert mac["f1"] == pytest.approx(sum(m["rules"]["f1"] for m in per) / 2, abs=1e-4)
    for key in ("ece_raw", "ece_calibrated"):
        assert mac[key] == pytest.approx(
            sum(m["reliability"]["all"][key] for m in per) / 2, abs=1e-4
        )
    assert mac["to_judge_share"] == pytest.approx(
        sum(m["cascade"]["to_judge"] / m["n"] for m in per) / 2, abs=1e-4
    )


def test_holding_out_the_large_model_is_the_shipped_fit() -> None:
    # the dev split is the 0.5B model's answers, so the 1.5B model held out is exactly the
    # shipped calibration measured on the test split
    m = _answers()["leave_one_model_out"]["by_model"][LARGE]
    shipped = load_calibration("refusal")
    assert m["maps"] == {k: {"a": p.a, "b": p.b} for k, p in sorted(shipped.maps.items())}
    assert m["threshold"] == shipped.threshold
    assert m["fit_n"] == shipped.meta["fit"]["by_lang"]
    cascade = {k: v for k, v in m["cascade"].items() if k != "kept_right_refusal_rate"}
    assert cascade == shipped.meta["cascade"]["test"]
    assert m["reliability"] == shipped.meta["reliability"]["test"]


def test_holding_out_the_small_model_fits_on_the_large_one_only() -> None:
    tool = load_tool("calibrate_refusal")
    dev, test = tool._rows("dev"), tool._rows("test")
    direct = fit_calibration(test)  # the 1.5B model's rows, fitted directly
    m = _answers()["leave_one_model_out"]["by_model"][SMALL]
    assert m["maps"] == {k: {"a": p.a, "b": p.b} for k, p in sorted(direct.maps.items())}
    assert m["threshold"] == direct.threshold
    assert m["reliability"] == direct.reliability(dev)
    cascade = {k: v for k, v in m["cascade"].items() if k != "kept_right_refusal_rate"}
    assert cascade == direct.cascade(dev)
    # and not a fit that saw the held-out answers
    both = fit_calibration(dev + test).maps["all"]
    assert m["maps"]["all"] != {"a": both.a, "b": both.b}
    assert "en" not in m["maps"]  # 29 English answers of the 1.5B model: below MIN_LANGUAGE_N


def test_single_model_split_says_two_models_are_needed() -> None:
    lomo = evaluate("refusal", dataset="answers", split="test").to_dict()["leave_one_model_out"]
    assert lomo == {"models": [LARGE], "n": 66, "note": NEEDS_TWO}
    assert leave_one_model_out([]) == {"models": [], "n": 0, "note": NEEDS_TWO}
    # a set without source models (the written refusal set) has no such field
    assert "leave_one_model_out" not in evaluate("refusal", split="dev").to_dict()


# --- a tiny synthetic set: text "label raw" per record, a fake detector that reads it back ---


def _fake(item: DetectInput) -> Verdict:
    label, raw = item.text.split()
    return Verdict("fake", label == "refusal", float(raw), kind="refusal", label=label)


def _rec(i: int, model: str, lang: str, said: str, raw: float, gold: str) -> dict[str, Any]:
    return {
        "id": f"s{i}",
        "text": f"{said} {raw}",
        "lang": lang,
        "label": gold,
        "source_model": model,
    }


# model a: every verdict right; model b: one false refusal and one missed refusal
SYNTH = [
    *(_rec(i, "a", "en", "refusal", 0.9, "refusal") for i in range(4)),
    *(_rec(4 + i, "a", "en", "comply", 0.1, "comply") for i in range(4)),
    _rec(10, "b", "en", "refusal", 0.9, "refusal"),
    _rec(11, "b", "ko", "refusal", 0.9, "refusal"),
    _rec(12, "b", "ko", "refusal", 0.9, "comply"),
    _rec(13, "b", "en", "comply", 0.1, "comply"),
    _rec(14, "b", "ko", "comply", 0.1, "refusal"),
]


def test_synthetic_arithmetic() -> None:
    rep = eval_refusal("fake", SYNTH, _fake, dataset="answers").to_dict()
    lomo = rep["leave_one_model_out"]
    a, b = lomo["by_model"]["a"], lomo["by_model"]["b"]
    assert a["rules"] == prf(4, 0, 0) and b["rules"] == prf(2, 1, 1)
    assert b["rules_by_lang"] == {"en": prf(1, 0, 0), "ko": prf(1, 1, 1)}
    # raw ECE by hand: a: bins 0.9 (4, all refusals) and 0.1 (4, none): 0.1 each
    assert a["reliability"]["all"]["ece_raw"] == pytest.approx(0.1)
    # b: bin 0.9 holds 3 with 2 refusals (gap 0.2333), bin 0.1 holds 2 with 1 (gap 0.4)
    assert b["reliability"]["all"]["ece_raw"] == pytest.approx(3 / 5 * (0.9 - 2 / 3) + 2 / 5 * 0.4)
    assert b["reliability"]["ko"]["n"] == 3 and b["reliability"]["en"]["n"] == 2
    # b held out: fitted on a alone (the pooled map, under 30 answers per language)
    pooled = fit_platt([0.9] * 4 + [0.1] * 4, [True] * 4 + [False] * 4, strength=1.0)
    assert b["maps"] == {"all": {"a": round(pooled.a, 6), "b": round(pooled.b, 6)}}
    p = Platt(round(pooled.a, 6), round(pooled.b, 6))
    truth = [True, True, False, False, True]
    assert b["reliability"]["all"]["ece_calibrated"] == pytest.approx(
        ece([p(0.9)] * 3 + [p(0.1)] * 2, truth), abs=1e-6
    )
    # every verdict of a is right, so the threshold is the lower of its two confidence
    # levels (floored): b's verdicts sit on those same levels and are all kept
    assert b["threshold"] == pytest.approx(int(min(p(0.9), 1 - p(0.1)) * 1e4) / 1e4)
    assert b["cascade"] == {
        "n": 5,
        "to_judge": 0,
        "kept_right_refusal": 3,
        "kept_right_outcome": 3,
        "kept": 5,
        "kept_right_refusal_rate": 0.6,
    }
    # a held out: fitted on b, whose top confidence level is already wrong too often, so the
    # threshold stays 1.0 and all of a's answers go to the judge
    assert a["threshold"] == 1.0
    assert a["cascade"]["to_judge"] == 8 and a["cascade"]["kept"] == 0
    assert a["cascade"]["kept_right_refusal_rate"] is None
    assert lomo["macro"]["f1"] == pytest.approx((1.0 + 2 / 3) / 2, abs=1e-4)
    assert lomo["macro"]["to_judge_share"] == 0.5
    assert lomo["macro"]["ece_raw"] == pytest.approx((0.1 + 0.3) / 2, abs=1e-4)


def test_synthetic_fit_ignores_the_held_out_model() -> None:
    # changing b's answers changes a's held-out figures' fit, never b's own maps
    base = eval_refusal("fake", SYNTH, _fake, dataset="answers").to_dict()
    more_b = [*SYNTH, _rec(20, "b", "en", "refusal", 0.9, "comply")]
    rep = eval_refusal("fake", more_b, _fake, dataset="answers").to_dict()
    b0, b1 = (r["leave_one_model_out"]["by_model"]["b"] for r in (base, rep))
    assert b0["maps"] == b1["maps"] and b0["threshold"] == b1["threshold"]
    assert b1["n"] == 6
    a0, a1 = (r["leave_one_model_out"]["by_model"]["a"] for r in (base, rep))
    assert a0["maps"] != a1["maps"] and a0["rules"] == a1["rules"]


def test_cli_text_and_json() -> None:
    r = run_cli("detectors", "eval", "refusal", "--set", "answers-holdout2")
    assert r.returncode == 0, r.stderr
    assert "leave-one-model-out" in r.stdout and "macro (mean)" in r.stdout
    assert SMALL in r.stdout.split("leave-one-model-out")[1]
    j = run_cli("detectors", "eval", "refusal", "--set", "answers-holdout2", "--json")
    assert j.returncode == 0, j.stderr
    lomo = json.loads(j.stdout)["leave_one_model_out"]
    assert set(lomo["by_model"]) == {SMALL, LARGE} and lomo["n"] == 160
    one = run_cli("detectors", "eval", "refusal", "--set", "answers", "--split", "dev")
    assert one.returncode == 0 and "needs answers of at least two source models" in one.stdout


def test_user_file_with_and_without_model_names(tmp_path: Path) -> None:
    from suho.detectors._eval import evaluate_file

    rows = [
        {
            "text": "I'm sorry, but I can't help with that request.",
            "label": "refusal",
            "model": "x",
        },
        {"text": "Sure. Here is a short poem about spring rain.", "label": "comply", "model": "x"},
        {"text": "죄송하지만 그 요청은 도와드릴 수 없습니다.", "label": "refusal", "model": "y"},
        {
            "text": "네, 봄비에 관한 짧은 시를 써 드릴게요. 봄비가 내린다.",
            "label": "comply",
            "model": "y",
        },
        {"text": "I cannot assist with that.", "label": "refusal"},
    ]
    f = tmp_path / "mine.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    lomo = evaluate_file("refusal", f).to_dict()["leave_one_model_out"]
    assert lomo["models"] == ["x", "y"] and lomo["n"] == 4 and lomo["without_model"] == 1
    assert lomo["by_model"]["x"]["fit_on"] == ["y"] and lomo["by_model"]["x"]["n"] == 2
    assert lomo["by_model"]["y"]["fit_n"]["all"] == {"n": 2, "refusals": 1}
    g = tmp_path / "nomodel.jsonl"
    g.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if k != "model"}) + "\n" for r in rows)
    )
    lomo = evaluate_file("refusal", g).to_dict()["leave_one_model_out"]
    assert lomo == {"models": [], "n": 0, "note": NEEDS_TWO, "without_model": 5}
