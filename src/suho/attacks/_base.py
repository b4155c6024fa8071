"""The Attack protocol: how an attempt is carried out against a target.

An attack drives one ``Episode`` through an ``EpisodeContext``: ``run(episode, ctx)`` sends
messages through ``ctx.target`` (and, when it needs them, ``ctx.attacker`` and ``ctx.judge``),
scores turns with ``ctx.score``, calls tools through ``ctx.tools``, and fills ``episode.output``
(the final answer the run's detectors judge), ``episode.messages`` and ``episode.finish_reason``.
Every role already carries the run's rate limit, timeout, retries, secret scrubbing, call
counting and budget, and records each call as an event, so a multi-turn attack (crescendo) or an
automated attacker (PAIR, TAP) gets the engine's robustness and a complete trace without
writing any. See docs/episodes.md.

``needs`` names what an attack requires: target capabilities (``tools``, ``json_mode``,
``system_prompt``) and roles (``attacker``, ``judge``). The engine refuses a run at preflight
when the target or the run's configuration lacks one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from suho import _registry

if TYPE_CHECKING:
    from suho.episode import Episode, EpisodeContext

# The roles an attack may need besides the target (the rest of ``needs`` are capabilities).
ROLES = frozenset({"attacker", "judge"})


@runtime_checkable
class Attack(Protocol):
    """Drives one episode. ``name`` is its registered name; ``needs`` what it requires."""

    name: ClassVar[str]
    needs: ClassVar[frozenset[str]]

    async def run(self, episode: Episode, ctx: EpisodeContext) -> None: ...


def get_attack(name: str) -> Attack:
    obj = _registry.load("suho.attacks", name)
    a: Attack = obj() if isinstance(obj, type) else obj
    return a


def attack_needs(attack: Attack) -> frozenset[str]:
    """What ``attack`` declares it needs (nothing, for an attack that declares nothing)."""
    needs: frozenset[str] = frozenset(getattr(attack, "needs", frozenset()))
    return needs


def attack_names() -> list[str]:
    return _registry.names("suho.attacks")


def check_attack_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` for attack ``name`` checked by its ``options_model`` (a pydantic model), if it
    declares one: a typo or a bad value raises ``SuhoInputError`` before anything is sent.
    Returns the options as given (defaults are applied by the attack itself)."""
    model = getattr(get_attack(name), "options_model", None)
    if model is not None:
        from suho.attacks._common import parse_options

        parse_options(model, name, options)
    return options


def turns_option(name: str) -> str | None:
    """The option of attack ``name`` that ``--max-turns`` sets (its ``turns_option``), if any."""
    opt = getattr(get_attack(name), "turns_option", None)
    return opt if isinstance(opt, str) else None
