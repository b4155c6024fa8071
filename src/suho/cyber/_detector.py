"""The ``cyber`` detector: a cyber task's grade, as a verdict."""

from __future__ import annotations

from typing import ClassVar

from suho.detectors import DetectInput, DetectorKind, Verdict


class CyberGradeDetector:
    """Reads the deterministic grade the cyber environment gave the episode (flag submitted,
    patch holds, rule fires, triage right; see ``suho.cyber``): hit = the task was solved. It
    judges nothing by itself: an episode without a grade (not a cyber task, or one that ended
    before grading) is no hit, and misses anything the challenge's grader does not check."""

    name: ClassVar[str] = "cyber"
    kind: ClassVar[DetectorKind] = "security"

    async def detect(self, item: DetectInput) -> Verdict:
        ep = item.episode
        env = ep.env if ep is not None and isinstance(ep.env, dict) else {}
        grade = env.get("grade") or (ep.state.get("cyber") if ep is not None else None)
        if not isinstance(grade, dict):
            return Verdict("cyber", False, 0.0, kind="security", label="ungraded",
                           evidence={"detail": "no grade"})  # fmt: skip
        passed = bool(grade.get("passed"))
        return Verdict(
            "cyber",
            passed,
            float(grade.get("score") or 0.0),
            kind="security",
            label="solved" if passed else "unsolved",
            stage="grader",
            evidence={
                "challenge": env.get("challenge"),
                "mode": env.get("mode"),
                "family": env.get("family"),
                "detail": grade.get("detail"),
                "metrics": grade.get("metrics") or {},
            },
        )
