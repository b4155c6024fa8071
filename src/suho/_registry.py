"""Plugin lookup through entry points.

Built-in targets, transforms, detectors and attacks are registered in ``pyproject.toml`` exactly
like third-party plugins, under the groups ``suho.targets``, ``suho.transforms``,
``suho.detectors`` and ``suho.attacks``. Nothing is registered in global mutable state: a lookup
reads the installed distributions' metadata (cached per process, since it cannot change while we
run) and imports only the plugin asked for.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, distributions
from typing import Any

from suho.errors import SuhoInputError

GROUPS = (
    "suho.targets",
    "suho.transforms",
    "suho.detectors",
    "suho.attacks",
    "suho.environments",
)


def _add(found: dict[str, dict[str, EntryPoint]], eps: Iterable[EntryPoint]) -> None:
    """File ``eps`` under our groups. First registration wins, so a plugin cannot silently
    shadow a built-in."""
    for ep in eps:
        slot = found.get(ep.group)
        if slot is not None:
            slot.setdefault(ep.name, ep)


@cache
def _all_groups() -> dict[str, dict[str, EntryPoint]]:
    """One scan of the installed distributions' entry points for all our groups."""
    found: dict[str, dict[str, EntryPoint]] = {g: {} for g in GROUPS}
    seen: set[str] = set()
    named = [((d.metadata["Name"] or "").lower().replace("_", "-"), d) for d in distributions()]
    named.sort(key=lambda nd: nd[0] != "suho")  # built-ins first, then sys.path order
    for name, dist in named:
        if name in seen:  # the same distribution twice on sys.path: the first one counts
            continue
        seen.add(name)
        _add(found, dist.entry_points)
    return found


@cache
def _builtin_groups() -> dict[str, dict[str, EntryPoint]]:
    """suho's own entry points: one distribution's metadata, much cheaper than scanning all."""
    found: dict[str, dict[str, EntryPoint]] = {g: {} for g in GROUPS}
    try:
        eps = distribution("suho").entry_points
    except PackageNotFoundError:  # running from a source tree that was never installed
        return found
    _add(found, eps)
    return found


def _group(group: str) -> dict[str, EntryPoint]:
    return _all_groups()[group]


def names(group: str) -> list[str]:
    """Sorted names registered in ``group``."""
    return sorted(_group(group))


def load(group: str, name: str) -> Any:
    """Import and return the object registered as ``name`` in ``group``.

    Raises:
        SuhoInputError: when no plugin has that name (the message lists close matches).
    """
    builtin = _builtin_groups()[group].get(name)
    if builtin is not None:  # built-ins win anyway, so no need to scan every distribution
        return builtin.load()
    eps = _group(group)
    if name not in eps:
        kind = group.split(".", 1)[1].rstrip("s")
        close = difflib.get_close_matches(name, eps, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        known = ", ".join(sorted(eps)) or "none"
        raise SuhoInputError(f"unknown {kind} {name!r}.{hint} Known: {known}.")
    return eps[name].load()
