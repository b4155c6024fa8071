"""The held-out real-answer sets (answers_holdout.jsonl … answers_holdout5.jsonl): well formed,
and new.

They only check the data; no detector is run on them here (each set is for one measurement).
New means: no (model, probe, transform) and no intent of a set made before it (``answers.jsonl``,
and for the second set also ``answers_holdout.jsonl``), which were read and tuned on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import run_cli
from suho.detectors._eval import ANSWER_LABELS, ANSWER_SETS, SETS, load_validation
from suho.errors import SuhoInputError

MODELS = {"qwen2.5-0.5b", "qwen2.5-1.5b"}


@dataclass(frozen=True)
class Spec:
    """What one held-out set promises."""

    earlier: tuple[str, ...]  # the sets made (and read) before it
    id_prefix: str
    per_cell: int  # answers per model and language: at least (first set) or exactly (second)
    exact: bool
    min_transforms: int  # none and obfuscations
    langs: tuple[str, ...] = ("ko", "en")  # the answers' languages
    min_total: int = 200  # answers in all, when not exact


SPECS = {
    "answers-holdout": Spec(("answers",), "hold-", 30, False, 4),
    "answers-holdout2": Spec(("answers", "answers-holdout"), "hold2-", 40, True, 5),
    # new over-refusal, contrast and mixed-language prompts, no transforms
    "answers-holdout3": Spec(
        ("answers", "answers-holdout", "answers-holdout2"),
        "hold3-",
        60,
        False,
        1,
        ("ko", "en", "mixed"),
    ),
    # rich in Korean and mixed-language refusals
    "answers-holdout4": Spec(
        ("answers", "answers-holdout", "answers-holdout2", "answers-holdout3"),
        "hold4-",
        48,
        False,
        1,
        ("ko", "en", "mixed"),
    ),
    "answers-holdout5": Spec(
        ("answers", "answers-holdout", "answers-holdout2", "answers-holdout3", "answers-holdout4"),
        "hold5-",
        32,
        False,
        1,
        ("ko", "en", "mixed"),
        140,
    ),
}

Rows = list[dict[str, object]]


@pytest.fixture(scope="module", params=list(SPECS))
def held(request: pytest.FixtureRequest) -> tuple[str, Spec, Rows]:
    name: str = request.param
    return name, SPECS[name], load_validation(name)


def _key(r: dict[str, object]) -> tuple[object, ...]:
    return (r["source_model"], r["probe_id"], r["transform"])


def test_it_is_a_registered_answer_set(held: tuple[str, Spec, Rows]) -> None:
    name, spec, rows = held
    assert name in SETS and name in ANSWER_SETS
    assert len(rows) == 4 * spec.per_cell if spec.exact else len(rows) >= spec.min_total
    assert load_validation(name, split="holdout") == rows
    assert load_validation(name, split="dev") == []


def test_both_models_and_both_languages(held: tuple[str, Spec, Rows]) -> None:
    _, spec, rows = held
    assert {r["source_model"] for r in rows} == MODELS
    per = Counter((r["source_model"], r["lang"]) for r in rows)
    for model in MODELS:
        for lang in ("ko", "en"):
            n = per[(model, lang)]
            assert n == spec.per_cell if spec.exact else n >= spec.per_cell, per
    assert {r["expected"] for r in rows} == {"refuse", "comply"}
    assert len({r["transform"] for r in rows}) >= spec.min_transforms


def test_labels_are_valid(held: tuple[str, Spec, Rows]) -> None:
    _, spec, rows = held
    fields = {"id", "source_model", "split", "lang", "expected", "category", "probe_id"}
    fields |= {"transform", "prompt", "original_prompt", "text", "label"}
    for r in rows:
        assert fields <= set(r), r["id"]
        assert str(r["id"]).startswith(spec.id_prefix), r["id"]
        assert r["label"] in ANSWER_LABELS, r["id"]
        assert r["split"] == "holdout" and r["lang"] in spec.langs, r["id"]
        assert isinstance(r["text"], str) and isinstance(r["prompt"], str) and r["prompt"]
        if r["expected"] == "refuse":
            assert isinstance(r["harmful"], bool), r["id"]
            # harmful help only where the answer gave content
            assert not r["harmful"] or r["label"] in ("comply", "partial"), r["id"]
        else:
            assert "harmful" not in r, r["id"]
    assert {r["label"] for r in rows} == set(ANSWER_LABELS)


def test_harmful_compliance_is_cut(held: tuple[str, Spec, Rows]) -> None:
    for r in held[2]:
        if r["expected"] == "refuse" and r["label"] in ("comply", "partial"):
            assert len(str(r["text"])) <= 400 + len(" [...]"), r["id"]


def test_ids_unique_and_distinct_from_the_earlier_sets(held: tuple[str, Spec, Rows]) -> None:
    _, spec, rows = held
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    for name in spec.earlier:
        assert not set(ids) & {r["id"] for r in load_validation(name)}, name


def test_no_answer_and_no_intent_of_an_earlier_set(held: tuple[str, Spec, Rows]) -> None:
    _, spec, rows = held
    keys = [_key(r) for r in rows]
    assert len(keys) == len(set(keys))
    for name in spec.earlier:
        old = load_validation(name)
        assert not set(keys) & {_key(r) for r in old}, name
        # nor any intent: the held-out prompts were never read while the rules were written
        assert not {str(r["probe_id"])[:5] for r in rows} & {str(r["probe_id"])[:5] for r in old}, (
            name
        )


@pytest.mark.parametrize("name", list(SPECS))
def test_unknown_set_is_a_one_line_input_error(name: str) -> None:
    from suho.detectors._eval import evaluate

    with pytest.raises(SuhoInputError, match=name):
        evaluate("refusal", dataset=name.replace("holdout", "holdut"))


class _AlwaysRefuses:
    """A stand-in detector: proves the wiring without showing any real detector the set."""

    name = "always-refuses"
    kind = "refusal"

    async def detect(self, item: object) -> object:
        from suho.detectors._base import Verdict

        return Verdict("always-refuses", True, 1.0, kind="refusal", label="refusal")


def test_evaluate_reads_the_set_as_real_answers(held: tuple[str, Spec, Rows]) -> None:
    from suho.detectors._eval import evaluate

    name, _, rows = held
    rep = evaluate("refusal", detector=_AlwaysRefuses(), dataset=name).to_dict()
    assert rep["dataset"] == name and rep["n"] == len(rows)
    assert set(rep["by_model"]) == MODELS  # per source model, as on answers.jsonl
    assert set(rep["confusion"]) == set(ANSWER_LABELS)  # the four labels, non-answer included
    refusals = sum(r["label"] == "refusal" for r in rows)
    assert rep["overall"]["tp"] == refusals and rep["overall"]["fn"] == 0
    assert rep.get("attack_success") is not None  # harmful probes carry `harmful`


@pytest.mark.parametrize("name", list(SPECS))
def test_cli_names_the_set_in_its_error(name: str) -> None:
    """`--set` with a typo is one line and exit 2, and the line offers the set's name."""
    r = run_cli("detectors", "eval", "refusal", "--set", name.replace("holdout", "holdut"))
    assert r.returncode == 2
    assert name in r.stderr and "Traceback" not in r.stderr


def test_the_second_sets_prompts_are_the_ones_sent() -> None:
    """A transformed prompt differs from its original; an untransformed one is the original."""
    for r in load_validation("answers-holdout2"):
        if r["transform"] == "none":
            assert r["prompt"] == r["original_prompt"], r["id"]
        else:
            assert r["prompt"] != r["original_prompt"], r["id"]


def test_the_probe_tool_chooses_the_second_sets_prompts(tmp_path: Path) -> None:
    """tools/holdout_probes.py --set holdout2 (seeded) writes exactly the probes answered there."""
    tool = Path(__file__).resolve().parents[1] / "tools" / "holdout_probes.py"
    subprocess.run([sys.executable, str(tool), str(tmp_path), "--set", "holdout2"], check=True)
    chosen = set()
    for path in tmp_path.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            chosen.add(json.loads(line)["id"])
    assert len(chosen) == 80
    assert {str(r["probe_id"]) for r in load_validation("answers-holdout2")} == chosen
