"""The HTML report: one self-contained offline file, every piece of model text escaped."""

from __future__ import annotations

from typing import Any, TextIO

from jinja2 import Environment, PackageLoader, select_autoescape

from suho.report._data import iter_attempts, summary
from suho.store import Store


def _pct(r: dict[str, Any] | None) -> str:
    if not r or not r.get("trials") or r.get("rate") is None:
        return "–"
    return f"{r['rate'] * 100:.1f}% ({r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f}%, n={r['trials']})"


def _gap(g: dict[str, Any] | None) -> str:
    """A paired gap as "+12.5 pp (95% CI 4.1 to 20.3), p=0.004"."""
    if not g or not g.get("n_pairs") or g.get("diff_pp") is None:
        return "–"
    p = g["p_value"]
    ps = "p<0.001" if p is not None and p < 0.001 else f"p={p:.3f}"
    return f"{g['diff_pp']:+.1f} pp ({g['ci_low_pp']:.1f} to {g['ci_high_pp']:.1f}), {ps}"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("suho.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["pct"] = _pct
    env.globals["gap"] = _gap
    return env


def write_html(store: Store, run_id: str, out: TextIO) -> None:
    """Render the report, streaming attempts into the page as they are read."""
    s = summary(store, run_id)
    template = _env().get_template("plain.html.j2")
    for chunk in template.generate(s=s, attempts=iter_attempts(store, s["run_id"])):
        out.write(chunk)
