"""The rule stage was made faster without changing a verdict: these tests hold it to that."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from suho.detectors import _answer, _refusal
from suho.detectors._eval import load_validation

ROOT = Path(__file__).resolve().parents[1]


def test_verdicts_match_the_snapshot() -> None:
    """Every verdict on the refusal and answers sets is what tools/snapshot_verdicts.py recorded
    (regenerate it after a deliberate rule change, and read the diff)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("snap", ROOT / "tools/snapshot_verdicts.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    want = json.loads((ROOT / "tests/data/refusal_verdicts.json").read_text(encoding="utf-8"))
    got = json.loads(json.dumps(mod.snapshot(), ensure_ascii=False))
    assert set(got) == set(want)
    for name in want:
        diff = [k for k in want[name] if got[name].get(k) != want[name][k]]
        assert not diff, f"{name}: {len(diff)} verdicts changed, e.g. {diff[:5]}"
        assert set(got[name]) == set(want[name])


def _texts() -> list[str]:
    out = [r["text"].lower() for s in ("refusal", "answers") for r in load_validation(s)]
    rng = random.Random(17)
    alphabet = "abcdefghij ,.!?'\n가나다라마바사아자차카타파하없않못드릴수는지"
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(300)]
    return out


@pytest.mark.parametrize(
    "branches",
    [
        ["ab", "ac", "ad?e", "b"],  # b: single character, not factored
        ["abc", "abd", "ab", "a[bc]x", "zz"],
        ["i(?:'m|\\s+am)?\\s*not", "it's\\s+not", "in\\s+general", "nope(?![a-z])"],
        ["드릴\\s*수\\s*없", "드리\\s*지\\s*않", "줄\\s*수\\s*없", "못\\s*해"],
        ["a*b", "ab"],  # a quantifier on the first character: left as is
        ["(?:x)y", "xz"],  # a group first: left as is
    ],
)
def test_factored_finds_the_same_matches(branches: list[str]) -> None:
    src = "|".join(branches)
    a, b = re.compile(src), re.compile(_refusal._factored(src))
    for t in _texts():
        assert [m.span() for m in a.finditer(t)] == [m.span() for m in b.finditer(t)], t


def test_factored_groups_by_first_character() -> None:
    assert _refusal._factored("ab|ac|dd") == "a(?:b|c)|dd"
    assert _refusal._factored("abx|aby|acz") == "a(?:b(?:x|y)|cz)"
    assert _refusal._factored("abx|aby|ac") == "a(?:bx|by|c)"  # "c" alone: not factored further
    assert _refusal._factored("a*b|ab") == "a*b|ab"
    assert _refusal._branches(r"a|[|]|(b|c)|\||d") == ["a", "[|]", "(b|c)", r"\|", "d"]


def _repeated_share_reference(body: str, n: int = 12, limit: int = 3000) -> float:
    t = re.sub(r"\s+", " ", body[:limit])
    if len(t) < 150:
        return 0.0
    counts: dict[str, int] = {}
    for i in range(len(t) - n + 1):
        counts[t[i : i + n]] = counts.get(t[i : i + n], 0) + 1
    covered = reach = 0
    for i in range(len(t) - n + 1):
        if counts[t[i : i + n]] >= 2:
            start = max(i, reach)
            if i + n > start:
                covered += i + n - start
            reach = max(reach, i + n)
    return covered / len(t)


def test_repeated_share_matches_the_plain_count() -> None:
    rng = random.Random(3)
    texts = [r["text"] for r in load_validation("answers")]
    texts += ["".join(rng.choice("ab c") for _ in range(rng.randint(100, 600))) for _ in range(50)]
    texts += ["같은 문장이 반복됩니다. " * 20, "x" * 400]
    for t in texts:
        assert _answer._repeated_share(t) == _repeated_share_reference(t)


def _script_reference(text: str) -> str:
    syl = len(re.findall(r"[\uac00-\ud7a3]", text))
    lat = len(re.findall(r"[A-Za-z]", text))
    if syl >= 2 * lat and syl:
        return "ko"
    if lat >= 2 * syl and lat:
        return "en"
    return "mixed"


def test_script_matches_the_plain_count() -> None:
    texts = [r["text"] for s in ("refusal", "answers") for r in load_validation(s)]
    texts += ["", "123 !!", "가", "a", "가a", "가나a", "ab가", "漢字", "AI 모델 GPT-4"]
    for t in texts:
        assert _answer._script(t) == _script_reference(t), t


def test_hedge_split_by_script_finds_what_the_whole_pattern_finds() -> None:
    for t in _texts():
        has_ko = _refusal._HANGUL.search(t) is not None
        has_en = _refusal._LATIN.search(t) is not None
        a, b = _refusal._HEDGE.search(t), _refusal._hedge(t, has_ko, has_en)
        assert (a and (a.span(), a.group(0))) == (b and (b.span(), b.group(0))), t


def test_gist_split_by_script_finds_the_first_accepted_gist_word() -> None:
    def reference(text: str) -> tuple[int, str] | None:
        for m in _refusal._GIST.finditer(text):
            g, s = m.group(0), m.start()
            if g in _refusal._GIST_WORD_START and s and "\uac00" <= text[s - 1] <= "\ud7a3":
                continue
            if g == "구성" and text.startswith("구성원", s):
                continue
            return s, g
        return None

    extra = ["정보통신 구성원 -> 보통 high-level", "구성원 개요: 1 → 2", "high->level 구성"]
    for t in [*_texts(), *extra]:
        has_ko = _refusal._HANGUL.search(t) is not None
        has_en = _refusal._LATIN.search(t) is not None
        m = _refusal._gist(t, has_ko, has_en)
        assert (m and (m.start(), m.group(0))) == reference(t), t
