"""``--attack-option NAME.KEY=VALUE``: options for one attack, parsed and checked.

A value is read as the first of: ``true``/``false``, an integer, a number, JSON (an object, a
list, a quoted string, ``null``), or else the text as it is; so ``crescendo.max_turns=5`` is the
integer 5 and ``pair.goal=leak the key`` the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from suho.errors import SuhoInputError

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def parse_value(text: str) -> Any:
    """``VALUE`` as the most specific JSON-like value it spells."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        pass
    if t[:1] in ("{", "[", '"') or low == "null":
        try:
            return json.loads(t)
        except ValueError as e:
            raise SuhoInputError(f"attack option value {text!r} is not valid JSON ({e})") from e
    return text


def parse_attack_options(
    items: Iterable[str], attacks: Sequence[str], known: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """``NAME.KEY=VALUE`` strings -> ``{NAME: {KEY: value}}``. ``NAME`` must be one of the
    run's ``attacks`` (and, when ``known`` is given, a registered attack)."""
    known_set = set(known) if known is not None else None
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        head, eq, value = item.partition("=")
        name, dot, key = head.strip().partition(".")
        if not eq or not dot or not name or not key:
            raise SuhoInputError(
                f"--attack-option {item!r} is not NAME.KEY=VALUE "
                "(for example crescendo.max_turns=5)"
            )
        if not _KEY.match(key):
            raise SuhoInputError(f"--attack-option {item!r}: {key!r} is not an option name")
        if known_set is not None and name not in known_set:
            raise SuhoInputError(
                f"--attack-option {item!r}: unknown attack {name!r} "
                f"(known: {', '.join(sorted(known_set))})"
            )
        if name not in attacks:
            raise SuhoInputError(
                f"--attack-option {item!r}: attack {name!r} is not in this run "
                f"(--attacks {','.join(attacks)})"
            )
        out.setdefault(name, {})[key] = parse_value(value)
    return out
