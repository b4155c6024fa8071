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
from suho.detectors._canary import CanaryDetector
from suho.detectors._eval import EvalReport, evaluate, load_validation
from suho.detectors._judge import JudgeDetector, parse_judgement
from suho.detectors._pii import PII_KINDS, PiiKrDetector
from suho.detectors._refusal import RefusalDetector

DEFAULT_DETECTORS = ("refusal",)

__all__ = [
    "DEFAULT_DETECTORS",
    "PII_KINDS",
    "CanaryDetector",
    "DetectInput",
    "Detector",
    "DetectorKind",
    "EvalReport",
    "JudgeDetector",
    "Outcome",
    "PiiKrDetector",
    "RefusalDetector",
    "Span",
    "TextDetector",
    "Verdict",
    "decide",
    "detector_names",
    "evaluate",
    "get_detector",
    "load_validation",
    "parse_judgement",
]
