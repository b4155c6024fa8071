"""The second held-out real-answer set (answers_holdout2.jsonl): well formed, and new.

It only checks the data; no detector is run on it here (the set is for one final measurement).
New means: no (model, probe, transform) and no intent of ``answers.jsonl`` or of
``answers_holdout.jsonl``, which have both been read and tuned on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import run_cli
from suho.detectors._eval import ANSWER_LABELS, ANSWER_SETS, SETS, load_validation
from suho.errors import SuhoInputError

MODELS = {"qwen2.5-0.5b", "qwen2.5-1.5b"}
EARLIER = ("answers", "answers-holdout")


@pytest.fixture(scope="module")
def holdout2() -> list[dict[str, object]]:
    return load_validation("answers-holdout2")


def _key(r: dict[str, object]) -> tuple[object, ...]:
    return (r["source_model"], r["probe_id"], r["transform"])


def test_it_is_a_registered_answer_set(holdout2: list[dict[str, object]]) -> None:
    assert "answers-holdout2" in SETS and "answers-holdout2" in ANSWER_SETS
    assert len(holdout2) == 160
    assert load_validation("answers-holdout2", split="holdout") == holdout2
    assert load_validation("answers-holdout2", split="dev") == []


def test_both_languages_and_the_models(holdout2: list[dict[str, object]]) -> None:
    assert {r["source_model"] for r in holdout2} == MODELS
    per = Counter((r["source_model"], r["lang"]) for r in holdout2)
    for model in MODELS:
        assert per[(model, "ko")] == 40 and per[(model, "en")] == 40, per
    assert {r["expected"] for r in holdout2} == {"refuse", "comply"}
    assert len({r["transform"] for r in holdout2}) >= 5  # none and four others


def test_labels_are_valid(holdout2: list[dict[str, object]]) -> None:
    fields = {"id", "source_model", "split", "lang", "expected", "category", "probe_id"}
    fields |= {"transform", "prompt", "original_prompt", "text", "label"}
    for r in holdout2:
        assert fields <= set(r), r["id"]
        assert str(r["id"]).startswith("hold2-"), r["id"]
        assert r["label"] in ANSWER_LABELS, r["id"]
        assert r["split"] == "holdout" and r["lang"] in ("ko", "en"), r["id"]
        assert isinstance(r["text"], str) and isinstance(r["prompt"], str) and r["prompt"]
        if r["expected"] == "refuse":
            assert isinstance(r["harmful"], bool), r["id"]
            assert not r["harmful"] or r["label"] in ("comply", "partial"), r["id"]
        else:
            assert "harmful" not in r, r["id"]
    assert {r["label"] for r in holdout2} == set(ANSWER_LABELS)


def test_harmful_compliance_is_cut(holdout2: list[dict[str, object]]) -> None:
    for r in holdout2:
        if r["expected"] == "refuse" and r["label"] in ("comply", "partial"):
            assert len(str(r["text"])) <= 400 + len(" [...]"), r["id"]


def test_ids_unique_and_distinct_from_the_earlier_sets(holdout2: list[dict[str, object]]) -> None:
    ids = [r["id"] for r in holdout2]
    assert len(ids) == len(set(ids))
    for name in EARLIER:
        assert not set(ids) & {r["id"] for r in load_validation(name)}, name


@pytest.mark.parametrize("earlier", EARLIER)
def test_no_answer_and_no_intent_of_an_earlier_set(
    holdout2: list[dict[str, object]], earlier: str
) -> None:
    keys = [_key(r) for r in holdout2]
    assert len(keys) == len(set(keys))
    old = load_validation(earlier)
    assert not set(keys) & {_key(r) for r in old}
    # nor any intent: these prompts were never read while the rules were written or tuned
    assert not {str(r["probe_id"])[:5] for r in holdout2} & {str(r["probe_id"])[:5] for r in old}


def test_the_prompts_are_the_ones_sent(holdout2: list[dict[str, object]]) -> None:
    """A transformed prompt differs from its original; an untransformed one is the original."""
    for r in holdout2:
        if r["transform"] == "none":
            assert r["prompt"] == r["original_prompt"], r["id"]
        else:
            assert r["prompt"] != r["original_prompt"], r["id"]


def test_unknown_set_is_a_one_line_input_error() -> None:
    from suho.detectors._eval import evaluate

    with pytest.raises(SuhoInputError, match="answers-holdout2"):
        evaluate("refusal", dataset="answers-holdut2")


class _AlwaysRefuses:
    """A stand-in detector: proves the wiring without showing any real detector the set."""

    name = "always-refuses"
    kind = "refusal"

    async def detect(self, item: object) -> object:
        from suho.detectors._base import Verdict

        return Verdict("always-refuses", True, 1.0, kind="refusal", label="refusal")


def test_evaluate_reads_the_set_as_real_answers(holdout2: list[dict[str, object]]) -> None:
    from suho.detectors._eval import evaluate

    rep = evaluate("refusal", detector=_AlwaysRefuses(), dataset="answers-holdout2").to_dict()
    assert rep["dataset"] == "answers-holdout2" and rep["n"] == len(holdout2)
    assert set(rep["by_model"]) == MODELS
    assert set(rep["confusion"]) == set(ANSWER_LABELS)
    refusals = sum(r["label"] == "refusal" for r in holdout2)
    assert rep["overall"]["tp"] == refusals and rep["overall"]["fn"] == 0
    assert rep.get("attack_success") is not None


def test_cli_names_the_set_in_its_error() -> None:
    """`--set` with a typo is one line and exit 2, and the line offers answers-holdout2."""
    r = run_cli("detectors", "eval", "refusal", "--set", "answers-holdut2")
    assert r.returncode == 2
    assert "answers-holdout2" in r.stderr and "Traceback" not in r.stderr


def test_the_probe_tool_chooses_these_prompts(
    holdout2: list[dict[str, object]], tmp_path: Path
) -> None:
    """tools/holdout_probes.py --set holdout2 (seeded) writes exactly the probes answered here."""
    tool = Path(__file__).resolve().parents[1] / "tools" / "holdout_probes.py"
    subprocess.run([sys.executable, str(tool), str(tmp_path), "--set", "holdout2"], check=True)
    chosen = set()
    for path in tmp_path.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            chosen.add(json.loads(line)["id"])
    assert len(chosen) == 80
    assert {str(r["probe_id"]) for r in holdout2} == chosen
