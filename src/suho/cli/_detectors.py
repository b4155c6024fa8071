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
            "embedded models, labelled here; per source model), answers-holdout and "
            "answers-holdout2 (real answers to other prompts, labelled before any detector saw "
            "them; both since read), answers-holdout3 to answers-holdout5 (more such sets, each "
            "for one measurement of the rebuilt rules), pii, cyber, cyber-holdout or "
            "cyber-holdout2 (cyber requests written without reading the rules). Default: the "
            "detector's own set.",
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Measure a refusal detector (refusal or judge) on your own labelled answers: "
            ".jsonl, .csv or .tsv, one answer with its human label a row (see "
            "docs/detectors.md, 'Measuring on your own labelled answers').",
        ),
    ] = None,
    text_field: Annotated[
        str | None,
        typer.Option(
            "--text-field",
            help="--file: the answer's field (default: first present of text, completion, "
            "response, answer, output).",
        ),
    ] = None,
    label_field: Annotated[
        str | None,
        typer.Option(
            "--label-field",
            help="--file: the label's field (default: first present of label, final_label, "
            "gold, human_label).",
        ),
    ] = None,
    lang_field: Annotated[
        str | None,
        typer.Option(
            "--lang-field",
            help="--file: the language's field (default: lang or language; when absent, "
            "ko / en / mixed read off the answer's script).",
        ),
    ] = None,
    prompt_field: Annotated[
        str | None,
        typer.Option(
            "--prompt-field", help="--file: the prompt's field (default: prompt or question)."
        ),
    ] = None,
    model_field: Annotated[
        str | None,
        typer.Option(
            "--model-field",
            help="--file: the source model's field, for figures per model (default: model or "
            "source_model).",
        ),
    ] = None,
    refusal_labels: Annotated[
        str | None,
        typer.Option("--refusal-labels", help="--file: label values that mean a refusal (a,b)."),
    ] = None,
    comply_labels: Annotated[
        str | None,
        typer.Option("--comply-labels", help="--file: label values that mean compliance (a,b)."),
    ] = None,
    partial_labels: Annotated[
        str | None,
        typer.Option(
            "--partial-labels",
            help="--file: label values that mean a partial refusal (counted as not a refusal).",
        ),
    ] = None,
    non_answer_labels: Annotated[
        str | None,
        typer.Option(
            "--non-answer-labels",
            help="--file: label values that mean no answer at all (counted as not a refusal).",
        ),
    ] = None,
    skip_labels: Annotated[
        str | None,
        typer.Option("--skip-labels", help="--file: label values to leave out (a,b)."),
    ] = None,
    drop_partial: Annotated[
        bool,
        typer.Option("--drop-partial", help="--file: leave out every partial refusal."),
    ] = False,
) -> None:
    """Measure detectors on the shipped, labelled validation sets, or on your own (--file).

    Prints precision, recall and F1 overall, per language and per kind (PII) or class
    (refusal / partial / comply). Refusal metrics count a hit as "the answer refuses", beside
    two string-match baselines (contains a stock phrase; starts with a stock refusal).
    """
    from suho.detectors import get_detector
    from suho.detectors._eval import evaluate

    names = [name] if name else list(_WITH_SETS)
    from suho.detectors._eval import SPLITS

    if split not in (*SPLITS, "all"):
        raise SuhoInputError(f"--split must be one of {', '.join(SPLITS)} or all, not {split!r}")
    file_opts = {
        "--text-field": text_field,
        "--label-field": label_field,
        "--lang-field": lang_field,
        "--prompt-field": prompt_field,
        "--model-field": model_field,
        "--refusal-labels": refusal_labels,
        "--comply-labels": comply_labels,
        "--partial-labels": partial_labels,
        "--non-answer-labels": non_answer_labels,
        "--skip-labels": skip_labels,
        "--drop-partial": drop_partial or None,
    }
    if file is None and (given := [k for k, v in file_opts.items() if v is not None]):
        raise SuhoInputError(f"{', '.join(given)} apply only with --file")
    if file is not None:
        if dataset is not None:
            raise SuhoInputError("--file and --set are two sources: give one")
        if split != "all":
            raise SuhoInputError("--split applies to the shipped sets, not to --file")
        names = [name or "refusal"]
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
        if file is not None:
            try:
                rep = _eval_file(n, file, det, file_opts)
            finally:
                if det is not None and hasattr(det, "aclose"):
                    import asyncio

                    asyncio.run(det.aclose())
            if not errors:
                rep.pop("errors", None)
            reports.append(rep)
            continue
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


def _labels(value: Any) -> tuple[str, ...]:
    return tuple(v.strip() for v in str(value or "").split(",") if v.strip())


def _eval_file(name: str, path: str, det: Any, opts: dict[str, Any]) -> dict[str, Any]:
    """The report of detector ``name`` on the user's labelled answer file."""
    from suho.detectors._eval import evaluate_file
    from suho.detectors._eval_file import FileFields, LabelMap

    fields = FileFields(
        text=opts["--text-field"],
        label=opts["--label-field"],
        lang=opts["--lang-field"],
        prompt=opts["--prompt-field"],
        model=opts["--model-field"],
    )
    labels = LabelMap(
        refusal=_labels(opts["--refusal-labels"]),
        comply=_labels(opts["--comply-labels"]),
        partial=_labels(opts["--partial-labels"]),
        non_answer=_labels(opts["--non-answer-labels"]),
        skip=_labels(opts["--skip-labels"]),
        drop_partial=bool(opts["--drop-partial"]),
    )
    return evaluate_file(name, path, detector=det, fields=fields, labels=labels).to_dict()


def _line(label: str, m: dict[str, Any]) -> str:
    return (
        f"  {label:18} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}"
        f"   (tp {m['tp']}, fp {m['fp']}, fn {m['fn']})"
    )


def _print_lomo(lomo: dict[str, Any]) -> None:
    """The leave-one-model-out table (see docs/detectors.md)."""
    out = sys.stdout.write
    if "by_model" not in lomo:
        out(f" {lomo['note']} (here only: {', '.join(lomo['models']) or 'none'})\n")
        return
    out(
        " leave-one-model-out: calibration and cascade threshold fitted on the other models,\n"
        "  measured on this one (the rules are fixed: their P/R/F1 do not depend on the fit)\n"
    )
    out(
        f"  {'held out':18} {'F1':>6} {'ECE raw':>8} {'ECE cal':>8} {'thresh':>7} "
        f"{'to judge':>9} {'kept right':>11}\n"
    )
    for model, m in lomo["by_model"].items():
        c = m["cascade"]
        rows = [(model, m["rules"], m["reliability"].get("all", {}), c)]
        rows += [
            (f"  {lang}", prf, m["reliability"].get(lang, {}), None)
            for lang, prf in m["rules_by_lang"].items()
        ]
        for label, prf, rel, casc in rows:
            tail = ""
            if casc is not None:
                tail = (
                    f" {m['threshold']:7.4f} {casc['to_judge']:4d}/{casc['n']:<4d} "
                    f"{casc['kept_right_refusal']:5d}/{casc['kept']:<5d}"
                )
            out(
                f"  {label:18} {prf['f1']:6.3f} {rel.get('ece_raw', 0.0):8.3f} "
                f"{rel.get('ece_calibrated', 0.0):8.3f}{tail}\n"
            )
    mac = lomo["macro"]
    out(
        f"  {'macro (mean)':18} {mac['f1']:6.3f} {mac['ece_raw']:8.3f} {mac['ece_calibrated']:8.3f}"
        f"         {mac['to_judge_share']:8.1%} to judge\n"
    )


def _print_report(rep: dict[str, Any]) -> None:
    out = sys.stdout.write
    from suho.detectors._eval import _SET_FILES, ANSWER_SETS

    ds = rep["dataset"]
    hit = (
        "hit = refusal"
        if ds == "refusal" or ds in ANSWER_SETS
        else "hit = offensive"
        if ds == "cyber"
        else "span level"
    )

    if rep.get("file"):
        _print_file_head(rep)
    else:
        fname = _SET_FILES.get(rep["dataset"], rep["dataset"])
        out(f"{rep['detector']} on {fname}.jsonl, split {rep['split']}, {rep['n']} items ({hit})\n")
    out(_line("overall", rep["overall"]) + "\n")
    for s, m in (rep.get("splits") or {}).items():
        out(_line(f"split {s}", m) + "\n")
    out(" per language\n")
    for lang, m in rep["by_lang"].items():
        out(_line(lang, m) + "\n")
    if rep.get("by_model"):
        out(
            " per source model\n"
            if rep.get("file")
            else " per source model (answers set: see docs/detectors.md for which built the rules)\n"
        )
        for k, m in rep["by_model"].items():
            out(_line(k, m) + "\n")
        for k, m in rep["by_model_lang"].items():
            out(_line("  " + k, m) + "\n")
    for key, title in (
        ("baseline", "string-match baseline (contains a stock refusal phrase)"),
        ("prefix_baseline", "prefix baseline (starts with a stock refusal)"),
    ):
        if rep.get(key):
            out(f" {title} on the same items\n")
            out(_line("overall", rep[key]) + "\n")
            for lang, m in rep[f"{key}_by_lang"].items():
                out(_line(lang, m) + "\n")
            for model, m in (rep.get(f"{key}_by_model") or {}).items():
                out(_line(model, m) + "\n")
    if above := rep.get("above_baselines"):
        yes = {True: "yes", False: "no"}
        out(
            f" F1 above the baselines: contains {yes[above['contains']]}, "
            f"prefix {yes[above['prefix']]}\n"
        )
    if rep.get("reliability"):
        out(" score as P(refusal): expected calibration error, calibrated (raw rule score)\n")
        for lang, r in rep["reliability"].items():
            out(
                f"  {lang:18} ECE {r['ece']:.3f} ({r['ece_raw']:.3f})   "
                f"n {r['n']}, refusals {r['refusals']}\n"
            )
    if rep.get("leave_one_model_out"):
        _print_lomo(rep["leave_one_model_out"])
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
        where = e["id"]
        if "line" in e and where != f"line {e['line']}":
            where = f"line {e['line']} ({where})"
        out(f"  ! {where} {what}: {e['text'][:90]!r}\n")
    out("\n")


def _print_file_head(rep: dict[str, Any]) -> None:
    """What was read from a user's file, and how its labels were taken."""
    out = sys.stdout.write
    f = rep["file"]
    out(
        f"{rep['detector']} on {f['path']}: {rep['n']} answers, {f['skipped']} left out by "
        "label (hit = refusal; partial refusals and non-answers count as not refusing)\n"
    )
    mapping = ", ".join(
        f"{raw!r} -> {cls} ({f['label_counts'][raw]})" for raw, cls in f["label_map"].items()
    )
    out(f" labels: {mapping}\n")
    fields = "; ".join(f"{role} {', '.join(names)}" for role, names in f["fields"].items())
    out(f" fields: {fields}\n")
    if f["langs_detected"]:
        out(f" language read off the script (ko / en / mixed) for {f['langs_detected']} answers\n")
