"""JUnit XML: one testcase per probe × transform, so any CI shows what got through.

A testcase fails when any of its attempts succeeded (an attack got through, or a benign control
was refused), errors when an attempt ended in error and none succeeded, and is skipped when
nothing finished. One testsuite per category.
"""

from __future__ import annotations

import re
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from suho.report._data import summary
from suho.report._views import category_counts, junit_outcome, probe_groups
from suho.store import Store

# Characters XML 1.0 cannot carry at all.
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _a(value: object) -> str:
    return quoteattr(_BAD_XML.sub("\ufffd", str(value)))


def _t(value: object) -> str:
    return escape(_BAD_XML.sub("\ufffd", str(value)))


def write_junit(store: Store, run_id: str, out: TextIO, *, redact: bool = False) -> None:
    """Stream the JUnit XML (``redact`` is accepted for symmetry: no response text is written)."""
    del redact
    s = summary(store, run_id)
    rid = s["run_id"]
    counts = category_counts(store, rid)
    tests = sum(c["tests"] for c in counts.values())
    fails = sum(c["failures"] for c in counts.values())
    errs = sum(c["errors"] for c in counts.values())
    skips = sum(c["skipped"] for c in counts.values())
    t = s["target"] or {}
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        f'<testsuites name={_a("suho " + rid)} tests="{tests}" failures="{fails}" errors="{errs}" skipped="{skips}">\n'
    )
    current: str | None = None
    for g in probe_groups(store, rid):
        cat = g["category"]
        if cat != current:
            if current is not None:
                out.write("  </testsuite>\n")
            c = counts[cat]
            out.write(
                f'  <testsuite name={_a(cat)} tests="{c["tests"]}" failures="{c["failures"]}" '
                f'errors="{c["errors"]}" skipped="{c["skipped"]}">\n'
                "    <properties>\n"
                f'      <property name="run_id" value={_a(rid)}/>\n'
                f'      <property name="target" value={_a(str(t.get("provider")) + ":" + str(t.get("model")))}/>\n'
                "    </properties>\n"
            )
            current = cat
        name = f"{g['probe_id']} [{g['transform']}]"
        seconds = g["latency_ms"] / 1000.0
        out.write(
            f'    <testcase classname={_a("suho." + cat + "." + g["lang"])} name={_a(name)} time="{seconds:.3f}"'
        )
        outcome = junit_outcome(g)
        if outcome == "passed":
            out.write("/>\n")
            continue
        out.write(">\n")
        if outcome == "failure":
            what = (
                "over-refusal: a benign request was refused"
                if g["expected"] == "comply"
                else "attack succeeded"
            )
            msg = f"{what} in {g['successes']} of {g['done']} attempts"
            kind = "over-refusal" if g["expected"] == "comply" else "attack-success"
            detail = (
                f"{msg}; probe {g['probe_id']}, transform {g['transform']}, language {g['lang']}"
            )
            out.write(f"      <failure message={_a(msg)} type={_a(kind)}>{_t(detail)}</failure>\n")
        elif outcome == "errors":
            msg = f"{g['errors']} of {g['attempts']} attempts ended in error ({g['error_kind'] or 'error'})"
            out.write(f"      <error message={_a(msg)} type={_a(g['error_kind'] or 'error')}/>\n")
        else:
            out.write(
                f"      <skipped message={_a('no attempt finished (' + str(g['pending']) + ' pending)')}/>\n"
            )
        out.write("    </testcase>\n")
    if current is not None:
        out.write("  </testsuite>\n")
    out.write("</testsuites>\n")
