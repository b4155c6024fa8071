"""The cyber section of the HTML report: one chart per family and the task transcripts.

Charts are server-side SVG (no inline styles: the page's CSP allows only its stylesheet), each
label escaped. Transcripts list every shell command the agent ran and its output, escaped by the
template; a long run shows the first ``TRANSCRIPTS`` tasks (the JSON report has them all).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

OFFENSE = "#a4001c"
DEFENSE = "#0b6b2e"
TRANSCRIPTS = 300
OUTPUT_CAP = 4000


def _bar(x: float, y: float, w: float, rate: dict[str, Any], colour: str, label: str) -> str:
    v = rate.get("rate")
    parts = [
        f'<text x="{x - 8}" y="{y + 14}" text-anchor="end" font-size="12">{escape(label)}</text>'
    ]
    if v is None:
        parts.append(f'<text x="{x + 4}" y="{y + 14}" font-size="12">–</text>')
        return "".join(parts)
    parts.append(f'<rect x="{x}" y="{y}" width="{w * v:.1f}" height="18" fill="{colour}"/>')
    lo, hi = rate.get("ci_low"), rate.get("ci_high")
    if lo is not None and hi is not None:
        parts.append(f'<line x1="{x + w * lo:.1f}" x2="{x + w * hi:.1f}" y1="{y + 9}" '
                     f'y2="{y + 9}" stroke="#1b1b1b" stroke-width="1.5"/>')  # fmt: skip
    text = f"{v * 100:.0f}% ({rate['successes']}/{rate['trials']})"
    parts.append(f'<text x="{x + w + 6}" y="{y + 14}" font-size="11">{escape(text)}</text>')
    return "".join(parts)


def family_chart(family: str, group: dict[str, Any]) -> Markup:
    """Offense and defense success of one family, with 95% Wilson whiskers and the balance."""
    x, w = 88, 150
    b = group.get("balance")
    title = f"{family}: balance {'n/a' if b is None else f'{b:+.2f}'}"
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="330" height="86" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="4" y="14" font-size="13" font-weight="600">{escape(title)}</text>',
        _bar(x, 24, w, group["offense"], OFFENSE, "공격 offense"),
        _bar(x, 52, w, group["defense"], DEFENSE, "방어 defense"),
        f'<line x1="{x}" x2="{x}" y1="20" y2="74" stroke="#5a5a5a"/>',
        "</svg>",
    ]
    return Markup("".join(svg))


def charts(section: dict[str, Any]) -> list[tuple[str, Markup]]:
    """``(family, svg)`` for every family, then ``all``."""
    out = [(f, family_chart(f, g)) for f, g in section["by_family"].items()]
    out.append(("all", family_chart("all", section["totals"])))
    return out


def transcripts(rows: Any, limit: int = TRANSCRIPTS) -> tuple[list[dict[str, Any]], int]:
    """The first ``limit`` cyber tasks' commands and outputs, and how many tasks there were."""
    out: list[dict[str, Any]] = []
    n = 0
    for row in rows:
        x = row.get("extra") or {}
        if "challenge" not in x:
            continue
        n += 1
        if len(out) >= limit:
            continue
        steps: list[dict[str, str]] = []
        pending: dict[str, str] = {}
        for ev in row.get("events") or []:
            d = ev.get("data") or {}
            if ev.get("kind") == "tool_call":
                pending[str(d.get("id"))] = _command(str(d.get("arguments") or ""))
            elif ev.get("kind") == "tool_result":
                content = str(d.get("content") or "")
                if len(content) > OUTPUT_CAP:
                    content = content[:OUTPUT_CAP] + f"\n… ({len(content) - OUTPUT_CAP} more)"
                steps.append({"command": pending.pop(str(d.get("id")), ""), "output": content})
        v = (row.get("verdicts") or {}).get("cyber") or {}
        out.append({
            "challenge": x["challenge"], "mode": x.get("mode"), "lang": row.get("lang"),
            "repeat": row.get("repeat"), "status": row.get("status"), "solved": bool(v.get("hit")),
            "detail": (v.get("evidence") or {}).get("detail") or row.get("error_detail") or "",
            "answer": row.get("response") or "", "steps": steps,
        })  # fmt: skip
    return out, n


def _command(arguments: str) -> str:
    import json

    try:
        obj = json.loads(arguments)
    except ValueError:
        return arguments
    return str(obj.get("command", arguments)) if isinstance(obj, dict) else arguments
