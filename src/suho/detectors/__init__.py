"""Detectors: response -> Verdict, each with measured accuracy.

Registered under the ``suho.detectors`` entry-point group.
"""

from typing import TYPE_CHECKING

from suho._lazy import lazy_attributes
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

if TYPE_CHECKING:  # for type checkers and readers; at run time these load lazily, below
    from suho.detectors._canary import CanaryDetector
    from suho.detectors._eval import EvalReport, evaluate, evaluate_file, load_validation
    from suho.detectors._eval_file import FileFields, LabelMap
    from suho.detectors._judge import JudgeDetector, parse_judgement
    from suho.detectors._pii import PII_KINDS, PiiKrDetector
    from suho.detectors._refusal import RefusalDetector

DEFAULT_DETECTORS = ("refusal",)

# The detectors themselves are imported on first use (the engine needs only the types above, and
# loading every detector's patterns would slow down every command's start).
_LAZY = {
    "CanaryDetector": "suho.detectors._canary",
    "EvalReport": "suho.detectors._eval",
    "evaluate": "suho.detectors._eval",
    "load_validation": "suho.detectors._eval",
    "evaluate_file": "suho.detectors._eval",
    "FileFields": "suho.detectors._eval_file",
    "LabelMap": "suho.detectors._eval_file",
    "JudgeDetector": "suho.detectors._judge",
    "parse_judgement": "suho.detectors._judge",
    "PII_KINDS": "suho.detectors._pii",
    "PiiKrDetector": "suho.detectors._pii",
    "RefusalDetector": "suho.detectors._refusal",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "DEFAULT_DETECTORS",
    "PII_KINDS",
    "CanaryDetector",
    "DetectInput",
    "Detector",
    "DetectorKind",
    "EvalReport",
    "FileFields",
    "JudgeDetector",
    "LabelMap",
    "Outcome",
    "PiiKrDetector",
    "RefusalDetector",
    "Span",
    "TextDetector",
    "Verdict",
    "decide",
    "detector_names",
    "evaluate",
    "evaluate_file",
    "get_detector",
    "load_validation",
    "parse_judgement",
]
