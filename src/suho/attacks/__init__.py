"""Attacks: how a probe is delivered (single turn now; crescendo, PAIR and TAP plug in here).

Registered under the ``suho.attacks`` entry-point group.
"""

from suho.attacks._base import Attack, AttackInput, AttackResult, Send, attack_names, get_attack
from suho.attacks._single import SingleTurn

__all__ = [
    "Attack",
    "AttackInput",
    "AttackResult",
    "Send",
    "SingleTurn",
    "attack_names",
    "get_attack",
]
