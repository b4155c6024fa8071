"""Repository hygiene: no unresolved merge-conflict blocks in anything we ship or document."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7}|>{7})( |$)|^={7}$", re.MULTILINE)


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    suffixes = {
        ".py",
        ".md",
        ".toml",
        ".cfg",
        ".ini",
        ".yaml",
        ".yml",
        ".jsonl",
        ".json",
        ".html",
        ".j2",
        ".txt",
    }
    return [ROOT / p for p in out if Path(p).suffix in suffixes or p in {"Makefile", ".ci/run"}]


def test_no_merge_conflict_markers() -> None:
    files = _tracked_text_files()
    assert files, "git ls-files returned nothing"
    bad = []
    for path in files:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in MARKER.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{path.relative_to(ROOT)}:{line}")
    assert not bad, "unresolved merge-conflict markers: " + ", ".join(bad)
