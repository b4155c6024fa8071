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


__all__ = ["Calibration", "Platt", "ece", "fit_platt", "load_calibration", "logit", "sigmoid"]
