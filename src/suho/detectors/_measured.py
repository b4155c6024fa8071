"""Measured accuracy of the shipped detectors, as reports show it next to each rate.

``data/validation/measured.json`` is written by ``python tools/measure_detectors.py`` from
``suho detectors eval`` on the shipped sets (the real-answer set first, where a detector has one),
and a test fails when it no longer matches a fresh evaluation, so the figures a report prints are
the detector's current ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any


@cache
def _table() -> dict[str, Any]:
    path = resources.files("suho").joinpath("data", "validation", "measured.json")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data


def measured_accuracy(detectors: Iterable[str]) -> dict[str, Any]:
    """The shipped figures for each named detector that has them: the set they were measured
    on, its size, and F1 (with precision and recall) overall and per language."""
    table = _table().get("detectors", {})
    return {d: table[d] for d in detectors if d in table}
