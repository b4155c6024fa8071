"""Attacks: how an attempt is carried out. ``single`` sends one prompt; ``crescendo``, ``pair``,
``tap`` and ``ko-escalation`` drive whole conversations with attacker and judge models, each as
``run(episode, ctx)`` on the Episode engine (see docs/attacks.md).

Registered under the ``suho.attacks`` entry-point group.
"""

from suho.attacks._base import (
    ROLES,
    Attack,
    attack_names,
    attack_needs,
    check_attack_options,
    get_attack,
    turns_option,
)
from suho.attacks._common import AttackOptions, parse_rating, parse_yes_no
from suho.attacks._crescendo import Crescendo
from suho.attacks._ko_escalation import KoEscalation
from suho.attacks._pair import Pair
from suho.attacks._single import SingleTurn
from suho.attacks._tap import Tap
from suho.attacks._turns import turns_from_events

__all__ = [
    "ROLES",
    "Attack",
    "AttackOptions",
    "Crescendo",
    "KoEscalation",
    "Pair",
    "SingleTurn",
    "Tap",
    "attack_names",
    "attack_needs",
    "check_attack_options",
    "get_attack",
    "parse_rating",
    "parse_yes_no",
    "turns_from_events",
    "turns_option",
]
