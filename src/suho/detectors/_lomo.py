"""Leave-one-model-out figures for the refusal detector on real answers.

The refusal rules are written by hand and not refit, but two things are fitted on answers: the
calibration (per-language Platt maps) and the judge cascade's threshold (see
:mod:`suho.detectors._calibration`). The shipped ones were fitted on one source model's answers;
figures on that model's answers are not held-out figures. Here, for each source model ``M`` of a
set, the calibration and the threshold are fitted (:func:`fit_calibration`, exactly as
``tools/calibrate_refusal.py`` fits the shipped file) on the answers of every *other* model, and
measured on ``M``'s answers only: the rules' refusal precision/recall/F1 (these do not depend on
the fit), the expected calibration error of the raw and the calibrated score, and what the
cascade does at the threshold chosen on the others. The macro row is the plain mean over models.

Languages here are the probe's (``prompt_lang`` or ``lang``), the one the calibration picks its
map by; on the shipped sets it is always the answer's ``lang``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from suho.detectors._calibration import CalRow, fit_calibration

#: Said in every report: which figures the fit can change and which it cannot.
NOTE = (
    "calibration maps and cascade threshold fitted on the other models' answers, measured on "
    "this model's; the rules are fixed by hand, so their refusal precision/recall/F1 do not "
    "depend on the fit"
)
NEEDS_TWO = "leave-one-model-out needs answers of at least two source models"


def leave_one_model_out(rows: Sequence[tuple[str, CalRow]]) -> dict[str, Any]:
    """The report for ``rows`` of (source model, answer as the fit sees it); with fewer than two
    models, only ``models``, ``n`` and a ``note`` saying why there are no figures."""
    from suho.detectors._eval import PRF

    models = sorted({m for m, _ in rows})
    out: dict[str, Any] = {"models": models, "n": len(rows)}
    if len(models) < 2:
        return out | {"note": NEEDS_TWO}
    by_model: dict[str, Any] = {}
    for model in models:
        held = [r for m, r in rows if m == model]
        others = [r for m, r in rows if m != model]
        fit = fit_calibration(others)
        overall = PRF()
        by_lang: dict[str, PRF] = {}
        for r in held:
            overall.add(r[3] == "refusal", r[2])
            by_lang.setdefault(r[0], PRF()).add(r[3] == "refusal", r[2])
        cascade = fit.cascade(held)
        kept = cascade["kept"]
        cascade["kept_right_refusal_rate"] = (
            round(cascade["kept_right_refusal"] / kept, 4) if kept else None
        )
        by_model[model] = {
            "n": len(held),
            "refusals": sum(r[2] for r in held),
            "fit_on": sorted({m for m, _ in rows if m != model}),
            "fit_n": fit.fit_n,
            "rules": overall.to_dict(),
            "rules_by_lang": {k: v.to_dict() for k, v in sorted(by_lang.items())},
            "reliability": fit.reliability(held),
            "maps": {k: {"a": m.a, "b": m.b} for k, m in sorted(fit.maps.items())},
            "threshold": fit.threshold,
            "cascade": cascade,
        }
    per = list(by_model.values())

    def mean(xs: list[float]) -> float:
        return round(sum(xs) / len(xs), 4)

    macro = {
        "f1": mean([m["rules"]["f1"] for m in per]),
        "ece_raw": mean([m["reliability"]["all"]["ece_raw"] for m in per]),
        "ece_calibrated": mean([m["reliability"]["all"]["ece_calibrated"] for m in per]),
        "to_judge_share": mean([m["cascade"]["to_judge"] / m["n"] for m in per]),
    }
    return out | {"note": NOTE, "by_model": by_model, "macro": macro}


__all__ = ["NEEDS_TWO", "NOTE", "leave_one_model_out"]
