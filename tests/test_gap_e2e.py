"""End-to-end: the real CLI scans the fake server and the report's language-gap section is right.

The fake server's ``refuse-en`` policy complies with every prompt containing Hangul and refuses
every other one, so the true gap is known: Korean always "succeeds", English never does.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from conftest import run_cli

DATA = Path(__file__).resolve().parent / "data"


def _scan(srv: Any, tmp: Path, *args: str, db: str = "suho.db") -> tuple[str, dict[str, Any], str]:
    r = run_cli(
        "scan",
        "--target",
        "openai:fake",
        "--base-url",
        srv.base_url,
        "--db",
        str(tmp / db),
        "--out",
        str(tmp / "reports"),
        "-q",
        *args,
    )
    assert r.returncode == 0, r.stderr
    rid = next(line.split()[1] for line in r.stdout.splitlines() if line.startswith("run "))
    html_path = Path(
        next(line.split(" ", 1)[1] for line in r.stdout.splitlines() if line.startswith("report "))
    )
    report = json.loads((html_path.parent / "report.json").read_text(encoding="utf-8"))
    return rid, report, html_path.read_text(encoding="utf-8")


def test_standard_suite_gap_matches_the_known_policy(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--policy", "refuse-en")
    _rid, report, html = _scan(
        srv,
        tmp_path,
        "--suite",
        "standard",
        "--lang",
        "ko,en",
        "--category",
        "voice-phishing,hate",
        "--transforms",
        "none",
    )
    g = report["gap"]
    assert g["baseline"] == "none"
    # 12 intents per category, each with a Korean and an English probe
    assert g["pairs"] == 24
    o = g["overall"]
    assert (o["a"], o["b"], o["n_pairs"]) == ("ko", "en", 24)
    assert o["a_rate"]["rate"] == 1.0 and o["b_rate"]["rate"] == 0.0
    assert (o["discordant_a_only"], o["discordant_b_only"]) == (24, 0)
    assert o["diff_pp"] == 100.0 and o["ci_high_pp"] == 100.0 and o["ci_low_pp"] > 80
    assert o["p_value"] == float(f"{2 / 2**24:.6g}") and o["significant"] is True
    assert list(g["by_category"]) == ["voice-phishing", "hate"]
    for cat in ("voice-phishing", "hate"):
        c = g["by_category"][cat]
        assert c["n_pairs"] == 12 and c["diff_pp"] == 100.0
        assert c["p_value"] == float(f"{2 / 2**12:.6g}")  # 2 * (1/2)^12 = 0.000488281
    # adapted and literal Korean are both answered: no cultural gap (8 + 7 adapted intents)
    c = g["cultural"]
    assert (c["a"], c["b"], c["n_pairs"], c["diff_pp"], c["p_value"]) == (
        "adapted",
        "literal",
        15,
        0.0,
        1.0,
    )
    assert g["verdict"].startswith(
        "Korean is less safe: 100.0% attack success in Korean vs 0.0% in English, +100.0 pp"
    )
    assert g["verdict_ko"].startswith("한국어에서 더 취약합니다")
    # the headline rates agree with the gap
    assert report["rates"]["attack_success_by_lang"]["en"]["rate"] == 0.0
    assert report["rates"]["attack_success_by_lang"]["ko"]["rate"] == 1.0
    # and the HTML shows it at a glance
    assert 'id="h-gap"' in html
    assert "Korean is less safe: 100.0% attack success in Korean" in html
    assert "한국어에서 더 취약합니다" in html
    # the extra paired comparisons: KO-EN on the baseline transform and adapted vs literal
    assert re.search(r'data-t="gap_by_transform">[^<]*</th><td>none</td>', html)
    assert re.search(r'data-t="gap_cultural">[^<]*</th><td>adapted − literal</td>', html)


def test_over_refusal_suite_measures_refusal_of_benign_prompts(
    server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory("--policy", "refuse-en")
    _rid, report, _html = _scan(srv, tmp_path, "--suite", "over-refusal", "--limit", "20")
    over = report["rates"]["over_refusal_by_lang"]
    # the server refuses every English prompt, benign or not, and no Korean one
    assert over["en"]["rate"] == 1.0 and over["ko"]["rate"] == 0.0
    r = report["gap"]["over_refusal"]
    assert (r["n_pairs"], r["discordant_a_only"], r["discordant_b_only"]) == (10, 0, 10)
    assert report["gap"]["pairs"] == 0 and "cannot be measured" in report["gap"]["verdict"]


def test_multijail_dataset_scan_and_compare(server_factory: Any, tmp_path: Path) -> None:
    gap_srv = server_factory("--policy", "refuse-en")
    safe_srv = server_factory("--policy", "refuse-all")
    ds = f"multijail:{DATA / 'multijail_small.csv'}"
    rid_a, rep_a, _ = _scan(gap_srv, tmp_path, "--dataset", ds)
    rid_b, rep_b, _ = _scan(safe_srv, tmp_path, "--dataset", ds)
    assert rep_a["suite"].startswith("dataset:multijail:")
    # rows 1, 2 and 4 have both languages; row 3 is English only
    assert rep_a["gap"]["pairs"] == 3 and rep_a["gap"]["overall"]["diff_pp"] == 100.0
    assert rep_b["gap"]["overall"]["diff_pp"] == 0.0

    r = run_cli("compare", rid_a, rid_b, "--db", str(tmp_path / "suho.db"), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    rows = {(x["scope"], x["category"], x["lang"]): x for x in data["rows"]}
    ko = rows[("lang", None, "ko")]
    # A: Korean 3/3 succeed; B: 0/3. Change -100 pp; Newcombe CI upper bound < 0, so flagged better
    assert ko["a"]["successes"] == 3 and ko["b"]["successes"] == 0
    assert ko["change_pp"] == -100.0 and ko["ci_high_pp"] < 0 and ko["flag"] == "better"
    en = rows[("lang", None, "en")]
    assert en["change_pp"] == 0.0 and en["flag"] == ""
    assert data["significant_better"] >= 1 and data["significant_worse"] == 0
    # 3 one-sided pairs: the interval excludes 0 but the exact test cannot reach p < 0.05
    assert data["gap"]["a"]["verdict"].startswith("Too few pairs to tell: 100.0% attack success")

    table = run_cli("compare", rid_a, rid_b, "--db", str(tmp_path / "suho.db"))
    assert table.returncode == 0 and "lang ko" in table.stdout and "better *" in table.stdout
    # B -> A is a significant regression: --fail-on-worse exits 1
    worse = run_cli("compare", rid_b, rid_a, "--db", str(tmp_path / "suho.db"), "--fail-on-worse")
    assert worse.returncode == 1 and "WORSE *" in worse.stdout
    # RUN_B may live in another store
    rid_c, _, _ = _scan(safe_srv, tmp_path, "--dataset", ds, db="other.db")
    other = run_cli(
        "compare",
        rid_a,
        rid_c,
        "--db",
        str(tmp_path / "suho.db"),
        "--db-b",
        str(tmp_path / "other.db"),
        "--format",
        "json",
    )
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["b"]["run_id"] == rid_c
    bad = run_cli("compare", rid_a, rid_b, "--db", str(tmp_path / "suho.db"), "--format", "xml")
    assert bad.returncode == 2 and "unknown format 'xml'" in bad.stderr


def test_dod_command_gap_matches_the_policy_under_korean_transforms(
    server_factory: Any, tmp_path: Path
) -> None:
    """The definition-of-done command, checked against an independent count from the store.

    Under ``refuse-en`` an attempt succeeds exactly when its rendered prompt still contains a
    Hangul syllable, so the expected gap tables can be rebuilt from the prompts alone.
    """
    srv = server_factory("--policy", "refuse-en")
    _rid, report, html = _scan(
        srv,
        tmp_path,
        "--suite",
        "standard",
        "--lang",
        "ko,en",
        "--transforms",
        "jamo,choseong,qwerty",
    )
    hangul = re.compile(r"[\uac00-\ud7a3]")
    con = sqlite3.connect(tmp_path / "suho.db")
    rows = con.execute(
        "SELECT intent_id, lang, variant, transform, prompt, success FROM attempts "
        "WHERE expected = 'refuse' AND status = 'done'"
    ).fetchall()
    con.close()
    # Korean probes get the baseline and the three Korean-only transforms; English probes (for
    # which those would send the unchanged prompt again) only the baseline.
    n_ko = sum(1 for r in rows if r[1] == "ko" and r[3] == "none")
    n_en = sum(1 for r in rows if r[1] == "en")
    assert n_ko + n_en == 394 and len(rows) == n_ko * 4 + n_en
    assert {r[3] for r in rows if r[1] == "en"} == {"none"}
    side: dict[tuple[str, str, str], bool] = {}
    for intent, lang, variant, transform, prompt, success in rows:
        predicted = bool(hangul.search(prompt))
        assert bool(success) == predicted, (intent, lang, transform)
        if variant != "adapted":
            side[(intent, lang, transform)] = predicted

    def table(a: dict[str, bool], b: dict[str, bool]) -> tuple[int, int, int]:
        keys = a.keys() & b.keys()
        return len(keys), sum(a[k] and not b[k] for k in keys), sum(b[k] and not a[k] for k in keys)

    def pick(lang: str, transform: str) -> dict[str, bool]:
        return {i: v for (i, lg, t), v in side.items() if lg == lang and t == transform}

    g = report["gap"]
    assert g["baseline"] == "none" and g["pairs"] == 156
    for t in ("none", "jamo", "choseong", "qwerty"):
        # The English side of a Korean-only transform is the English baseline (what it sent).
        n, a_only, b_only = table(pick("ko", t), pick("en", "none"))
        got = g["by_transform"][t]
        assert (got["n_pairs"], got["discordant_a_only"], got["discordant_b_only"]) == (
            n,
            a_only,
            b_only,
        ), t
    for t in ("jamo", "choseong", "qwerty"):
        n, a_only, b_only = table(pick("ko", t), pick("ko", "none"))
        got = g["korean_attack_styles"][t]
        assert (got["a"], got["b"]) == (t, "none")
        assert (got["n_pairs"], got["discordant_a_only"], got["discordant_b_only"]) == (
            n,
            a_only,
            b_only,
        ), t
    assert g["overall"]["diff_pp"] == 100.0
    assert g["verdict"].startswith("Korean is less safe")
    assert re.search(r'data-t="gap_styles">[^<]*</th><td>qwerty</td>', html)
