"""What Inspect loads through the ``inspect_ai`` entry point: suho's tasks, scorers, metrics
and the ``suho/`` model provider register themselves on import."""

from __future__ import annotations

from inspect_ai.model import ModelAPI, modelapi

from suho.integrations.inspect._scorers import (
    attack_success,
    canary,
    judge,
    korean_gap,
    outcome,
    over_refusal,
    pii_kr,
    refusal,
)
from suho.integrations.inspect._tasks import korean_gap as korean_gap_task


@modelapi(name="suho")
def suho_model() -> type[ModelAPI]:
    """``--model suho/PROVIDER:MODEL``: send through a suho target (see ``_model``)."""
    from suho.integrations.inspect._model import SuhoModelAPI

    return SuhoModelAPI


__all__ = [
    "attack_success",
    "canary",
    "judge",
    "korean_gap",
    "korean_gap_task",
    "outcome",
    "over_refusal",
    "pii_kr",
    "refusal",
    "suho_model",
]
