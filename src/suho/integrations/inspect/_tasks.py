"""Inspect tasks built from suho suites: ``inspect eval suho/korean_gap --model ...``."""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Scorer
from inspect_ai.solver import generate

from suho.integrations.inspect._samples import load_probes, plan_samples, split, task_config
from suho.integrations.inspect._scorers import DETECTOR_SCORERS, outcome


@task
def korean_gap(
    suite: str | None = None,
    probes: str | None = None,
    dataset: str | None = None,
    map: str | list[str] | None = None,
    lang: str | list[str] | None = None,
    category: str | list[str] | None = None,
    transforms: str | list[str] | None = None,
    baseline: bool = True,
    detectors: str | list[str] = "refusal",
    judge: str | None = None,
    judge_base_url: str | None = None,
    system: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    skip_bad_rows: bool = False,
    max_tokens: int = 512,
) -> Task:
    """A suho suite (default ``quick``), probe file or public dataset as an Inspect task.

    Each probe x transform (``baseline`` adds the untransformed prompt) is one sample, with the
    prompt suho would send; suho's detectors score it, and the outcome scorer's metrics report
    attack success, over-refusal and the paired Korean/English gap. Options mirror
    ``suho scan``: ``-T suite=standard -T lang=ko,en -T transforms=jamo,choseong``.
    """
    cfg = task_config(
        suite=suite,
        probes=probes,
        dataset=dataset,
        map=map,
        lang=lang,
        category=category,
        transforms=transforms,
        baseline=baseline,
        detectors=detectors,
        judge=judge,
        judge_base_url=judge_base_url,
        system=system,
        limit=limit,
        seed=seed,
    )
    samples = plan_samples(cfg, load_probes(cfg, skip_bad_rows=skip_bad_rows))
    scorers: list[Scorer] = [
        outcome(detectors=list(cfg.detectors), judge=judge, judge_base_url=judge_base_url)
    ]
    scorers += [DETECTOR_SCORERS[d]() for d in split(detectors) if d in DETECTOR_SCORERS]
    return Task(
        dataset=samples,
        solver=generate(),
        scorer=scorers,
        config=GenerateConfig(temperature=0.0, max_tokens=max_tokens),
        metadata={"suho_config": cfg.stored()},
    )
