"""Measuring detectors against the shipped labelled validation sets.

Three sets live under ``suho/data/validation/`` (written by the project, see docs/detectors.md):

- ``refusal.jsonl``: model responses labelled ``refusal`` / ``partial`` / ``comply`` with their
  language (``ko``, ``en``, ``mixed``) and tags (``hard_negative``, ``hotline``, ...);
- ``pii.jsonl``: strings with the character spans of Korean personal data (``kind``, ``start``,
  ``end``; none for the hard negatives);
- ``cyber.jsonl``: requests labelled ``offensive`` / ``dual-use`` / ``benign`` (``ko``, ``en``,
  ``mixed``) for the ``cyber-offense`` detector; requests only, never an answer.

Each record has ``split`` (see :data:`SPLITS`). Metrics are plain
counts turned into precision, recall and F1, per language and per kind or class.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from suho.detectors._base import DetectInput, Span, Verdict
from suho.errors import SuhoInputError

REFUSAL_LABELS = ("refusal", "partial", "comply")
#: ``dev``: used while the detectors were built; ``test``: held out, first measured once the rules
#: were done (then used to fix general faults); ``holdout``: written after that and measured once;
#: ``observed``: written in the style of the embedded local model's real answers, measured once
#: before the rule for "apology + reason, no content" was added (refusal recall 0.0 there).
SPLITS = ("dev", "test", "holdout", "observed")


@dataclass(slots=True)
class PRF:
    """Counts of true positives, false positives and false negatives, and what follows."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        d = self.tp + self.fp
        return self.tp / d if d else 1.0

    @property
    def recall(self) -> float:
        d = self.tp + self.fn
        return self.tp / d if d else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.support,
        }


@dataclass(slots=True)
class EvalReport:
    """What ``suho detectors eval`` prints for one detector and one split."""

    detector: str
    dataset: str
    split: str
    n: int
    overall: PRF
    by_lang: dict[str, PRF] = field(default_factory=dict)
    by_kind: dict[str, PRF] = field(default_factory=dict)  # per class (refusal) or per PII kind
    by_tag: dict[str, dict[str, int]] = field(default_factory=dict)  # tag -> {n, correct}
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # gold -> predicted -> n
    stages: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)  # misclassified records

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "dataset": self.dataset,
            "split": self.split,
            "n": self.n,
            "overall": self.overall.to_dict(),
            "by_lang": {k: v.to_dict() for k, v in sorted(self.by_lang.items())},
            "by_kind": {k: v.to_dict() for k, v in sorted(self.by_kind.items())},
            "by_tag": {k: dict(v) for k, v in sorted(self.by_tag.items())},
            "confusion": self.confusion,
            "stages": dict(sorted(self.stages.items())),
            "errors": self.errors,
        }


def load_validation(name: str, *, split: str = "all") -> list[dict[str, Any]]:
    """Records of the shipped set ``name`` (``refusal`` or ``pii``); ``split`` is one of
    :data:`SPLITS` or ``all``."""
    if split not in (*SPLITS, "all"):
        raise SuhoInputError(f"split must be one of {', '.join(SPLITS)} or all, not {split!r}")
    path = resources.files("suho").joinpath("data", "validation", f"{name}.jsonl")
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise SuhoInputError(f"no validation set {name!r}") from e
    out: list[dict[str, Any]] = []
    for no, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise SuhoInputError(f"not valid JSON ({e.msg})", path=f"{name}.jsonl", line=no) from e
        if split == "all" or rec.get("split") == split:
            out.append(rec)
    return out


def refusal_input(rec: dict[str, Any]) -> DetectInput:
    """How a validation record is shown to a detector: as the engine would, with the probe's
    language (``prompt_lang`` where an English answer came back to a Korean prompt)."""
    return DetectInput(text=rec["text"], lang=str(rec.get("prompt_lang") or rec["lang"]))


def eval_refusal(
    name: str,
    records: Sequence[dict[str, Any]],
    judge: Callable[[DetectInput], Verdict],
    *,
    split: str = "all",
) -> EvalReport:
    """Binary refusal metrics (hit = refusal) overall and per language, plus per-class metrics
    for the three labels, a confusion matrix and accuracy on each tag."""
    overall = PRF()
    by_lang: dict[str, PRF] = {}
    by_class = {lab: PRF() for lab in REFUSAL_LABELS}
    confusion = {g: {p: 0 for p in REFUSAL_LABELS} for g in REFUSAL_LABELS}
    by_tag: dict[str, dict[str, int]] = {}
    stages: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    for rec in records:
        v = judge(refusal_input(rec))
        gold = rec["label"]
        pred = _refusal_label(v)
        is_ref, was_ref = pred == "refusal", gold == "refusal"
        overall.add(is_ref, was_ref)
        by_lang.setdefault(rec["lang"], PRF()).add(is_ref, was_ref)
        for lab in REFUSAL_LABELS:
            by_class[lab].add(pred == lab, gold == lab)
        confusion[gold][pred] += 1
        stages[v.stage] = stages.get(v.stage, 0) + 1
        tags = list(rec.get("tags") or [])
        if rec.get("speech_level"):
            tags.append(f"speech:{rec['speech_level']}")
        for t in tags:
            slot = by_tag.setdefault(t, {"n": 0, "correct": 0})
            slot["n"] += 1
            slot["correct"] += int(pred == gold)
        if pred != gold:
            errors.append(
                {
                    "id": rec["id"],
                    "lang": rec["lang"],
                    "gold": gold,
                    "predicted": pred,
                    "score": round(v.score, 3),
                    "text": rec["text"][:160],
                }
            )
    return EvalReport(
        name,
        "refusal",
        split,
        len(records),
        overall,
        by_lang,
        by_class,
        by_tag,
        confusion,
        stages,
        errors,
    )


def _refusal_label(v: Verdict) -> str:
    if v.label in REFUSAL_LABELS:
        return v.label
    return "refusal" if v.hit else "comply"


def spans_match(pred: Span | dict[str, Any], gold: dict[str, Any]) -> bool:
    """Same kind, and the two ranges overlap by at least half of their union."""
    pk = pred.kind if isinstance(pred, Span) else pred["kind"]
    ps = pred.start if isinstance(pred, Span) else pred["start"]
    pe = pred.end if isinstance(pred, Span) else pred["end"]
    if pk != gold["kind"]:
        return False
    inter = int(min(pe, gold["end"]) - max(ps, gold["start"]))
    union = int(max(pe, gold["end"]) - min(ps, gold["start"]))
    return inter > 0 and inter * 2 >= union


def eval_pii(
    name: str,
    records: Sequence[dict[str, Any]],
    find: Callable[[DetectInput], Verdict],
    *,
    split: str = "all",
) -> EvalReport:
    """Span-level precision and recall: a found span is right when it matches a gold span of the
    same kind (overlap >= half the union); per kind, per language, and per tag."""
    overall = PRF()
    by_lang: dict[str, PRF] = {}
    by_kind: dict[str, PRF] = {}
    by_tag: dict[str, dict[str, int]] = {}
    stages: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    for rec in records:
        v = find(DetectInput(text=rec["text"], lang=rec["lang"]))
        stages[v.stage] = stages.get(v.stage, 0) + 1
        gold = list(rec["spans"])
        used: set[int] = set()
        lang = by_lang.setdefault(rec["lang"], PRF())
        wrong: list[str] = []
        for s in v.spans:
            hit = next((i for i, g in enumerate(gold) if i not in used and spans_match(s, g)), None)
            k = by_kind.setdefault(s.kind, PRF())
            if hit is None:
                overall.fp += 1
                lang.fp += 1
                k.fp += 1
                wrong.append(f"extra {s.kind} {rec['text'][s.start : s.end]!r}")
            else:
                used.add(hit)
                overall.tp += 1
                lang.tp += 1
                k.tp += 1
        for i, g in enumerate(gold):
            if i not in used:
                overall.fn += 1
                lang.fn += 1
                by_kind.setdefault(g["kind"], PRF()).fn += 1
                wrong.append(f"missed {g['kind']} {rec['text'][g['start'] : g['end']]!r}")
        for t in rec.get("tags") or []:
            slot = by_tag.setdefault(t, {"n": 0, "correct": 0})
            slot["n"] += 1
            slot["correct"] += int(not wrong)
        if wrong:
            errors.append(
                {"id": rec["id"], "lang": rec["lang"], "problems": wrong, "text": rec["text"][:160]}
            )
    return EvalReport(
        name, "pii", split, len(records), overall, by_lang, by_kind, by_tag, {}, stages, errors
    )


def eval_cyber(
    name: str,
    records: Sequence[dict[str, Any]],
    judge: Callable[[DetectInput], Verdict],
    *,
    split: str = "all",
) -> EvalReport:
    """Binary metrics with hit = offensive, overall and per language, plus per-class metrics for
    offensive / dual-use / benign and a confusion matrix (the ``cyber`` set)."""
    labels = ("offensive", "dual-use", "benign")
    overall = PRF()
    by_lang: dict[str, PRF] = {}
    by_class = {lab: PRF() for lab in labels}
    confusion = {g: {p: 0 for p in labels} for g in labels}
    stages: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    for rec in records:
        v = judge(DetectInput(text=rec["text"], lang=rec["lang"]))
        gold = rec["label"]
        pred = v.label if v.label in labels else ("offensive" if v.hit else "benign")
        overall.add(v.hit, gold == "offensive")
        by_lang.setdefault(rec["lang"], PRF()).add(v.hit, gold == "offensive")
        for lab in labels:
            by_class[lab].add(pred == lab, gold == lab)
        confusion[gold][pred] += 1
        stages[v.stage] = stages.get(v.stage, 0) + 1
        if pred != gold:
            errors.append(
                {
                    "id": rec["id"],
                    "lang": rec["lang"],
                    "gold": gold,
                    "predicted": pred,
                    "score": round(v.score, 3),
                    "text": rec["text"][:160],
                }
            )
    return EvalReport(
        name,
        "cyber",
        split,
        len(records),
        overall,
        by_lang,
        by_class,
        {},
        confusion,
        stages,
        errors,
    )


def evaluate(name: str, *, split: str = "all", detector: Any = None) -> EvalReport:
    """Evaluate the registered detector ``name`` on its validation set.

    ``refusal`` (and any detector of kind ``refusal``, or a judge) runs on the refusal set;
    ``pii-kr`` on the PII set; ``cyber-offense`` on the cyber set (offensive / dual-use / benign
    requests). ``detector`` replaces the registered one (for tests and judges).
    """
    from suho.detectors._base import TextDetector, get_detector

    det = detector if detector is not None else get_detector(name)
    dataset = "pii" if name == "pii-kr" or getattr(det, "dataset", "") == "pii" else "refusal"
    if getattr(det, "dataset", "") == "cyber":
        dataset = "cyber"
    if (
        dataset == "refusal"
        and getattr(det, "kind", "") != "refusal"
        and name != "judge"
        and getattr(det, "dataset", "") != "refusal"
    ):
        raise SuhoInputError(f"no validation set for detector {name!r} (sets: refusal, pii)")
    records = load_validation(dataset, split=split)
    if isinstance(det, TextDetector):
        call: Callable[[DetectInput], Verdict] = det.check
    else:
        call = _sync(det)
    if dataset == "pii":
        return eval_pii(name, records, call, split=split)
    if dataset == "cyber":
        return eval_cyber(name, records, call, split=split)
    return eval_refusal(name, records, call, split=split)


def _sync(det: Any) -> Callable[[DetectInput], Verdict]:
    import asyncio

    loop = asyncio.new_event_loop()

    def call(item: DetectInput) -> Verdict:
        v: Verdict = loop.run_until_complete(det.detect(item))
        return v

    return call


def records_text(records: Iterable[dict[str, Any]]) -> list[str]:
    return [r["text"] for r in records]


__all__ = [
    "PRF",
    "REFUSAL_LABELS",
    "SPLITS",
    "EvalReport",
    "eval_cyber",
    "eval_pii",
    "eval_refusal",
    "evaluate",
    "load_validation",
    "refusal_input",
    "spans_match",
]
