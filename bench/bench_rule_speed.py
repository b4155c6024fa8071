"""Speed of the ``refusal`` detector's rule stage (structure rules + non-answer checks), one core.

Measures answers per second of CPU time on the real-answer set (``answers.jsonl``: answers of the
embedded models with their prompts, 217 characters on average) and on the written refusal set,
for this tree and, with ``--before SRC``, for an earlier suho side by side, alternating rounds so
that both see the same machine load::

    git -C . archive main src/suho | tar -x -C /tmp/before   # or any checkout's src/
    python bench/bench_rule_speed.py --before /tmp/before/src

Each side runs in its own process (``PYTHONPATH`` set to its ``src``) on the same records, read
from this tree; morphology is off (the rule stage alone). CPU time counts only that process, so
the figures hold on a shared machine better than wall time, but a loaded machine (shared caches,
frequency) still slows both sides: compare the ratio, and read the load average printed with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import update_section  # noqa: E402

VALIDATION = ROOT / "src" / "suho" / "data" / "validation"

# Runs inside the measured suho: prints {"answers": {...}, "written": {...}} (answers/s).
_PROBE = r"""
import json, sys, time
from suho.detectors._answer import non_answer
from suho.detectors._base import DetectInput
from suho.detectors._refusal import RefusalDetector, classify

def load(path):
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]

def item(r):
    return DetectInput(
        text=r["text"], lang=str(r.get("prompt_lang") or r["lang"]),
        prompt=str(r.get("prompt") or ""),
        original_prompt=str(r.get("original_prompt") or r.get("prompt") or ""),
    )

det = RefusalDetector(morph=False)
passes = int(sys.argv[3])
out = {}
for name, path in (("answers", sys.argv[1]), ("written", sys.argv[2])):
    items = [item(r) for r in load(path)]
    fns = {
        "detector": det.check,
        "structure rules": lambda it: classify(it.text),
        "non-answer checks": lambda it: non_answer(
            it.text, it.prompt, original_prompt=it.original_prompt
        ),
    }
    res = {}
    for label, fn in fns.items():
        for it in items:
            fn(it)
        best = 0.0
        for _ in range(passes):
            c0 = time.process_time()
            for _ in range(5):
                for it in items:
                    fn(it)
            c = time.process_time() - c0
            best = max(best, 5 * len(items) / c if c else 0.0)
        res[label] = best
    out[name] = res
print(json.dumps(out))
"""


def _measure(src: Path, passes: int) -> dict[str, dict[str, float]]:
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROBE,
            str(VALIDATION / "answers.jsonl"),
            str(VALIDATION / "refusal.jsonl"),
            str(passes),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    data: dict[str, dict[str, float]] = json.loads(out.stdout)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--before", type=Path, help="src/ of an earlier suho to compare with")
    ap.add_argument("--label", default="main", help="what --before is (for the table)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per side")
    ap.add_argument("--passes", type=int, default=5, help="timed passes per round (best kept)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    a = ap.parse_args()
    load0 = os.getloadavg()
    sides: dict[str, list[dict[str, dict[str, float]]]] = {"now": [], "before": []}
    for _ in range(a.rounds):
        if a.before:
            sides["before"].append(_measure(a.before, a.passes))
        sides["now"].append(_measure(ROOT / "src", a.passes))
    load1 = os.getloadavg()

    def med(side: str, s: str, stage: str) -> float:
        return statistics.median(r[s][stage] for r in sides[side])

    lines = [
        f"Rounds: {a.rounds} per side, alternating; each figure is the median over rounds of the "
        f"best of {a.passes} timed passes (answers per second of CPU time, one core). "
        f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load0)}; after: "
        f"{', '.join(f'{x:.2f}' for x in load1)} (2 cores, shared with other work).",
        "",
    ]
    head = "| set | stage | now |"
    rule = "|---|---|---:|"
    if a.before:
        head += f" before ({a.label}) | ratio |"
        rule += "---:|---:|"
    lines += [head, rule]
    for s, desc in (
        ("answers", "real answers + prompts (197)"),
        ("written", "written set, text only (416)"),
    ):
        for stage in ("detector", "structure rules", "non-answer checks"):
            now = med("now", s, stage)
            row = f"| {desc} | {stage} | {now:,.0f} |"
            if a.before:
                before = med("before", s, stage)
                row += f" {before:,.0f} | {now / before:.2f}× |"
            lines.append(row)
    lines += [
        "",
        "`detector` is `RefusalDetector(morph=False).check`: the structure rules, then the "
        "non-answer checks for every answer that is not a refusal, and the calibration map.",
    ]
    body = "\n".join(lines)
    print(body)
    if not a.no_write:
        cmd = "python bench/bench_rule_speed.py --before /tmp/before/src"
        update_section("rule-speed", "Refusal rule stage on real answers (issue 17)", body, cmd)


if __name__ == "__main__":
    main()
