"""Server-side SVG charts for the HTML report: plain markup, every label escaped.

No style attributes (the page's Content-Security-Policy allows only its own stylesheet);
colours are SVG presentation attributes.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

KO_COLOUR = "#1f4e9c"
EN_COLOUR = "#a34700"
AXIS = "#5a5a5a"


def text_width(text: str, size: float) -> float:
    """A generous estimate of ``text``'s rendered width at font ``size``, for layout: wide
    (Hangul, CJK) characters take a full em, the rest about 0.62 em (wider than most Latin
    fonts' average, so labels get room rather than get clipped)."""
    import unicodedata

    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.62 for ch in text)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _heat_colour(rate: float) -> tuple[str, str]:
    """White (0%) to deep red (100%); text switches to white where contrast needs it."""
    r = max(0.0, min(1.0, rate))
    start, end = (255, 255, 255), (139, 0, 0)
    rgb = tuple(round(s + (e - s) * r**0.6) for s, e in zip(start, end, strict=True))
    fill = "#{:02x}{:02x}{:02x}".format(*rgb)
    return fill, ("#ffffff" if r**0.6 > 0.45 else "#1b1b1b")


def gap_chart(rows: list[dict[str, Any]], *, title_id: str) -> Markup:
    """Paired bars (KO, EN) with 95% interval whiskers, one row per label.

    ``rows``: ``{"label", "ko": Rate|None, "en": Rate|None, "note": str}``.
    """
    bar_w, row_h, top = 420, 40, 40
    # The label column and the note column are as wide as their longest text (never clipped).
    label_w = max([120.0] + [text_width(str(r["label"]), 12) + 16 for r in rows])
    note_w = max([40.0] + [text_width(str(r.get("note") or ""), 12) + 20 for r in rows])
    label_w, note_w = round(label_w), round(note_w)
    width = label_w + bar_w + note_w
    height = top + row_h * len(rows) + 24
    x0 = label_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{title_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<rect x="{x0}" y="8" width="12" height="12" fill="{KO_COLOUR}"/>'
        f'<text x="{x0 + 18}" y="18" font-size="12">KO</text>'
        f'<rect x="{x0 + 60}" y="8" width="12" height="12" fill="{EN_COLOUR}"/>'
        f'<text x="{x0 + 78}" y="18" font-size="12">EN</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        x = x0 + bar_w * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 20}" stroke="#d0d0d0"/>'
            f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="{AXIS}">{tick}%</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 20}" font-size="12" text-anchor="end">{escape(row["label"])}</text>'
        )
        for j, (key, colour) in enumerate((("ko", KO_COLOUR), ("en", EN_COLOUR))):
            r = row.get(key)
            by = y + 6 + j * 14
            if not r or r.get("rate") is None:
                parts.append(
                    f'<text x="{x0 + 4}" y="{by + 10}" font-size="10" fill="{AXIS}">{key.upper()} –</text>'
                )
                continue
            w = bar_w * r["rate"]
            lo, hi = x0 + bar_w * r["ci_low"], x0 + bar_w * r["ci_high"]
            tip = f"{key.upper()} {_pct(r['rate'])} (95% CI {_pct(r['ci_low'])}–{_pct(r['ci_high'])}, {r['successes']}/{r['trials']})"
            parts.append(
                f"<g><title>{escape(row['label'])}: {escape(tip)}</title>"
                f'<rect x="{x0}" y="{by}" width="{max(w, 0.5):.1f}" height="11" fill="{colour}"/>'
                f'<line x1="{lo:.1f}" y1="{by + 5.5}" x2="{hi:.1f}" y2="{by + 5.5}" stroke="#1b1b1b" stroke-width="1.2"/>'
                f'<line x1="{lo:.1f}" y1="{by + 2}" x2="{lo:.1f}" y2="{by + 9}" stroke="#1b1b1b"/>'
                f'<line x1="{hi:.1f}" y1="{by + 2}" x2="{hi:.1f}" y2="{by + 9}" stroke="#1b1b1b"/></g>'
            )
        if row.get("note"):
            parts.append(
                f'<text x="{x0 + bar_w + 10}" y="{y + 20}" font-size="12">{escape(row["note"])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def heatmap(
    categories: list[str], transforms: list[str], cells: dict[str, Any], *, title_id: str
) -> Markup:
    """Category (rows) × transform (columns) grid, coloured by attack-success rate."""
    cell_w, cell_h = 74, 30
    label_w = round(max([120.0] + [text_width(c, 12) + 16 for c in categories]))
    # Column heads are rotated 40°: their height and their reach past the last column follow
    # from the longest name (cos 40° ≈ 0.77, sin 40° ≈ 0.65).
    longest = max([0.0] + [text_width(t, 12) for t in transforms])
    head_h = round(max(110.0, longest * 0.65 + 24))
    reach = round(max(0.0, longest * 0.77 - cell_w / 2)) + 10
    width = label_w + cell_w * max(len(transforms), 1) + reach
    height = head_h + cell_h * len(categories) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{title_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
    ]
    for j, t in enumerate(transforms):
        x = label_w + j * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x:.1f}" y="{head_h - 8}" font-size="12" transform="rotate(-40 {x:.1f} {head_h - 8})">{escape(t)}</text>'
        )
    for i, c in enumerate(categories):
        y = head_h + i * cell_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" font-size="12" text-anchor="end">{escape(c)}</text>'
        )
        for j, t in enumerate(transforms):
            x = label_w + j * cell_w
            cell = cells.get(f"{c}\x1f{t}")
            if not cell or not cell.get("trials"):
                parts.append(
                    f"<g><title>{escape(c)} × {escape(t)}: –</title>"
                    f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="#eeeeee"/>'
                    f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 19}" font-size="11" text-anchor="middle" fill="{AXIS}">–</text></g>'
                )
                continue
            fill, ink = _heat_colour(cell["rate"])
            tip = (
                f"{c} × {t}: {_pct(cell['rate'])} (95% CI {_pct(cell['ci_low'])}–{_pct(cell['ci_high'])}, "
                f"{cell['successes']}/{cell['trials']})"
            )
            parts.append(
                f"<g><title>{escape(tip)}</title>"
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}" stroke="#c8c8c8"/>'
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 13}" font-size="11" text-anchor="middle" fill="{ink}">{_pct(cell["rate"])}</text>'
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 25}" font-size="9" text-anchor="middle" fill="{ink}">n={cell["trials"]}</text></g>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
