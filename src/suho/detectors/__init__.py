"""Detectors: response -> Verdict, each with measured accuracy.

Registered under the ``suho.detectors`` entry-point group.
"""

from suho.detectors._base import (
    DetectInput,
    Detector,
    DetectorKind,
    Outcome,
    Span,
    TextDetector,
    Verdict,
    decide,
    detector_names,
    get_detector,
)

DEFAULT_DETECTORS = ("refusal",)

__all__ = [
    "DEFAULT_DETECTORS",
    "DetectInput",
    "Detector",
    "DetectorKind",
    "Outcome",
    "Span",
    "TextDetector",
    "Verdict",
    "decide",
    "detector_names",
    "get_detector",
]
