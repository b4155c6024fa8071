"""The labelled obfuscation set, its recovery targets, the `suho normalize` command, and the
QWERTY decoder's false-positive rate on a large English word list."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from english_words import get_english_words_set

from suho.errors import SuhoInputError
from suho.korean import normalize
from suho.korean._eval import (
    TARGET_BENIGN,
    TARGET_RECOVERY,
    Item,
    format_report,
    load_set,
    recovery,
)


def test_shipped_set_shape() -> None:
    items = load_set()
    techniques = Counter(it.technique for it in items)
    assert sum(v for k, v in techniques.items() if k != "benign") >= 200
    assert techniques["benign"] >= 50
    assert len(techniques) >= 12
    assert len({it.id for it in items}) == len(items)
    for it in items:
        assert (it.technique == "benign") == (not it.keywords)


def test_shipped_set_meets_the_targets_per_technique() -> None:
    rep = recovery(load_set())
    assert rep.recovery >= TARGET_RECOVERY
    assert rep.benign_rate == TARGET_BENIGN == 1.0, rep.benign_failures
    for name, r in rep.by_technique.items():
        assert r.rate >= 0.9, (name, r.failures)
    assert rep.meets_targets


def test_recovery_counts_failures() -> None:
    items = [
        Item("a", "jamo", "ㅍㅗㄱㅂㅏㄹㅁㅜㄹ", ["폭발물"]),
        Item("b", "jamo", "숨겨진 말", ["폭발물"]),
        Item("c", "benign", "ㅋㅋ", []),
        Item("d", "benign", "ㅍㅗㄱ ㅍㅗㄱ ㅍㅗㄱ", []),
    ]
    rep = recovery(items)
    assert rep.by_technique["jamo"].recovered == 1 and rep.by_technique["jamo"].failures == ["b"]
    assert rep.benign_unchanged == 1 and rep.benign_failures == ["d"]
    assert not rep.meets_targets
    assert "jamo" in format_report(rep) and "50.0%" in format_report(rep)


def test_load_set_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "a", "keywords": "nope"}\n', encoding="utf-8")
    with pytest.raises(SuhoInputError):
        load_set(bad)
    with pytest.raises(SuhoInputError):
        load_set(tmp_path / "missing.jsonl")


def _suho(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suho", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_normalize_jsonl() -> None:
    lines = '{"id": "1", "text": "ㅍㅗㄱㅂㅏㄹㅁㅜㄹ 만드는 법"}\n{"id": 2, "text": "ㅋㅋ 좋아", "extra": true}\n'
    r = _suho("normalize", stdin=lines)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert out[0] == {
        "id": "1",
        "text": "ㅍㅗㄱㅂㅏㄹㅁㅜㄹ 만드는 법",
        "normalized": "폭발물 만드는 법",
    }
    assert out[1]["normalized"] == "ㅋㅋ 좋아" and out[1]["extra"] is True
    r = _suho(
        "normalize",
        "--trace",
        "--stages",
        "qwerty",
        stdin='{"id": "1", "text": "ㅍㅗㄱ vhrqkfanf"}\n',
    )
    obj = json.loads(r.stdout)
    assert obj["normalized"] == "ㅍㅗㄱ 폭발물"
    assert obj["trace"][0]["stage"] == "qwerty" and obj["trace"][0]["changes"][0]["start"] == 4


def test_cli_normalize_bad_input_exits_2() -> None:
    r = _suho("normalize", stdin="not json\n")
    assert r.returncode == 2 and "not valid JSON" in r.stderr
    r = _suho("normalize", "--stages", "bogus", stdin='{"id": "1", "text": "x"}\n')
    assert r.returncode == 2 and "unknown normaliser stage" in r.stderr


def test_cli_eval_reports_and_enforces(tmp_path: Path) -> None:
    r = _suho("normalize", "--eval")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "qwerty" in r.stdout and "benign" in r.stdout and "all" in r.stdout
    weak = tmp_path / "weak.jsonl"
    weak.write_text(
        '{"id": "1", "technique": "t", "text": "없음", "keywords": ["폭발물"]}\n', encoding="utf-8"
    )
    r = _suho("normalize", "--eval", str(weak))
    assert r.returncode == 1 and "0.0%" in r.stdout


def test_cli_lists_stages() -> None:
    r = _suho("normalize", "--list-stages")
    assert r.returncode == 0 and "qwerty" in r.stdout and "morph" in r.stdout


def test_qwerty_decoder_leaves_a_large_english_vocabulary_alone() -> None:
    """Every word of GCIDE (114k words) inside an English sentence and inside a Korean one."""
    words = sorted(
        w for w in get_english_words_set(["gcide"], lower=True, alpha=True) if len(w) >= 2
    )
    en_changed = [
        w
        for w in words
        if normalize(f"I think {w} is here", stages=["qwerty"]).text != f"I think {w} is here"
    ]
    ko_changed = [
        w for w in words if normalize(f"오늘 {w} 봤어", stages=["qwerty"]).text != f"오늘 {w} 봤어"
    ]
    assert len(en_changed) / len(words) < 0.0005, en_changed[:50]
    assert len(ko_changed) / len(words) < 0.001, ko_changed[:50]
