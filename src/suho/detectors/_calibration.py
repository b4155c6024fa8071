"""Calibrated scores: the refusal rules' confidence turned into a probability.

The rules give each verdict a fixed confidence per rule ("decline" 0.95, "content" 0.9, ...),
set by hand. Those numbers are ranks, not probabilities: measured on real answers, "0.95" was
right less often than that. A logistic map (Platt scaling) on the logit of the raw score,
``p = 1 / (1 + exp(-(a * logit(raw) + b)))``, fitted on the dev split of the real-answer set
(answers of the 0.5B model), makes the refusal detector's ``score`` the probability that the
answer is a refusal. There is one map per language, each shrunk towards the pooled map so that
a language with few refusals does not get an extreme one; ``a > 0`` keeps the order of the raw
scores (a calibrated score never reverses a ranking).

The fitted parameters ship as ``suho/data/calibration/refusal.json``, written by
``tools/calibrate_refusal.py``, with the judge cascade's threshold chosen on the same dev split
and the expected calibration error before and after on the held-out test split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

#: Raw scores are clipped to this range before the logit (a rule's 1.0 is not certainty).
EPS = 0.01


def logit(p: float) -> float:
    p = min(max(p, EPS), 1.0 - EPS)
    return math.log(p / (1.0 - p))


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class Platt:
    """``p = sigmoid(a * logit(raw) + b)``; ``a > 0`` keeps the raw order."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, raw: float) -> float:
        return sigmoid(self.a * logit(raw) + self.b)


def fit_platt(
    raw: Sequence[float],
    truth: Sequence[bool],
    *,
    prior: Platt = Platt(),
    strength: float = 1.0,
    min_slope: float = 0.05,
    iters: int = 100,
) -> Platt:
    """Maximum a-posteriori Platt map: logistic regression of ``truth`` on ``logit(raw)`` with a
    Gaussian prior of precision ``strength`` centred on ``prior`` (Newton's method; deterministic).
    The slope is kept at ``min_slope`` or more, so the map is increasing."""
    a, b = prior.a, prior.b
    xs = [logit(r) for r in raw]
    ys = [1.0 if t else 0.0 for t in truth]
    for _ in range(iters):
        ga = strength * (a - prior.a)
        gb = strength * (b - prior.b)
        haa = hbb = strength
        hab = 0.0
        for x, y in zip(xs, ys, strict=True):
            p = sigmoid(a * x + b)
            w = p * (1.0 - p)
            ga += (p - y) * x
            gb += p - y
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            break
    return Platt(max(a, min_slope), b)


def ece(probs: Sequence[float], truth: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: over ``bins`` equal-width bins of the predicted probability,
    the gap between the mean prediction and the observed rate, weighted by the bin's share."""
    if not probs:
        return 0.0
    acc: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(bins)]  # n, sum p, positives
    for p, t in zip(probs, truth, strict=True):
        # (the small epsilon puts 0.1 and 1 - 0.9 = 0.0999… in the same bin)
        k = min(int(p * bins + 1e-9), bins - 1)
        acc[k][0] += 1
        acc[k][1] += p
        acc[k][2] += 1.0 if t else 0.0
    n = len(probs)
    return sum(c[0] / n * abs(c[1] / c[0] - c[2] / c[0]) for c in acc if c[0])


#: Precision of the pooled map's prior on the identity map, and of each language's prior on the
#: pooled map (fixed before any fit was looked at); a language with fewer answers than
#: ``MIN_LANGUAGE_N`` uses the pooled map; ``TARGET``: how often the verdicts the cascade keeps
#: must be right about refusal.
POOLED_PRIOR = 1.0
LANGUAGE_PRIOR = 5.0
MIN_LANGUAGE_N = 30
TARGET = 0.95

#: One answer as the fit sees it: (language, raw probability of refusal, gold is refusal, the
#: rules' label, gold label).
CalRow = tuple[str, float, bool, str, str]


def _r6(x: float) -> float:
    return round(x, 6)


@dataclass(frozen=True, slots=True)
class Fit:
    """A calibration fitted on some answers: the per-language maps (rounded as shipped), the
    judge cascade's threshold, the answers fitted per language and the confidence levels seen
    (level -> list of (right about refusal, right about the outcome))."""

    maps: dict[str, Platt]
    threshold: float
    fit_n: dict[str, Any]
    levels: dict[float, list[tuple[bool, bool]]]

    def probability(self, lang: str, raw: float) -> float:
        """The calibrated probability of a refusal (the pooled map for a language without one)."""
        return (self.maps.get(lang) or self.maps["all"])(raw)

    def confidence(self, row: CalRow) -> float:
        """The calibrated confidence in what the rules say (a refusal or not)."""
        p = self.probability(row[0], row[1])
        return p if row[3] == "refusal" else 1.0 - p

    def reliability(self, rows: Sequence[CalRow]) -> dict[str, Any]:
        """ECE (10 bins) of the raw and the calibrated score, over all and per language."""
        out: dict[str, Any] = {}
        for lang in ["all", *sorted({r[0] for r in rows})]:
            sub = [r for r in rows if lang == "all" or r[0] == lang]
            truth = [r[2] for r in sub]
            out[lang] = {
                "n": len(sub),
                "refusals": sum(truth),
                "ece_raw": _r6(ece([r[1] for r in sub], truth)),
                "ece_calibrated": _r6(ece([self.probability(r[0], r[1]) for r in sub], truth)),
            }
        return out

    def cascade(self, rows: Sequence[CalRow]) -> dict[str, Any]:
        """What the judge cascade does on ``rows`` at this threshold: how many go to the judge,
        and of the verdicts kept how many are right about refusal and about the outcome."""
        kept = [r for r in rows if self.confidence(r) >= self.threshold]
        return {
            "n": len(rows),
            "to_judge": len(rows) - len(kept),
            "kept_right_refusal": sum((r[3] == "refusal") == r[2] for r in kept),
            "kept_right_outcome": sum(r[3] == r[4] for r in kept),
            "kept": len(kept),
        }


def fit_calibration(
    rows: Sequence[CalRow],
    *,
    pooled_prior: float = POOLED_PRIOR,
    language_prior: float = LANGUAGE_PRIOR,
    min_language_n: int = MIN_LANGUAGE_N,
    target: float = TARGET,
) -> Fit:
    """Fit what ``tools/calibrate_refusal.py`` ships, on ``rows`` (deterministic).

    A pooled Platt map with a weak prior on the identity, one map per language (with at least
    ``min_language_n`` answers) with a prior on the pooled one; then the cascade threshold:
    walking down the confidence levels seen from the top, stop at the first one whose verdicts
    are right about refusal less than ``target`` of the time; the threshold is the last level
    passed (floored to 4 decimals), so every kind of verdict that failed goes to the judge."""
    if not rows:
        raise ValueError("fit_calibration needs at least one answer")
    pooled = fit_platt([r[1] for r in rows], [r[2] for r in rows], strength=pooled_prior)
    maps: dict[str, Platt] = {"all": pooled}
    fit_n: dict[str, Any] = {"all": {"n": len(rows), "refusals": sum(r[2] for r in rows)}}
    for lang in sorted({r[0] for r in rows}):
        sub = [r for r in rows if r[0] == lang]
        fit_n[lang] = {"n": len(sub), "refusals": sum(r[2] for r in sub)}
        if len(sub) >= min_language_n:
            maps[lang] = fit_platt(
                [r[1] for r in sub], [r[2] for r in sub], prior=pooled, strength=language_prior
            )
    maps = {k: Platt(_r6(m.a), _r6(m.b)) for k, m in maps.items()}
    partial = Fit(maps, 1.0, fit_n, {})
    levels: dict[float, list[tuple[bool, bool]]] = {}
    for r in rows:
        levels.setdefault(round(partial.confidence(r), 6), []).append(
            ((r[3] == "refusal") == r[2], r[3] == r[4])
        )
    threshold = 1.0
    for level in sorted(levels, reverse=True):
        right = [x[0] for x in levels[level]]
        if sum(right) / len(right) < target:
            break
        threshold = level
    threshold = math.floor(threshold * 1e4) / 1e4
    return Fit(maps, threshold, fit_n, levels)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Per-language Platt maps (``all`` for any other language) and the judge cascade's
    threshold, as shipped."""

    maps: dict[str, Platt]
    threshold: float
    meta: dict[str, Any]

    def probability(self, raw: float, lang: str = "") -> float:
        """The calibrated probability for a raw rule score (of the same event) in ``lang``."""
        m = self.maps.get(lang) or self.maps.get("all") or Platt()
        return m(raw)


@lru_cache(maxsize=4)
def load_calibration(name: str = "refusal") -> Calibration:
    """The shipped calibration ``suho/data/calibration/NAME.json`` (read once per process)."""
    path = resources.files("suho").joinpath("data", "calibration", f"{name}.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    maps = {k: Platt(float(v["a"]), float(v["b"])) for k, v in data["maps"].items()}
    meta = {k: v for k, v in data.items() if k not in ("maps", "threshold")}
    return Calibration(maps, float(data["threshold"]), meta)


__all__ = [
    "LANGUAGE_PRIOR",
    "MIN_LANGUAGE_N",
    "POOLED_PRIOR",
    "TARGET",
    "CalRow",
    "Calibration",
    "Fit",
    "Platt",
    "ece",
    "fit_calibration",
    "fit_platt",
    "load_calibration",
    "logit",
    "sigmoid",
]
