"""How ``suho scan``'s attack flags become run configuration: ``--max-turns``, ``--max-queries``,
and the default attacker and judge models for attacks that need them."""

from __future__ import annotations

from typing import Any

from suho.errors import SuhoInputError


def apply_attack_args(
    cfg_args: dict[str, Any],
    *,
    max_turns: int | None,
    max_queries: int | None,
    judge: str | None,
) -> None:
    """Fill ``cfg_args`` (RunConfig keyword arguments, already holding ``attacks``,
    ``attack_options``, ``attacker`` and ``max_steps``) in place.

    - ``--max-turns N`` sets each attack's own turn limit (crescendo ``max_turns``, pair
      ``max_iterations``, tap ``depth``, ...) unless ``--attack-option`` set it already;
    - ``--max-queries N`` is the per-attempt budget of target queries (``max_steps``);
    - an attack that needs an attacker or a judge model gets the embedded local model when
      ``--attacker`` / ``--judge`` is not given (``--judge`` keeps adding the judge detector);
    - every attack's options are checked before anything is sent.
    """
    from suho.attacks import ROLES, attack_needs, check_attack_options, get_attack, turns_option
    from suho.targets import DEFAULT_TARGET

    attacks: list[str] = cfg_args["attacks"]
    options: dict[str, dict[str, Any]] = cfg_args.setdefault("attack_options", {})
    if max_turns is not None:
        takers = [n for n in attacks if turns_option(n) is not None]
        if not takers:
            raise SuhoInputError(
                "--max-turns applies to conversation attacks (--attacks crescendo, pair, tap, "
                "ko-escalation)"
            )
        for name in takers:
            key = turns_option(name)
            assert key is not None
            options.setdefault(name, {}).setdefault(key, max_turns)
    if max_queries is not None:
        steps = cfg_args.get("max_steps")
        if steps is not None and steps != max_queries:
            raise SuhoInputError("--max-queries and --max-steps disagree; give one of them")
        cfg_args["max_steps"] = max_queries
    for name, opts in options.items():
        check_attack_options(name, opts)
    needed: set[str] = set()
    for name in attacks:
        needed |= attack_needs(get_attack(name)) & ROLES
    if "attacker" in needed and not cfg_args.get("attacker"):
        cfg_args["attacker"] = DEFAULT_TARGET
    if "judge" in needed and not judge:
        cfg_args["judge_model"] = DEFAULT_TARGET
