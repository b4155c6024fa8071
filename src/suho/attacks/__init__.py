"""Attacks: how an attempt is carried out (single turn now; crescendo, PAIR, TAP and agent
attacks plug in here as ``run(episode, ctx)``).

Registered under the ``suho.attacks`` entry-point group.
"""

from suho.attacks._base import ROLES, Attack, attack_names, attack_needs, get_attack
from suho.attacks._single import SingleTurn

__all__ = [
    "ROLES",
    "Attack",
    "SingleTurn",
    "attack_names",
    "attack_needs",
    "get_attack",
]
