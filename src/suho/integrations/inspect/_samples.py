"""A suho plan as Inspect samples: one sample per probe x transform, prompts rendered by suho."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from suho.engine import RunConfig
from suho.errors import SuhoInputError

if TYPE_CHECKING:
    from inspect_ai.dataset import Sample

    from suho.probes import Probe

# What each sample's metadata carries (and what ``suho import inspect`` reads back).
SAMPLE_FIELDS = (
    "probe_id",
    "intent_id",
    "lang",
    "category",
    "transform",
    "expected",
    "variant",
    "original_prompt",
    "system_prompt",
    "tags",
)


def split(value: str | Iterable[str] | None) -> list[str]:
    """A task argument given as ``"a,b"`` (``-T lang=ko,en``) or as a list."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [str(x) for x in value]
    return [x.strip() for x in items if x.strip()]


def task_config(
    *,
    suite: str | None = None,
    probes: str | None = None,
    dataset: str | None = None,
    map: str | Iterable[str] | None = None,
    lang: str | Iterable[str] | None = None,
    category: str | Iterable[str] | None = None,
    transforms: str | Iterable[str] | None = None,
    baseline: bool = True,
    detectors: str | Iterable[str] | None = None,
    judge: str | None = None,
    judge_base_url: str | None = None,
    system: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> RunConfig:
    """The RunConfig a ``suho scan`` with the same options would have (its target aside)."""
    from suho.probes import parse_dataset_spec, parse_mapping

    if sum(x is not None for x in (suite, probes, dataset)) > 1:
        raise SuhoInputError("use only one of suite, probes and dataset")
    mapping = parse_mapping([map] if isinstance(map, str) else list(map or []))
    ds = parse_dataset_spec(dataset) if dataset else None
    dets = split(detectors) or ["refusal"]
    options: dict[str, dict[str, Any]] = {}
    if judge:
        if "judge" not in dets:
            dets.append("judge")
        options["judge"] = {
            "target": judge,
            **({"base_url": judge_base_url} if judge_base_url else {}),
        }
    try:
        return RunConfig(
            target="inspect:model",
            system_prompt=system,
            suite=None if (probes or ds) else (suite or "quick"),
            probes_file=probes,
            dataset=f"{ds[0]}:{ds[1]}" if ds else None,
            dataset_map=mapping,
            langs=[x.lower() for x in split(lang)],
            categories=split(category),
            limit=limit,
            transforms=split(transforms),
            baseline=baseline,
            detectors=dets,
            detector_options=options,
            seed=seed,
        )
    except ValueError as e:
        raise SuhoInputError(str(e)) from e


def load_probes(cfg: RunConfig, *, skip_bad_rows: bool = False) -> list[Probe]:
    """The probes the config names, read whole."""
    from suho.probes import load_probes_file, load_suite, parse_dataset_spec, read_dataset

    if cfg.dataset:
        kind, path = parse_dataset_spec(cfg.dataset)
        return list(
            read_dataset(
                kind, path, cfg.dataset_map, langs=cfg.langs, skip_bad_rows=skip_bad_rows
            ).probes
        )
    if cfg.probes_file:
        return list(load_probes_file(cfg.probes_file))
    return list(load_suite(cfg.suite or "quick"))


def sample_id(probe_id: str, transform: str) -> str:
    return f"{probe_id}/{transform}"


def plan_samples(cfg: RunConfig, probes: Iterable[Probe]) -> list[Sample]:
    """One Inspect sample per attempt ``suho scan`` would plan (repeats are Inspect's epochs):
    the same selection, the same transformed prompts."""
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser

    from suho.engine import plan_attempts

    out: list[Sample] = []
    for row in plan_attempts("inspect", probes, cfg.model_copy(update={"repeats": 1})):
        system = row["system_prompt"]
        user = ChatMessageUser(content=row["prompt"])
        out.append(
            Sample(
                id=sample_id(row["probe_id"], row["transform"]),
                input=[ChatMessageSystem(content=system), user] if system else [user],
                target=row["expected"],
                metadata={k: row[k] for k in SAMPLE_FIELDS},
            )
        )
    return out
