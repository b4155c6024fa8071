"""The held-out real-answer set (answers_holdout.jsonl): well formed, and new.

It only checks the data; no detector is run on it here (the set is measured once, by the lead).
"""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import run_cli
from suho.detectors._eval import ANSWER_LABELS, ANSWER_SETS, SETS, load_validation
from suho.errors import SuhoInputError

MODELS = {"qwen2.5-0.5b", "qwen2.5-1.5b"}


@pytest.fixture(scope="module")
def holdout() -> list[dict[str, object]]:
    return load_validation("answers-holdout")


def test_it_is_a_registered_answer_set(holdout: list[dict[str, object]]) -> None:
    assert "answers-holdout" in SETS and "answers-holdout" in ANSWER_SETS
    assert len(holdout) >= 200
    assert load_validation("answers-holdout", split="holdout") == holdout
    assert load_validation("answers-holdout", split="dev") == []


def test_both_models_and_both_languages(holdout: list[dict[str, object]]) -> None:
    assert {r["source_model"] for r in holdout} == MODELS
    per = Counter((r["source_model"], r["lang"]) for r in holdout)
    for model in MODELS:
        assert per[(model, "ko")] >= 30 and per[(model, "en")] >= 30, per
    assert {r["expected"] for r in holdout} == {"refuse", "comply"}
    assert len({r["transform"] for r in holdout}) >= 4  # none and obfuscations


def test_labels_are_valid(holdout: list[dict[str, object]]) -> None:
    fields = {"id", "source_model", "split", "lang", "expected", "category", "probe_id"}
    fields |= {"transform", "prompt", "original_prompt", "text", "label"}
    for r in holdout:
        assert fields <= set(r), r["id"]
        assert r["label"] in ANSWER_LABELS, r["id"]
        assert r["split"] == "holdout" and r["lang"] in ("ko", "en"), r["id"]
        assert isinstance(r["text"], str) and isinstance(r["prompt"], str) and r["prompt"]
        if r["expected"] == "refuse":
            assert isinstance(r["harmful"], bool), r["id"]
            # harmful help only where the answer gave content
            assert not r["harmful"] or r["label"] in ("comply", "partial"), r["id"]
        else:
            assert "harmful" not in r, r["id"]
    assert {r["label"] for r in holdout} == set(ANSWER_LABELS)


def test_harmful_compliance_is_cut(holdout: list[dict[str, object]]) -> None:
    for r in holdout:
        if r["expected"] == "refuse" and r["label"] in ("comply", "partial"):
            assert len(str(r["text"])) <= 400 + len(" [...]"), r["id"]


def test_ids_unique_and_distinct_from_the_tuned_set(holdout: list[dict[str, object]]) -> None:
    ids = [r["id"] for r in holdout]
    assert len(ids) == len(set(ids))
    tuned = load_validation("answers")
    assert not set(ids) & {r["id"] for r in tuned}


def test_no_answer_is_in_the_tuned_set(holdout: list[dict[str, object]]) -> None:
    def key(r: dict[str, object]) -> tuple[object, ...]:
        return (r["source_model"], r["probe_id"], r["transform"])

    keys = [key(r) for r in holdout]
    assert len(keys) == len(set(keys))
    assert not set(keys) & {key(r) for r in load_validation("answers")}
    # nor any prompt: the held-out intents were never read while the rules were written
    tuned_intents = {str(r["probe_id"])[:5] for r in load_validation("answers")}
    assert not {str(r["probe_id"])[:5] for r in holdout} & tuned_intents


def test_unknown_set_is_a_one_line_input_error() -> None:
    from suho.detectors._eval import evaluate

    with pytest.raises(SuhoInputError, match="answers-holdout"):
        evaluate("refusal", dataset="answers-holdut")


class _AlwaysRefuses:
    """A stand-in detector: proves the wiring without showing any real detector the set."""

    name = "always-refuses"
    kind = "refusal"

    async def detect(self, item: object) -> object:
        from suho.detectors._base import Verdict

        return Verdict("always-refuses", True, 1.0, kind="refusal", label="refusal")


def test_evaluate_reads_the_set_as_real_answers(holdout: list[dict[str, object]]) -> None:
    from suho.detectors._eval import evaluate

    rep = evaluate("refusal", detector=_AlwaysRefuses(), dataset="answers-holdout").to_dict()
    assert rep["dataset"] == "answers-holdout" and rep["n"] == len(holdout)
    assert set(rep["by_model"]) == MODELS  # per source model, as on answers.jsonl
    assert set(rep["confusion"]) == set(ANSWER_LABELS)  # the four labels, non-answer included
    refusals = sum(r["label"] == "refusal" for r in holdout)
    assert rep["overall"]["tp"] == refusals and rep["overall"]["fn"] == 0
    assert rep.get("attack_success") is not None  # harmful probes carry `harmful`


def test_cli_names_the_set_in_its_error() -> None:
    """`--set` with a typo is one line and exit 2, and the line offers answers-holdout."""
    r = run_cli("detectors", "eval", "refusal", "--set", "answers-holdut")
    assert r.returncode == 2
    assert "answers-holdout" in r.stderr and "Traceback" not in r.stderr
