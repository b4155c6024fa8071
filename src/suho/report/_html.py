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
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any, TextIO

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import func, select

from suho.report._data import summary
from suho.report._i18n import UI, ko, table
from suho.report._redact import redact_text
from suho.report._svg import gap_chart, heatmap
from suho.report._views import heatmap as heat_cells
from suho.report._views import lang_by_category
from suho.store import Store, attempts, verdicts

# Characters of model text the page may hold for the whole run; each attempt gets its share.
TEXT_BUDGET = 12_000_000
MIN_CAP, MAX_CAP = 120, 4000
# Above this many attempts the data is gzip-compressed (and base64-encoded) in the page.
COMPRESS_ABOVE = 1000
# Distinct prompts kept in the shared string table; beyond it prompts are written inline.
MAX_STRINGS = 65536
ROW_FIELDS = (
    "seq", "probe", "lang", "cat", "tr", "attack", "repeat", "status", "outcome", "success",
    "expected", "err", "edetail", "orig", "prompt", "response", "cut", "verdicts", "decided",
)  # fmt: skip
CHUNK = 5000
ZLEVEL = 6  # gzip level of the page data
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


def _gap_more(gap: dict[str, Any] | None) -> list[tuple[str, str, dict[str, Any]]]:
    """The paired comparisons beyond overall and per category: ``(i18n key, name, GapStat)``."""
    if not gap:
        return []
    rows: list[tuple[str, str, dict[str, Any]]] = []
    rows += [("gap_by_transform", t, g) for t, g in (gap.get("by_transform") or {}).items()]
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


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("suho.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


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
            findings=findings,
        )
    )
    head, sep, tail = html.partition("<!--suho:data-->")
    if not sep:  # pragma: no cover - the template always has the marker
        raise RuntimeError("report template lost its data marker")
    return head, tail


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

    def table(self, kind: str) -> Callable[[str | None], int]:
        """A fast coder for one kind: value -> code (None -> -1)."""
        m = self.maps.setdefault(kind, {})

        def code(value: str | None) -> int:
            if value is None:
                return -1
            c = m.get(value)
            if c is None:
                c = m[value] = len(m)
            return c

        return code

    def lists(self) -> dict[str, list[str]]:
        names = ("probe", "lang", "cat", "tr", "attack", "outcome", "err", "det", "stage", "label")
        return {k: list(self.maps.get(k, {})) for k in names}


def _stream(store: Store, stmt: Any, chunk: int = CHUNK) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of ``stmt`` in lists of ``chunk``: the raw DB-API cursor on SQLite (fast, and SQLite
    cursors step lazily), a server-side streaming result elsewhere."""
    dialect = store.engine.dialect
    if dialect.name == "sqlite":
        compiled = stmt.compile(dialect=dialect)
        params = [compiled.params[k] for k in (compiled.positiontup or [])]
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(str(compiled), params)
            while True:
                rows: list[tuple[Any, ...]] = list(cur.fetchmany(chunk))
                if not rows:
                    return
                yield rows
        finally:
            raw.close()
    else:
        with store.engine.connect() as c:
            result = c.execution_options(stream_results=True, yield_per=chunk).execute(stmt)
            while True:
                part = result.fetchmany(chunk)
                if not part:
                    return
                yield [tuple(r) for r in part]


def _verdicts_of(store: Store, ids: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    """Verdict rows ``(attempt_id, detector, hit, score, stage, label)`` of these attempts, read
    from the covering index ``ix_verdicts_attempt_cover`` alone. On SQLite the IN list is written
    directly (SQLAlchemy's expanding parameters cost more than the query for thousands of ids)."""
    if store.engine.dialect.name == "sqlite":
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            marks = ",".join("?" * len(ids))
            cur.execute(
                "SELECT attempt_id, detector, hit, score, stage, label FROM verdicts "
                f"WHERE attempt_id IN ({marks})",
                ids,
            )
            yield list(cur.fetchall())
        finally:
            raw.close()
        return
    v = verdicts.c
    yield from _stream(
        store,
        select(v.attempt_id, v.detector, v.hit, v.score, v.stage, v.label).where(
            v.attempt_id.in_(ids)
        ),
        100_000,
    )


def _chunks(
    store: Store, run_id: str, cap: int, pcap: int, redact: bool
) -> Iterator[tuple[list[tuple[Any, ...]], dict[str, list[tuple[Any, ...]]]]]:
    """Attempts in plan order, ``CHUNK`` at a time, with their verdicts by attempt id.

    Texts are cut in SQL to one character more than shown, so a cut is visible without reading
    the rest; verdicts come from the covering index by attempt id.
    """
    a = attempts.c
    response = a.response if redact else func.substr(a.response, 1, cap + 1)
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
            func.substr(a.error_detail, 1, 300),
            func.substr(a.original_prompt, 1, pcap + 1),
            func.substr(a.prompt, 1, pcap + 1),
            response,
            a.decided_by,
        )
        .where(a.run_id == run_id)
        .order_by(a.seq)
    )
    for rows in _stream(store, q):
        vmap: dict[str, list[tuple[Any, ...]]] = {}
        for part in _verdicts_of(store, [r[0] for r in rows]):
            for row in part:
                slot = vmap.get(row[0])
                if slot is None:
                    vmap[row[0]] = [row]
                else:
                    slot.append(row)
        yield rows, vmap


def write_data(
    store: Store, run_id: str, out: TextIO, *, cap: int, compress: bool, redact: bool
) -> None:
    """Stream the attempts as the page's data element: ``{"rows": [...], "strs": [...], ...}``."""
    pcap = max(cap * 2, 400)
    codes = _Codes()
    strs: dict[str, int] = {}
    slist: list[str] = []
    scut: list[int] = []

    def text_ref(text: str | None) -> int | str | None:
        if text is None:
            return None
        ref = strs.get(text)
        if ref is not None:
            return ref
        if len(slist) >= MAX_STRINGS:
            return text[:pcap]
        strs[text] = len(slist)
        slist.append(text[:pcap])
        scut.append(1 if len(text) > pcap else 0)
        return len(slist) - 1

    sink = _Sink(out, compress)
    kind = "application/octet-stream" if compress else "application/json"
    encoding = ' data-encoding="gzip+base64"' if compress else ""
    out.write(f'<script type="{kind}" id="data"{encoding}>')
    sink.write('{"rows":[')
    first = True
    probe, lang, cat, tr, attack = (
        codes.table(k) for k in ("probe", "lang", "cat", "tr", "attack")
    )
    outcome, err, det, stage, label = (
        codes.table(k) for k in ("outcome", "err", "det", "stage", "label")
    )
    keys: dict[tuple[Any, ...], tuple[int, ...]] = {}
    vkeys: dict[tuple[Any, ...], tuple[int, int, int]] = {}
    none: list[tuple[Any, ...]] = []
    for rows, vmap in _chunks(store, run_id, cap, pcap, redact):
        packed = []
        for row in rows:
            aid, seq, pid, lg, ct, tf, at, rep, st, oc, sc, ex, ek, ed, orig, prompt, resp, dec = (
                row
            )
            vs = vmap.get(aid, none)
            k = (pid, lg, ct, tf, at, oc, ek, dec)
            kc = keys.get(k)
            if kc is None:
                kc = keys[k] = (
                    probe(pid),
                    lang(lg),
                    cat(ct),
                    tr(tf),
                    attack(at),
                    outcome(oc),
                    err(ek),
                    det(dec),
                )
            if redact:
                resp = redact_text(resp)
                ed = redact_text(ed) if ed else ed
                cut = 0
            else:
                cut = 1 if resp is not None and len(resp) > cap else 0
                if cut:
                    resp = resp[:cap]
            vout = []
            if len(vs) > 1:
                vs = sorted(vs, key=lambda x: str(x[1]))
            for _seq, d, h, s_, sg, lb in vs:
                vk = (d, sg, lb)
                vc = vkeys.get(vk)
                if vc is None:
                    vc = vkeys[vk] = (det(d), stage(sg), label(lb))
                vout.append([vc[0], 1 if h else 0, round(s_, 2), vc[1], vc[2]])
            packed.append(
                [
                    seq,
                    kc[0],
                    kc[1],
                    kc[2],
                    kc[3],
                    kc[4],
                    rep,
                    _STATUS.get(st, 0),
                    kc[5],
                    -1 if sc is None else (1 if sc else 0),
                    1 if ex == "comply" else 0,
                    kc[6],
                    ed or None,
                    text_ref(orig),
                    text_ref(prompt),
                    resp,
                    cut,
                    vout,
                    kc[7],
                ]
            )
        body = json.dumps(packed, ensure_ascii=False, separators=(",", ":"))[1:-1]
        sink.write(body if first else "," + body)
        first = False
    tail = {"strs": slist, "scut": scut, "dict": codes.lists()}
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
    s = summary(store, rid)
    n = int(s["totals"]["attempts"])
    cap = text_cap(n, text_budget)
    head, tail = render_shell(store, s, redacted=redact, cap=cap)
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
