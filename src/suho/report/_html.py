"""The HTML report: one self-contained offline file.

Security model: every piece of model text is untrusted. The overview is rendered server-side
with Jinja autoescaping; the attempts travel as data (JSON, or gzip+base64 for big runs) inside
a non-executable ``<script type="application/…">`` element and are drawn by the page's own
script through ``textContent`` only. A Content-Security-Policy allows exactly that one script
and that one stylesheet (by SHA-256 hash), nothing from the network, and Trusted Types, so even
a future bug that passes data to ``innerHTML`` would be refused by the browser.

Size: a run's attempts are streamed from the store in pages; texts in the page are cut to a
budget that shrinks with the run's size (the full texts stay in the JSON report).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import io
import json
import zlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from jinja2 import Environment, PackageLoader, select_autoescape
from jinja2.bccache import Bucket, BytecodeCache, FileSystemBytecodeCache
from markupsafe import Markup

from suho._paths import suho_home
from suho.report._data import summary
from suho.report._i18n import UI, ko, table
from suho.report._pagedata import (
    PARALLEL_ABOVE,
    ROW_FIELDS,
    dictionaries,
    fork_pool,
    iter_json,
    seq_halves,
)
from suho.report._svg import gap_chart, heatmap
from suho.report._views import heatmap as heat_cells
from suho.report._views import lang_by_category
from suho.store import Store

# Characters of model text the page may hold for the whole run; each attempt gets its share.
TEXT_BUDGET = 12_000_000
MIN_CAP, MAX_CAP = 120, 4000
# Above this many attempts the data is gzip-compressed (and base64-encoded) in the page.
COMPRESS_ABOVE = 1000
# gzip level of the page data: level 1 is four times faster than 6 and the page stays < 10 MB.
ZLEVEL = 1


def text_cap(n_attempts: int, budget: int = TEXT_BUDGET) -> int:
    """Characters of each response shown in the page for a run of ``n_attempts``."""
    return max(MIN_CAP, min(MAX_CAP, budget // max(n_attempts, 1)))


@cache
def _asset(name: str) -> str:
    return resources.files("suho.report").joinpath("templates", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def csp(js: str, css: str) -> str:
    """The page's policy: its own script and style by hash, images only as data: URIs."""
    return (
        "default-src 'none'; "
        f"script-src {_sha256(js)}; "
        f"style-src {_sha256(css)}; "
        "img-src data:; base-uri 'none'; form-action 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'"
    )


def json_for_script(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>``, ``&``, U+2028 or U+2029."""
    return escape_json(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def escape_json(s: str) -> str:
    # These characters can only occur inside JSON strings, so \\u escapes keep the JSON equal.
    return (
        s.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pct(r: dict[str, Any] | None) -> str:
    if not r or not r.get("trials") or r.get("rate") is None:
        return "–"
    return f"{r['rate'] * 100:.1f}%"


def _ci(r: dict[str, Any] | None) -> str:
    if not r or not r.get("trials") or r.get("ci_low") is None:
        return "–"
    return f"95% CI {r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f}%"


def _pp(x: float | None) -> str:
    return "–" if x is None else f"{x:+.1f}pp"


def _gap_rows(s: dict[str, Any], groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chart rows: overall, then each category; paired statistics when the summary has them."""
    gap = s.get("gap")
    rows: list[dict[str, Any]] = []
    if gap and gap.get("overall"):
        o = gap["overall"]
        rows.append(
            {
                "label": ko("overall") + " / overall",
                "ko": o["a_rate"],
                "en": o["b_rate"],
                "note": _gap_note(o),
            }
        )
        for cat, g in sorted((gap.get("by_category") or {}).items()):
            rows.append({"label": cat, "ko": g["a_rate"], "en": g["b_rate"], "note": _gap_note(g)})
        return rows
    by_lang = s["rates"]["attack_success_by_lang"]
    rows.append(
        {
            "label": ko("overall") + " / overall",
            "ko": by_lang.get("ko"),
            "en": by_lang.get("en"),
            "note": "",
        }
    )
    for cat, langs in lang_by_category(groups).items():
        rows.append({"label": cat, "ko": langs.get("ko"), "en": langs.get("en"), "note": ""})
    return rows


def _gap_more(gap: dict[str, Any] | None) -> list[tuple[str, str, dict[str, Any]]]:
    """The paired comparisons beyond overall and per category: ``(i18n key, name, GapStat)``."""
    if not gap:
        return []
    rows: list[tuple[str, str, dict[str, Any]]] = []
    rows += [("gap_by_transform", t, g) for t, g in (gap.get("by_transform") or {}).items()]
    by_attack = gap.get("by_attack") or {}
    if len(by_attack) > 1 or any(a != "single" for a in by_attack):
        rows += [("gap_by_attack", a, g) for a, g in by_attack.items()]
    rows += [("gap_styles", t, g) for t, g in (gap.get("korean_attack_styles") or {}).items()]
    if gap.get("cultural"):
        rows.append(("gap_cultural", "adapted − literal", gap["cultural"]))
    if gap.get("over_refusal"):
        rows.append(("gap_over", "ko − en", gap["over_refusal"]))
    return [r for r in rows if r[2].get("n_pairs")]


def _gap_note(g: dict[str, Any]) -> str:
    star = " *" if g.get("significant") else ""
    return (
        f"Δ {_pp(g.get('diff_pp'))} [{_pp(g.get('ci_low_pp'))}, {_pp(g.get('ci_high_pp'))}]{star}"
    )


class _CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates kept between runs: compiling the report template costs about 0.09 s of
    CPU, a tenth of a short scan's fixed cost. Jinja checks each entry against its template's
    source checksum and Python version; an entry that cannot be read or written is skipped, so
    a read-only or broken cache folder costs the compile and nothing else."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def template_cache(directory: Path) -> BytecodeCache | None:
    """The compiled-template cache in ``directory`` (made private to the user), or None when it
    cannot be made."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(directory))


def make_env(cache_dir: Path | None) -> Environment:
    """The report's Jinja environment; ``cache_dir`` keeps compiled templates (None: none)."""
    return Environment(
        loader=PackageLoader("suho.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=template_cache(cache_dir) if cache_dir is not None else None,
    )


@cache
def _env() -> Environment:
    return make_env(suho_home() / "templates")


def _agent_pct(r: dict[str, Any] | None) -> str:
    if not r or not r.get("trials") or r.get("value") is None:
        return "–"
    return f"{r['value'] * 100:.1f}%"


def _agent_ci(r: dict[str, Any] | None) -> str:
    if not r or not r.get("trials") or r.get("ci_low") is None:
        return ""
    return f"[{r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f}%]"


def _agent_context(store: Store, s: dict[str, Any], redacted: bool) -> dict[str, Any]:
    """What the agent section needs (nothing for a run that is not an agent scan)."""
    agent = s.get("agent")
    if not agent:
        return {"agent": None}
    from suho.agents._transcripts import agent_transcripts

    return {
        "agent": agent,
        "agent_pct": _agent_pct,
        "agent_ci": _agent_ci,
        "agent_tables": [
            (f"agent_{k}", list(agent[k].items()))
            for k in ("by_suite", "by_attack", "by_defense", "by_lang")
            if agent.get(k)
        ],
        "transcripts": [] if redacted else agent_transcripts(store, s["run_id"]),
    }


def render_shell(store: Store, s: dict[str, Any], *, redacted: bool, cap: int) -> tuple[str, str]:
    """The page before and after the data element, for the run summarised in ``s``."""
    rid = s["run_id"]
    # Findings are the group counts as of the run's last execution; a run still executing may
    # have moved on since, so read the live counts then.
    groups = (
        s["findings"] if s["status"] not in ("running", "planning") else store.group_counts(rid)
    )
    js, css = _asset("report.js"), _asset("report.css")
    heat = heat_cells(groups)
    rates = s["rates"]
    by_attack: dict[str, Any] = rates.get("attack_success_by_attack") or {}
    sev_rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "none": 4}
    findings = sorted(
        (f for f in s["findings"] if f["successes"] or f["errors"]),
        key=lambda f: (
            sev_rank.get(f.get("severity") or "none", 5),
            -(f.get("rate") or 0.0),
            f["category"],
        ),
    )
    t = s["target"] or {}
    target = f"{t.get('provider', '?')}:{t.get('model', '?')}" + (
        f" ({t['base_url']})" if t.get("base_url") else ""
    )
    meta = {
        "i18n": {"ko": table(0), "en": table(1)},
        "fields": {name: i for i, name in enumerate(ROW_FIELDS)},
        "run_id": rid,
        "cap": cap,
        "redacted": redacted,
    }
    html = (
        _env()
        .get_template("report.html.j2")
        .render(
            s=s,
            ko=ko,
            pct=_pct,
            ci=_ci,
            pp=_pp,
            pct_f=lambda f: _pct({"rate": f["rate"], "trials": f["trials"]}),
            ci_f=lambda f: _ci(
                {"ci_low": f["ci_low"], "ci_high": f["ci_high"], "trials": f["trials"]}
            ),
            gap=s.get("gap"),
            gap_more=_gap_more(s.get("gap")),
            **_agent_context(store, s, redacted),
            target=target,
            created=_iso(s["created_at"]),
            finished=_iso(s["finished_at"]),
            redacted=redacted,
            csp=csp(js, css),
            css=Markup(css),
            js=Markup(js),
            meta_json=Markup(json_for_script(meta)),
            gap_svg=gap_chart(_gap_rows(s, groups), title_id="gap-title"),
            heat_svg=heatmap(
                heat["categories"], heat["transforms"], heat["cells"], title_id="heat-title"
            ),
            rate_tables=[
                (
                    "by_lang",
                    "lang",
                    [(k, v, None) for k, v in rates["attack_success_by_lang"].items()],
                ),
                (
                    "by_transform",
                    "transform",
                    [(k, v, None) for k, v in rates["attack_success_by_transform"].items()],
                ),
                (
                    "by_category",
                    "category",
                    [(k, v, None) for k, v in rates["attack_success_by_category"].items()],
                ),
                *(
                    [("by_attack", "attack", [(k, v, None) for k, v in by_attack.items()])]
                    if len(by_attack) > 1 or any(a != "single" for a in by_attack)
                    else []
                ),
            ],
            over_rows=[("all", rates["over_refusal"]), *list(rates["over_refusal_by_lang"].items())]
            if rates["over_refusal"]["trials"]
            else [],
            findings=findings,
            **_cyber_parts(store, s),
        )
    )
    head, sep, tail = html.partition("<!--suho:data-->")
    if not sep:  # pragma: no cover - the template always has the marker
        raise RuntimeError("report template lost its data marker")
    return head, tail


def _cyber_parts(store: Store, s: dict[str, Any]) -> dict[str, Any]:
    """The cyber range's charts and transcripts, for a cyber run (see ``suho.cyber._html``)."""
    if not s.get("cyber"):
        return {"cyber": None}
    from suho.cyber._html import charts, transcripts

    rows, total = transcripts(store.iter_attempts(s["run_id"]))
    return {"cyber": s["cyber"], "cyber_charts": charts(s["cyber"]),
            "cyber_transcripts": rows, "cyber_total": total}  # fmt: skip


class _Sink:
    """Writes the data element's body: escaped JSON, or gzip + base64 in whole 3-byte groups."""

    def __init__(self, out: TextIO, compress: bool) -> None:
        self.out = out
        self.z = zlib.compressobj(ZLEVEL, zlib.DEFLATED, 31) if compress else None
        self.buf = bytearray()

    def write(self, s: str) -> None:
        if self.z is None:
            self.out.write(escape_json(s))
            return
        self.buf += self.z.compress(s.encode("utf-8"))
        if len(self.buf) >= 1 << 16:
            n = len(self.buf) - len(self.buf) % 3
            self.out.write(base64.b64encode(bytes(self.buf[:n])).decode("ascii"))
            del self.buf[:n]

    def close(self) -> None:
        if self.z is not None:
            self.buf += self.z.flush()
            self.out.write(base64.b64encode(bytes(self.buf)).decode("ascii"))
            self.buf.clear()


def write_data(
    store: Store,
    run_id: str,
    out: TextIO,
    *,
    cap: int,
    compress: bool,
    redact: bool,
    part: int = 0,
    seqs: tuple[int, int] | None = None,
    dicts: dict[str, list[str]] | None = None,
) -> None:
    """Stream attempts as one of the page's data elements (see ``suho.report._pagedata``)."""
    pcap = max(cap * 2, 400)
    sink = _Sink(out, compress)
    kind = "application/octet-stream" if compress else "application/json"
    encoding = ' data-encoding="gzip+base64"' if compress else ""
    ident = "data" if part == 0 else f"data-{part}"
    out.write(f'<script type="{kind}" id="{ident}" data-part="{part}"{encoding}>')
    for piece in iter_json(
        store, run_id, cap=cap, pcap=pcap, redact=redact, dicts=dicts, seqs=seqs
    ):
        sink.write(piece)
    sink.close()
    out.write("</script>\n")


def _data_part(
    url: str, run_id: str, seqs: tuple[int, int], part: int, opts: dict[str, Any]
) -> str:
    """One data element, built in a worker process with its own connection to the store."""
    store = Store.open(url, migrate=False)
    try:
        buf = io.StringIO()
        write_data(store, run_id, buf, part=part, seqs=seqs, **opts)
        return buf.getvalue()
    finally:
        store.close()


def write_html(
    store: Store,
    run_id: str,
    out: TextIO,
    *,
    redact: bool = False,
    compress: bool | None = None,
    text_budget: int = TEXT_BUDGET,
    parallel: bool | None = None,
    summary_data: dict[str, Any] | None = None,
) -> None:
    """Write the report page for ``run_id`` to ``out``.

    ``compress``: None picks gzip+base64 for runs above ``COMPRESS_ABOVE`` attempts.
    ``parallel``: None builds the data of runs above ``PARALLEL_ABOVE`` attempts in two worker
    processes while this one computes the summary.
    ``summary_data``: the run's ``summary``, when the caller already has it.
    """
    rid = store.resolve_run_id(run_id)
    n = store.totals(rid).attempts
    cap = text_cap(n, text_budget)
    opts: dict[str, Any] = {
        "cap": cap,
        "compress": n > COMPRESS_ABOVE if compress is None else compress,
        "redact": redact,
        "dicts": dictionaries(store, rid),
    }
    pool = fork_pool(2) if (n > PARALLEL_ABOVE if parallel is None else parallel) else None
    if pool is None:
        s = summary_data if summary_data is not None else summary(store, rid)
        head, tail = render_shell(store, s, redacted=redact, cap=cap)
        out.write(head)
        write_data(store, rid, out, **opts)
        out.write(tail)
        return
    with pool:
        jobs = [
            pool.submit(_data_part, store.url, rid, seqs, part, opts)
            for part, seqs in enumerate(seq_halves(store, rid))
        ]
        s = summary_data if summary_data is not None else summary(store, rid)
        head, tail = render_shell(store, s, redacted=redact, cap=cap)
        out.write(head)
        for job in jobs:
            out.write(job.result())
        out.write(tail)


__all__ = ["TEXT_BUDGET", "UI", "csp", "json_for_script", "text_cap", "write_html"]
