"""``suho detectors eval``: measured precision, recall and F1 of the detectors."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from suho.errors import SuhoInputError

_WITH_SETS = ("refusal", "pii-kr", "cyber-offense")


def eval_cmd(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Detector to measure: refusal, pii-kr, cyber-offense or judge (default: all but judge)."
        ),
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="Validation split: dev, test, holdout, observed or all.")
    ] = "all",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    errors: Annotated[
        bool, typer.Option("--errors", help="Also list the misclassified items.")
    ] = False,
    judge: Annotated[
        str | None,
        typer.Option("--judge", help="Judge target for `eval judge` (default: the local model)."),
    ] = None,
    judge_base_url: Annotated[
        str | None,
        typer.Option("--judge-base-url", help="Base URL of the judge's OpenAI-compatible API."),
    ] = None,
    judge_all: Annotated[
        bool,
        typer.Option("--judge-all", help="Ask the judge about every item, not only unsure ones."),
    ] = False,
    judge_rubric: Annotated[
        str,
        typer.Option("--judge-rubric", help="The judge's rubric: strongreject or classic."),
    ] = "strongreject",
    dataset: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="Validation set: refusal (written here), answers (real answers of the "
            "embedded models, labelled here; per source model), answers-holdout (real answers "
            "to other prompts, never used for tuning), answers-holdout2 (a second such set, "
            "for one final measurement), pii, cyber, cyber-holdout or "
            "cyber-holdout2 (cyber requests written without reading the rules). Default: the "
            "detector's own set.",
        ),
    ] = None,
) -> None:
    """Measure detectors on the shipped, labelled validation sets.

    Prints precision, recall and F1 overall, per language and per kind (PII) or class
    (refusal / partial / comply). Refusal metrics count a hit as "the answer refuses".
    """
    from suho.detectors import get_detector
    from suho.detectors._eval import evaluate

    names = [name] if name else list(_WITH_SETS)
    from suho.detectors._eval import SPLITS

    if split not in (*SPLITS, "all"):
        raise SuhoInputError(f"--split must be one of {', '.join(SPLITS)} or all, not {split!r}")
    reports: list[dict[str, Any]] = []
    for n in names:
        det: Any = None
        if n == "judge":
            opts: dict[str, Any] = {"target": judge} if judge else {}
            if judge_base_url:
                opts["base_url"] = judge_base_url
            if judge_all:
                opts["mode"] = "always"
            if judge_rubric not in ("strongreject", "classic"):
                raise SuhoInputError(
                    f"--judge-rubric {judge_rubric!r}: choose strongreject or classic"
                )
            opts["rubric"] = judge_rubric
            det = get_detector("judge", **opts)
        elif judge or judge_base_url:
            raise SuhoInputError(
                "--judge and --judge-base-url apply to `suho detectors eval judge`"
            )
        rep = evaluate(n, split=split, detector=det, dataset=dataset).to_dict()
        if split == "all":
            parts = (
                [evaluate(n, split=s, detector=det, dataset=dataset) for s in SPLITS]
                if n != "judge"
                else []
            )
            rep["splits"] = {r.split: r.to_dict()["overall"] for r in parts if r.n}
        if not errors:
            rep.pop("errors", None)
        reports.append(rep)
        if det is not None and hasattr(det, "aclose"):
            import asyncio

            asyncio.run(det.aclose())
    if as_json:
        sys.stdout.write(
            json.dumps(reports if len(reports) > 1 else reports[0], ensure_ascii=False, indent=2)
            + "\n"
        )
        return
    for rep in reports:
        _print_report(rep)


def _line(label: str, m: dict[str, Any]) -> str:
    return (
        f"  {label:18} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}"
        f"   (tp {m['tp']}, fp {m['fp']}, fn {m['fn']})"
    )


def _print_report(rep: dict[str, Any]) -> None:
    out = sys.stdout.write
    hit = {
        "refusal": "hit = refusal",
        "answers": "hit = refusal",
        "answers-holdout": "hit = refusal",
        "answers-holdout2": "hit = refusal",
        "cyber": "hit = offensive",
    }.get(rep["dataset"], "span level")
    from suho.detectors._eval import _SET_FILES

    fname = _SET_FILES.get(rep["dataset"], rep["dataset"])
    out(f"{rep['detector']} on {fname}.jsonl, split {rep['split']}, {rep['n']} items ({hit})\n")
    out(_line("overall", rep["overall"]) + "\n")
    for s, m in (rep.get("splits") or {}).items():
        out(_line(f"split {s}", m) + "\n")
    out(" per language\n")
    for lang, m in rep["by_lang"].items():
        out(_line(lang, m) + "\n")
    if rep.get("by_model"):
        out(" per source model (answers set: see docs/detectors.md for which built the rules)\n")
        for k, m in rep["by_model"].items():
            out(_line(k, m) + "\n")
        for k, m in rep["by_model_lang"].items():
            out(_line("  " + k, m) + "\n")
    if rep.get("baseline"):
        out(" string-match baseline on the same items\n")
        out(_line("overall", rep["baseline"]) + "\n")
        for lang, m in rep["baseline_by_lang"].items():
            out(_line(lang, m) + "\n")
    if rep.get("reliability"):
        out(" score as P(refusal): expected calibration error, calibrated (raw rule score)\n")
        for lang, r in rep["reliability"].items():
            out(
                f"  {lang:18} ECE {r['ece']:.3f} ({r['ece_raw']:.3f})   "
                f"n {r['n']}, refusals {r['refusals']}\n"
            )
    if rep.get("attack_success"):
        out(" attack success (harmful help, not refusals or non-answers) on harmful probes\n")
        out(_line("overall", rep["attack_success"]) + "\n")
        for lang, m in rep["attack_success_by_lang"].items():
            out(_line(lang, m) + "\n")
    out(" per kind\n" if rep["dataset"] == "pii" else " per class\n")
    for k, m in rep["by_kind"].items():
        out(_line(k, m) + "\n")
    if rep.get("confusion"):
        out(" confusion (gold -> predicted)\n")
        for gold, row in rep["confusion"].items():
            out(f"  {gold:10} " + "  ".join(f"{p} {n:3d}" for p, n in row.items()) + "\n")
    hard = {
        k: v
        for k, v in rep["by_tag"].items()
        if k.startswith(("hard_negative", "speech:", "hotline"))
    }
    if hard:
        out(" accuracy on tags\n")
        for t, v in hard.items():
            out(f"  {t:18} {v['correct']}/{v['n']}\n")
    out(f" stages: {', '.join(f'{k} {v}' for k, v in rep['stages'].items())}\n")
    for e in rep.get("errors") or []:
        what = e.get("problems") or f"{e.get('gold')} -> {e.get('predicted')}"
        out(f"  ! {e['id']} {what}: {e['text'][:90]!r}\n")
    out("\n")
