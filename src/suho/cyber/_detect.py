"""Evaluate a detection rule (runs INSIDE the grader sandbox, stdlib only).

Usage: detect.py RULE_FILE ATTACK_LOG BENIGN_LOG. The rule file's first non-empty, non-comment
line is a Python regular expression, matched case-insensitively with ``re.search`` against each
line. Prints one JSON object: ``{"tp", "attack", "fp", "benign"}`` or ``{"error"}``.
"""

from __future__ import annotations

import json
import re
import sys


def main() -> None:
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        lines = [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        print(json.dumps({"error": "the rule file is empty"}))
        return
    try:
        rx = re.compile(lines[0], re.IGNORECASE)
    except re.error as e:
        print(json.dumps({"error": f"not a regular expression: {e}"}))
        return

    def hits(path: str) -> tuple[int, int]:
        with open(path, encoding="utf-8") as f:
            logs = [ln.rstrip("\n") for ln in f if ln.strip()]
        return sum(1 for ln in logs if rx.search(ln)), len(logs)

    tp, n_attack = hits(sys.argv[2])
    fp, n_benign = hits(sys.argv[3])
    print(json.dumps({"tp": tp, "attack": n_attack, "fp": fp, "benign": n_benign}))


if __name__ == "__main__":
    main()
