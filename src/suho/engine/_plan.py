"""Planning: probes x transforms x attacks x repeats -> attempt rows with deterministic ids.

Transforms are applied here, once, so the exact prompt is stored before anything is sent and a
resumed run sends what the interrupted one would have sent.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from suho.attacks import get_attack
from suho.episode import Attempt
from suho.errors import SuhoInputError
from suho.probes import Probe
from suho.transforms import Transform, TransformContext, applies_to, get_transform

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


@dataclass(slots=True)
class PlanStats:
    """What planning decided, for the command line to say: how ``--limit`` sampled, and the
    attempts skipped because a transform does not apply to a probe's language."""

    candidates: int = 0  # probes after --lang/--category, before --limit
    selected: int = 0  # probes planned
    sampled: bool = False  # --limit took a sample (it was smaller than the candidates)
    not_applicable: dict[str, int] = field(default_factory=dict)  # transform -> attempts skipped


def select_probes(
    probes: Iterable[Probe], cfg: RunConfig, stats: PlanStats | None = None
) -> Iterator[Probe]:
    """The probes a run plans: ``--lang`` and ``--category`` filters, then ``--limit``.

    Without a limit the probes stream through in file order. With one, the sample is spread
    over categories and languages (round robin over strata, each shuffled by ``cfg.seed``), an
    intent's probes (its KO/EN pair) are taken together, and the chosen probes keep file order.
    """
    langs = set(cfg.langs)
    cats = set(cfg.categories)
    kept = (
        p
        for p in probes
        if not (langs and p.lang not in langs) and not (cats and p.category not in cats)
    )
    if cfg.limit is None:
        for p in kept:
            if stats is not None:
                stats.candidates += 1
                stats.selected += 1
            yield p
        return
    pool = list(kept)
    chosen = sample_probes(pool, cfg.limit, cfg.seed)
    if stats is not None:
        stats.candidates, stats.selected = len(pool), len(chosen)
        stats.sampled = len(chosen) < len(pool)
    yield from chosen


def sample_probes(probes: Sequence[Probe], limit: int, seed: int) -> list[Probe]:
    """At most ``limit`` of ``probes``, spread over (category, languages) strata, deterministic
    for ``seed``; the probes of one intent are kept together when they fit. File order kept."""
    if len(probes) <= limit:
        return list(probes)
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(probes):
        groups.setdefault(p.intent_id or p.id, []).append(i)
    strata: dict[tuple[str, tuple[str, ...]], list[list[int]]] = {}
    for members in groups.values():
        first = probes[members[0]]
        key = (first.category, tuple(sorted({probes[i].lang for i in members})))
        strata.setdefault(key, []).append(members)
    rng = random.Random(f"suho-limit:{seed}")
    order = sorted(strata)
    rng.shuffle(order)
    queues = [strata[k][:] for k in order]
    for q in queues:
        rng.shuffle(q)
    picked: list[int] = []
    while len(picked) < limit and any(queues):
        progress = False
        for q in queues:  # one group from each stratum in turn: the sample spreads evenly
            room = limit - len(picked)
            fit = next((j for j, g in enumerate(q) if len(g) <= room), None) if room else None
            if fit is not None:
                picked += q.pop(fit)
                progress = True
        if not progress:  # only groups larger than the room left: split one, reach the limit
            q = next(q for q in queues if q)
            picked += q.pop(0)[: limit - len(picked)]
    return [probes[i] for i in sorted(picked)]


def not_applicable_counts(cfg: RunConfig, probes_by_lang: dict[str, int]) -> dict[str, int]:
    """Attempts the plan of ``cfg`` skipped, per transform, given how many probes of each
    language it planned: what ``plan_attempts`` counted, recomputed from a stored run."""
    per_probe = len(cfg.attacks) * cfg.repeats
    out: dict[str, int] = {}
    for t in resolve_transforms(cfg):
        n = sum(k for lang, k in probes_by_lang.items() if not applies_to(t, lang))
        if n:
            out[t.name] = n * per_probe
    return out


def resolve_transforms(cfg: RunConfig) -> list[Transform]:
    return [get_transform(n) for n in cfg.transform_names()]


def validate_attacks(cfg: RunConfig) -> None:
    for a in cfg.attacks:
        get_attack(a)


def plan_attempts(
    run_id: str, probes: Iterable[Probe], cfg: RunConfig, stats: PlanStats | None = None
) -> Iterator[dict[str, Any]]:
    """Attempt rows in plan order. Raises ``SuhoInputError`` when the selection is empty.

    A transform that does not apply to a probe's language (``applies_to``) is not planned for
    it: it would send the prompt unchanged, a duplicate of the baseline. ``stats`` counts those.
    """
    transforms = resolve_transforms(cfg)
    validate_attacks(cfg)
    per_probe = len(cfg.attacks) * cfg.repeats
    seq = 0
    for probe in select_probes(probes, cfg, stats):
        tags = probe.tags_dict()
        for t in transforms:
            if not applies_to(t, probe.lang):
                if stats is not None:
                    stats.not_applicable[t.name] = stats.not_applicable.get(t.name, 0) + per_probe
                continue
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
        if stats is not None and stats.not_applicable:
            raise SuhoInputError(
                "nothing to send: the selected transforms do not apply to the selected probes' "
                f"languages ({', '.join(sorted(stats.not_applicable))})"
            )
        raise SuhoInputError("no probes selected (check --suite/--probes, --lang and --category)")


def pending_rows(attempts: Iterable[Attempt]) -> Iterator[dict[str, Any]]:
    """Attempts planned elsewhere (an agent suite's episodes, a cyber range's tasks) as the
    store's pending rows, the shape ``plan_attempts`` yields for probes."""
    for a in attempts:
        yield {**a.to_row(), "variant": None, "status": "pending", "tries": 0}
