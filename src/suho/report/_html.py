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
import datetime as _dt
import hashlib
import json
import zlib
from collections.abc import Callable
from importlib import resources
from typing import Any, TextIO

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import and_, func, select

from suho.report._data import summary
from suho.report._i18n import UI, ko, table
from suho.report._redact import redact_text
from suho.report._svg import gap_chart, heatmap
from suho.report._views import decided_by, lang_by_category, verdict_stages
from suho.report._views import heatmap as heat_cells
from suho.store import Store, attempts, verdicts

# Characters of model text the page may hold for the whole run; each attempt gets its share.
TEXT_BUDGET = 12_000_000
MIN_CAP, MAX_CAP = 120, 4000
# Above this many attempts the data is gzip-compressed (and base64-encoded) in the page.
COMPRESS_ABOVE = 1000
# Distinct prompts kept in the shared string table; beyond it prompts are written inline.
MAX_STRINGS = 65536
PAGE = 500
ROW_FIELDS = (
    "seq",
    "id",
    "probe",
    "lang",
    "cat",
    "tr",
    "attack",
    "repeat",
    "status",
    "outcome",
    "success",
    "expected",
    "err",
    "edetail",
    "orig",
    "prompt",
    "response",
    "rlen",
    "verdicts",
    "decided",
)
_STATUS = {"pending": 0, "done": 1, "error": 2}


def text_cap(n_attempts: int, budget: int = TEXT_BUDGET) -> int:
    """Characters of each response shown in the page for a run of ``n_attempts``."""
    return max(MIN_CAP, min(MAX_CAP, budget // max(n_attempts, 1)))


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


def _gap_note(g: dict[str, Any]) -> str:
    star = " *" if g.get("significant") else ""
    return (
        f"Δ {_pp(g.get('diff_pp'))} [{_pp(g.get('ci_low_pp'))}, {_pp(g.get('ci_high_pp'))}]{star}"
    )


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("suho.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_shell(
    store: Store, run_id: str, *, redacted: bool, cap: int
) -> tuple[str, str, dict[str, Any]]:
    """The page before and after the data element, and the summary."""
    s = summary(store, run_id)
    rid = s["run_id"]
    groups = store.group_counts(rid)
    js, css = _asset("report.js"), _asset("report.css")
    heat = heat_cells(groups)
    rates = s["rates"]
    stages = s.get("verdict_stages") or verdict_stages(store, rid)
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
            ],
            over_rows=[("all", rates["over_refusal"]), *list(rates["over_refusal_by_lang"].items())]
            if rates["over_refusal"]["trials"]
            else [],
            stages=stages,
            decided=decided_by(store, rid),
            findings=findings,
        )
    )
    head, sep, tail = html.partition("<!--suho:data-->")
    if not sep:  # pragma: no cover - the template always has the marker
        raise RuntimeError("report template lost its data marker")
    return head, tail, s


class _Sink:
    """Writes the data element's body: escaped JSON, or gzip + base64 in whole 3-byte groups."""

    def __init__(self, out: TextIO, compress: bool) -> None:
        self.out = out
        self.z = zlib.compressobj(6, zlib.DEFLATED, 31) if compress else None
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


class _Codes:
    """Small integer codes for repeated strings (languages, categories, detectors...)."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, int]] = {}

    def __call__(self, kind: str, value: str | None) -> int:
        if value is None:
            return -1
        m = self.maps.setdefault(kind, {})
        code = m.get(value)
        if code is None:
            code = m[value] = len(m)
        return code

    def lists(self) -> dict[str, list[str]]:
        names = ("probe", "lang", "cat", "tr", "attack", "outcome", "err", "det", "stage", "label")
        return {k: list(self.maps.get(k, {})) for k in names}


def _page_rows(
    store: Store, run_id: str, after: int, cap: int, pcap: int, redact: bool
) -> list[dict[str, Any]]:
    a = attempts.c
    response = a.response if redact else func.substr(a.response, 1, cap)
    q = (
        select(
            a.id,
            a.seq,
            a.probe_id,
            a.lang,
            a.category,
            a.transform,
            a.attack,
            a.repeat,
            a.status,
            a.outcome,
            a.success,
            a.expected,
            a.error_kind,
            func.substr(a.error_detail, 1, 300).label("edetail"),
            func.substr(a.original_prompt, 1, pcap).label("orig"),
            func.length(a.original_prompt).label("olen"),
            func.substr(a.prompt, 1, pcap).label("prompt"),
            func.length(a.prompt).label("plen"),
            response.label("response"),
            func.length(a.response).label("rlen"),
            a.decided_by,
        )
        .where(and_(a.run_id == run_id, a.seq > after))
        .order_by(a.seq)
        .limit(PAGE)
    )
    with store.engine.connect() as c:
        rows = [dict(r) for r in c.execute(q).mappings()]
        if rows:
            vmap: dict[str, list[tuple[Any, ...]]] = {}
            vq = select(
                verdicts.c.attempt_id,
                verdicts.c.detector,
                verdicts.c.hit,
                verdicts.c.score,
                verdicts.c.stage,
                verdicts.c.label,
            ).where(verdicts.c.attempt_id.in_([r["id"] for r in rows]))
            for v in c.execute(vq):
                vmap.setdefault(v[0], []).append(tuple(v[1:]))
            for r in rows:
                r["verdicts"] = sorted(vmap.get(r["id"], []), key=lambda v: str(v[0]))
    return rows


def write_data(
    store: Store, run_id: str, out: TextIO, *, cap: int, compress: bool, redact: bool
) -> None:
    """Stream the attempts as the page's data element: ``{"rows": [...], "strs": [...], ...}``."""
    pcap = max(cap * 2, 400)
    codes = _Codes()
    strs: dict[tuple[str, int], int] = {}
    slist: list[str] = []
    slen: list[int] = []

    def text_ref(text: str | None, full: int | None) -> int | str | None:
        if text is None:
            return None
        key = (text, int(full or 0))
        ref = strs.get(key)
        if ref is not None:
            return ref
        if len(slist) >= MAX_STRINGS:
            return text
        strs[key] = len(slist)
        slist.append(text)
        slen.append(int(full or 0) if (full or 0) > len(text) else 0)
        return len(slist) - 1

    shorten: Callable[[str | None], str | None] = (
        (lambda t: redact_text(t)) if redact else (lambda t: t)
    )
    sink = _Sink(out, compress)
    kind = "application/octet-stream" if compress else "application/json"
    encoding = ' data-encoding="gzip+base64"' if compress else ""
    out.write(f'<script type="{kind}" id="data"{encoding}>')
    sink.write('{"rows":[')
    after, first = -1, True
    while True:
        rows = _page_rows(store, run_id, after, cap, pcap, redact)
        if not rows:
            break
        packed = []
        for r in rows:
            resp = shorten(r["response"])
            rlen = r["rlen"]
            if redact and resp is not None:
                rlen = len(resp)
            packed.append(
                [
                    r["seq"],
                    r["id"],
                    codes("probe", r["probe_id"]),
                    codes("lang", r["lang"]),
                    codes("cat", r["category"]),
                    codes("tr", r["transform"]),
                    codes("attack", r["attack"]),
                    r["repeat"],
                    _STATUS.get(r["status"], 0),
                    codes("outcome", r["outcome"]),
                    -1 if r["success"] is None else int(bool(r["success"])),
                    1 if r["expected"] == "comply" else 0,
                    codes("err", r["error_kind"]),
                    shorten(r["edetail"]) if r["edetail"] else None,
                    text_ref(r["orig"], r["olen"]),
                    text_ref(r["prompt"], r["plen"]),
                    resp,
                    rlen or 0,
                    [
                        [
                            codes("det", d),
                            int(bool(h)),
                            round(float(sc), 2),
                            codes("stage", st),
                            codes("label", lb),
                        ]
                        for d, h, sc, st, lb in r["verdicts"]
                    ],
                    codes("det", r["decided_by"]),
                ]
            )
        body = json.dumps(packed, ensure_ascii=False, separators=(",", ":"))[1:-1]
        sink.write(body if first else "," + body)
        first = False
        after = rows[-1]["seq"]
    tail = {"strs": slist, "slen": slen, "dict": codes.lists()}
    sink.write("]," + json.dumps(tail, ensure_ascii=False, separators=(",", ":"))[1:])
    sink.close()
    out.write("</script>\n")


def write_html(
    store: Store,
    run_id: str,
    out: TextIO,
    *,
    redact: bool = False,
    compress: bool | None = None,
    text_budget: int = TEXT_BUDGET,
) -> None:
    """Write the report page for ``run_id`` to ``out``.

    ``compress``: None picks gzip+base64 for runs above ``COMPRESS_ABOVE`` attempts.
    """
    rid = store.resolve_run_id(run_id)
    n = store.totals(rid).attempts
    cap = text_cap(n, text_budget)
    head, tail, _s = render_shell(store, rid, redacted=redact, cap=cap)
    out.write(head)
    write_data(
        store,
        rid,
        out,
        cap=cap,
        compress=n > COMPRESS_ABOVE if compress is None else compress,
        redact=redact,
    )
    out.write(tail)


__all__ = ["TEXT_BUDGET", "UI", "csp", "json_for_script", "text_cap", "write_html"]
