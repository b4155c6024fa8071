"""Machine formats and the static side of the HTML report: JSON, SARIF, JUnit, HTML data, redaction."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html.parser
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from _report_fixtures import make_run, mixed_specs
from suho.report import _html, write_report
from suho.report._html import MIN_CAP, ROW_FIELDS, make_env, text_cap, write_html
from suho.report._pagedata import decode_rows, merge_parts
from suho.report._redact import redact_attempt, redact_text
from suho.store import Store

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
F = {name: i for i, name in enumerate(ROW_FIELDS)}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'r.db'}")


@pytest.fixture
def run(store: Store) -> str:
    return make_run(store, "run-a", mixed_specs())


def render(store: Store, rid: str, fmt: str, **kw: Any) -> str:
    buf = io.StringIO()
    if fmt == "html" and kw:
        write_html(store, rid, buf, **kw)
    else:
        write_report(store, rid, fmt, buf, **kw)
    return buf.getvalue()


# ---- JSON ----------------------------------------------------------------------------------


def test_json_keeps_the_contract(store: Store, run: str) -> None:
    d = json.loads(render(store, run, "json"))
    assert d["run_id"] == run and d["status"] == "done"
    assert set(d["totals"]) >= {"attempts", "done", "errors", "hits"}
    assert d["totals"]["attempts"] == len(d["attempts"]) == len(mixed_specs())
    assert "api_key" not in json.dumps(d["target"])
    for a in d["attempts"]:
        assert {
            "id",
            "probe_id",
            "lang",
            "category",
            "transform",
            "status",
            "error",
            "prompt",
            "response",
            "verdicts",
        } <= set(a)
        assert a["status"] in ("done", "error")
        for v in a["verdicts"].values():
            assert {"hit", "score"} <= set(v)
    err = [a for a in d["attempts"] if a["status"] == "error"]
    assert len(err) == 1 and err[0]["error"] == "timeout"


@pytest.mark.parametrize("fmt", ["json", "html"])
@pytest.mark.parametrize("redact", [False, True])
def test_a_summary_computed_once_gives_the_same_report(
    store: Store, run: str, fmt: str, redact: bool
) -> None:
    """`suho scan` computes the summary once for its HTML and JSON reports: handing it in must
    change nothing, and must not alter the caller's copy."""
    from suho.report import summary

    head = summary(store, run)
    before = json.dumps(head, sort_keys=True)
    buf = io.StringIO()
    write_report(store, run, fmt, buf, redact=redact, summary_data=head)
    assert buf.getvalue() == render(store, run, fmt, redact=redact)
    assert json.dumps(head, sort_keys=True) == before


def test_redact_text_keeps_hash_and_prefix() -> None:
    text = "Sure, here is the outline you asked for, step one ..."
    red = redact_text(text)
    assert red is not None
    assert hashlib.sha256(text.encode()).hexdigest() in red
    assert red.endswith(text[:24] + "…") and text[24:40] not in red
    assert redact_text(red) == red and redact_text(None) is None
    short = redact_text("no")
    assert short is not None and short.endswith("| no")


def test_redacted_json_has_no_response_text(store: Store) -> None:
    secret = "SECRET-PAYLOAD-" + "x" * 60
    specs = [
        {
            "probe_id": "s-ko",
            "prompt": "요청",
            "response": secret,
            "outcome": "complied",
            "verdicts": [
                {
                    "detector": "pii-kr",
                    "kind": "harm",
                    "hit": True,
                    "score": 1.0,
                    "stage": "rule",
                    "evidence": {"spans": [{"kind": "phone", "text": secret}]},
                }
            ],
        },
    ]
    rid = make_run(store, "run-r", specs)
    plain = render(store, rid, "json")
    assert secret in plain
    red = render(store, rid, "json", redact=True)
    d = json.loads(red)
    assert d["redacted"] is True
    assert secret not in red and secret[24:] not in red
    a = d["attempts"][0]
    assert a["prompt"] == "요청"
    assert hashlib.sha256(secret.encode()).hexdigest() in a["response"]
    assert secret not in json.dumps(a["turns"], ensure_ascii=False)
    assert a["verdicts"]["pii-kr"]["evidence"]["spans"][0]["kind"] == "phone"


def test_redact_attempt_redacts_the_models_tool_call_arguments() -> None:
    """A tool call's arguments are the model's words too: redacted like its text; the user's and
    the tools' messages stay."""
    from suho.targets import Message, ToolCall

    secret = '{"to": "110-234-567890", "memo": "' + "x" * 60 + '"}'
    turns = [
        Message("user", "송금해 줘").to_dict(),
        Message("assistant", "", tool_calls=(ToolCall("c1", "transfer", secret),)).to_dict(),
        Message("tool", '{"ok": true}', name="transfer", tool_call_id="c1").to_dict(),
    ]
    view = {"response": "done", "turns": turns, "verdicts": {}, "error_detail": None}
    out = redact_attempt(view)
    assert secret not in json.dumps(out, ensure_ascii=False)
    fn = out["turns"][1]["tool_calls"][0]["function"]
    assert (
        fn["name"] == "transfer" and hashlib.sha256(secret.encode()).hexdigest() in fn["arguments"]
    )
    assert out["turns"][0] == turns[0] and out["turns"][2] == turns[2]
    assert view["turns"][1]["tool_calls"][0]["function"]["arguments"] == secret


def test_redact_attempt_leaves_the_input_alone() -> None:
    view = {"response": "abc" * 20, "turns": None, "verdicts": {}, "error_detail": None}
    out = redact_attempt(view)
    assert view["response"] == "abc" * 20 and out["response"] != view["response"]


# ---- SARIF ---------------------------------------------------------------------------------


def test_sarif_validates_and_has_one_result_per_failing_category_transform(
    store: Store, run: str
) -> None:
    log = json.loads(render(store, run, "sarif"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)
    results = log["runs"][0]["results"]
    # Expected from the specs: harmful attempts with a success, grouped by (category, transform).
    expected: dict[tuple[str, str], set[str]] = {}
    for sp in mixed_specs():
        if (
            sp.get("expected", "refuse") == "refuse"
            and sp.get("status", "done") == "done"
            and sp["outcome"] != "refused"
        ):
            expected.setdefault((sp["category"], sp["transform"]), set()).add(sp["probe_id"])
    got = {(r["properties"]["category"], r["properties"]["transform"]): r for r in results}
    assert set(got) == set(expected)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for key, r in got.items():
        assert r["ruleId"] == f"suho/{key[0]}" and rules[r["ruleIndex"]]["id"] == r["ruleId"]
        uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for loc in r["locations"]}
        assert uris == {f"suho://probes/{p}" for p in expected[key]}
        assert r["level"] in ("error", "warning", "note")
        p = r["properties"]
        assert 0 < p["rate"] <= 1 and p["ci_low"] <= p["rate"] <= p["ci_high"]
        assert p["successes"] == len(
            [
                s
                for s in mixed_specs()
                if (s["category"], s.get("transform")) == key
                and s.get("outcome") == "complied"
                and s.get("expected", "refuse") == "refuse"
            ]
        )
    # cyber-offense is critical: any success is an error-level result.
    assert all(r["level"] == "error" for k, r in got.items() if k[0] == "cyber-offense")


def test_sarif_is_empty_when_nothing_got_through(store: Store) -> None:
    rid = make_run(
        store,
        "run-clean",
        [{"probe_id": "c-ko", "prompt": "x", "response": "거절합니다", "outcome": "refused"}],
    )
    log = json.loads(render(store, rid, "sarif"))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


# ---- JUnit ---------------------------------------------------------------------------------


def test_junit_counts_and_outcomes(store: Store, run: str) -> None:
    xml = render(store, run, "junit")
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for k, v in counts.items():
            assert int(suite.get(k, "-1")) == v, (suite.get("name"), k)
            total[k] += v
        for c in cases:
            assert c.get("name") and c.get("classname") and float(c.get("time", "x")) >= 0
    for k, v in total.items():
        assert int(root.get(k, "-1")) == v
    specs = mixed_specs()
    assert total["tests"] == len({(s["probe_id"], s.get("transform", "none")) for s in specs})
    # Failures: harmful probes that got through plus the refused benign control.
    fails = {
        (s["probe_id"], s.get("transform", "none"))
        for s in specs
        if s.get("status", "done") == "done"
        and (
            (s.get("expected", "refuse") == "refuse" and s["outcome"] != "refused")
            or (s.get("expected") == "comply" and s["outcome"] == "refused")
        )
    }
    failed_names = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed_names == {f"{p} [{t}]" for p, t in fails}
    over = next(c for c in root.iter("testcase") if c.get("name") == "benign-ko [none]")
    failure = over.find("failure")
    assert failure is not None and failure.get("type") == "over-refusal"
    assert total["errors"] == 1


def test_junit_survives_hostile_names(store: Store) -> None:
    specs = [
        {
            "probe_id": 'p"<&>]]>\x01-ko',
            "category": "cat<x>&\x0b",
            "transform": "t'\"",
            "prompt": "x",
            "response": "ok",
            "outcome": "complied",
        }
    ]
    rid = make_run(store, "run-h", specs)
    root = ET.fromstring(render(store, rid, "junit").encode("utf-8"))
    case = next(root.iter("testcase"))
    assert case.get("name", "").startswith('p"<&>]]>') and case.find("failure") is not None


# ---- HTML (static) -------------------------------------------------------------------------


class _Scripts(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.metas: list[dict[str, str | None]] = []
        self.styles: list[str] = []
        self._cur: tuple[str, dict[str, str | None]] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._cur, self._buf = (tag, dict(attrs)), []
        elif tag == "meta":
            self.metas.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        if self._cur:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._cur and tag == self._cur[0]:
            text = "".join(self._buf)
            if tag == "script":
                self.scripts.append((self._cur[1], text))
            else:
                self.styles.append(text)
            self._cur = None


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def parse_page(page: str) -> _Scripts:
    p = _Scripts()
    p.feed(page)
    return p


def page_data(p: _Scripts) -> dict[str, Any]:
    """The page's data element, decoded, with ``rows`` rebuilt as the page's script does."""
    parts = []
    for attrs, body in p.scripts:
        if "data-part" not in attrs:
            continue
        if attrs.get("data-encoding") == "gzip+base64":
            parts.append(json.loads(gzip.decompress(base64.b64decode(body)).decode("utf-8")))
        else:
            parts.append(json.loads(body))
    data = merge_parts(parts)
    data["rows"] = decode_rows(data)
    return data


@pytest.mark.parametrize("compress", [False, True])
def test_html_is_self_contained_and_pinned_by_csp(store: Store, run: str, compress: bool) -> None:
    page = render(store, run, "html", compress=compress)
    p = parse_page(page)
    csp = next(m["content"] for m in p.metas if m.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None and "default-src 'none'" in csp and "unsafe-inline" not in csp
    executable = [(a, b) for a, b in p.scripts if a.get("type") is None]
    assert len(executable) == 1 and _sha(executable[0][1]) in csp
    assert len(p.styles) == 1 and _sha(p.styles[0]) in csp
    assert "require-trusted-types-for 'script'" in csp
    # Nothing loads from anywhere: no src/href to other origins.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    data = page_data(p)
    assert len(data["rows"]) == len(mixed_specs())
    assert set(data["dict"]["lang"]) == {"ko", "en"}
    assert "<svg" in page and 'role="img"' in page


def test_compiled_template_cache_gives_the_same_page(
    store: Store, run: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report template is compiled once and kept; a kept copy renders the same page, and a
    broken or unwritable cache only costs the compile."""
    cache_dir = tmp_path / "home" / "templates"
    monkeypatch.setattr(_html, "_env", lambda: make_env(None))
    fresh = render(store, run, "html")

    monkeypatch.setattr(_html, "_env", lambda: make_env(cache_dir))
    assert render(store, run, "html") == fresh
    (kept,) = cache_dir.iterdir()
    assert cache_dir.stat().st_mode & 0o077 == 0  # private to the user

    def no_compile(*a: object, **k: object) -> None:
        raise AssertionError("compiled although a compiled copy was kept")

    from_cache = make_env(cache_dir)
    monkeypatch.setattr(from_cache, "compile", no_compile)
    monkeypatch.setattr(_html, "_env", lambda: from_cache)
    assert render(store, run, "html") == fresh

    kept.write_bytes(b"j2\x00garbage")  # a broken entry is compiled again and replaced
    monkeypatch.setattr(_html, "_env", lambda: make_env(cache_dir))
    assert render(store, run, "html") == fresh
    assert kept.read_bytes() != b"j2\x00garbage"

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(_html, "_env", lambda: make_env(blocked / "templates"))
    assert render(store, run, "html") == fresh


def test_html_data_element_cannot_break_out(store: Store) -> None:
    evil = "</script><script>alert(1)</script>\u2028\u2029<!--"
    rid = make_run(
        store,
        "run-e",
        [
            {
                "probe_id": "e-ko",
                "prompt": evil,
                "response": evil,
                "outcome": "complied",
                "category": "c</script>",
            }
        ],
    )
    page = render(store, rid, "html")
    p = parse_page(page)
    assert [a.get("id") for a, _ in p.scripts] == ["meta", "data", None]
    _attrs, body = p.scripts[1]
    assert "<" not in body and "\u2028" not in body and "\u2029" not in body
    data = json.loads(body)
    assert decode_rows(data)[0][F["response"]] == evil  # the response, byte for byte
    assert "c&lt;/script&gt;" in page  # server-rendered tables are escaped too


def test_html_cuts_long_texts_by_run_size(store: Store) -> None:
    assert text_cap(100_000) == 120 == MIN_CAP and text_cap(100) == 4000
    long = "가" * 5000
    rid = make_run(
        store,
        "run-l",
        [{"probe_id": "l-ko", "prompt": long, "response": long, "outcome": "complied"}],
    )
    data = page_data(parse_page(render(store, rid, "html", text_budget=100)))
    row = data["rows"][0]
    assert len(row[F["response"]]) == MIN_CAP and row[F["cut"]] == 1
    assert len(row[F["prompt"]]) == 400 and len(row[F["orig"]]) == 400
    assert row[F["tcut"]] == 3  # both the original and the rendered prompt were cut
    short = make_run(
        store,
        "run-s",
        [{"probe_id": "s-ko", "prompt": "짧은 요청", "response": "짧은 답", "outcome": "refused"}],
    )
    srow = page_data(parse_page(render(store, short, "html", text_budget=100)))["rows"][0]
    assert srow[F["response"]] == "짧은 답" and srow[F["cut"]] == 0


def test_html_redacted_page_holds_no_payload(store: Store) -> None:
    secret = "PAYLOAD-" + "y" * 80
    rid = make_run(
        store,
        "run-rh",
        [{"probe_id": "r-ko", "prompt": "p", "response": secret, "outcome": "complied"}],
    )
    for compress in (False, True):
        page = render(store, rid, "html", redact=True, compress=compress)
        data = page_data(parse_page(page))
        assert secret not in json.dumps(data) and secret not in page
        assert hashlib.sha256(secret.encode()).hexdigest() in data["rows"][0][F["response"]]


def test_html_renders_gap_and_stages_when_present(
    store: Store, run: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from suho.report import _html

    rate = {"successes": 3, "trials": 6, "rate": 0.5, "ci_low": 0.19, "ci_high": 0.81}
    gs = {
        "a": "ko",
        "b": "en",
        "n_pairs": 6,
        "a_rate": rate,
        "b_rate": {**rate, "successes": 1, "rate": 1 / 6},
        "diff_pp": 33.3,
        "ci_low_pp": 2.0,
        "ci_high_pp": 60.0,
        "discordant_a_only": 3,
        "discordant_b_only": 1,
        "p_value": 0.0312,
        "significant": True,
    }
    real = _html.summary

    def fake(st: Store, rid: str) -> dict[str, Any]:
        s = real(st, rid)
        s["gap"] = {
            "pairs": 6,
            "overall": gs,
            "by_category": {"cyber-offense": gs},
            "by_transform": {"none": gs},
            "cultural": None,
            "verdict": "Korean <b>is</b> weaker",
            "verdict_ko": "한국어가 더 취약합니다",
        }
        s["verdict_stages"] = {"judge-x": {"judge": 7}}
        return s

    monkeypatch.setattr(_html, "summary", fake)
    page = render(store, run, "html", compress=False)
    assert "+33.3pp" in page and "p = 0.0312" in page
    assert "Korean &lt;b&gt;is&lt;/b&gt; weaker" in page and "한국어가 더 취약합니다" in page
    assert "한국어가 더 취약합니다" in page
