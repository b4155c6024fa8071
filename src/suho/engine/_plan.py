"""Planning: probes x transforms x attacks x repeats -> attempt rows with deterministic ids.

Transforms are applied here, once, so the exact prompt is stored before anything is sent and a
resumed run sends what the interrupted one would have sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from suho.attacks import get_attack
from suho.errors import SuhoInputError
from suho.probes import Probe
from suho.transforms import Transform, TransformContext, get_transform

from ._config import RunConfig


def attempt_id(run_id: str, probe_id: str, transform: str, attack: str, repeat: int) -> str:
    """Deterministic attempt id: the same plan always yields the same ids."""
    key = f"{run_id}\x00{probe_id}\x00{transform}\x00{attack}\x00{repeat}"
    return "a-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def seed_for(run_seed: int, probe_id: str, transform: str, repeat: int) -> int:
    digest = hashlib.sha256(
        f"{run_seed}\x00{probe_id}\x00{transform}\x00{repeat}".encode()
    ).digest()
    return int.from_bytes(digest[:4], "big")


def select_probes(probes: Iterable[Probe], cfg: RunConfig) -> Iterator[Probe]:
    langs = set(cfg.langs)
    cats = set(cfg.categories)
    n = 0
    for p in probes:
        if langs and p.lang not in langs:
            continue
        if cats and p.category not in cats:
            continue
        yield p
        n += 1
        if cfg.limit is not None and n >= cfg.limit:
            return


def resolve_transforms(cfg: RunConfig) -> list[Transform]:
    return [get_transform(n) for n in cfg.transform_names()]


def validate_attacks(cfg: RunConfig) -> None:
    for a in cfg.attacks:
        get_attack(a)


def plan_attempts(run_id: str, probes: Iterable[Probe], cfg: RunConfig) -> Iterator[dict[str, Any]]:
    """Attempt rows in plan order. Raises ``SuhoInputError`` when the selection is empty."""
    transforms = resolve_transforms(cfg)
    validate_attacks(cfg)
    seq = 0
    for probe in select_probes(probes, cfg):
        tags = probe.tags_dict()
        for t in transforms:
            for attack in cfg.attacks:
                for rep in range(cfg.repeats):
                    seed = seed_for(cfg.seed, probe.id, t.name, rep)
                    try:
                        rendered = t.apply(
                            probe.prompt, TransformContext(lang=probe.lang, seed=seed)
                        )
                    except Exception as e:
                        raise SuhoInputError(
                            f"transform {t.name!r} failed on probe {probe.id!r}: {e}"
                        ) from e
                    yield {
                        "id": attempt_id(run_id, probe.id, t.name, attack, rep),
                        "run_id": run_id,
                        "seq": seq,
                        "probe_id": probe.id,
                        "intent_id": probe.intent_id,
                        "lang": probe.lang,
                        "category": probe.category,
                        "expected": probe.expected,
                        "variant": probe.variant,
                        "transform": t.name,
                        "attack": attack,
                        "repeat": rep,
                        "tags": tags,
                        "system_prompt": probe.system or cfg.system_prompt,
                        "original_prompt": probe.prompt,
                        "prompt": rendered,
                        "goal": probe.goal,
                        "status": "pending",
                        "tries": 0,
                    }
                    seq += 1
    if seq == 0:
        raise SuhoInputError("no probes selected (check --suite/--probes, --lang and --category)")
