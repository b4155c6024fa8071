"""Where suho keeps files of its own on the user's machine (models, caches), in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def suho_home(env: Mapping[str, str] | None = None) -> Path:
    """``$SUHO_HOME``, else ``suho`` in ``$XDG_CACHE_HOME``, else ``~/.cache/suho``.

    Everything under it can be rebuilt or downloaded again; nothing a run produces lives here.
    """
    source = os.environ if env is None else env
    home = source.get("SUHO_HOME")
    if home:
        return Path(home).expanduser()
    cache_home = source.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(cache_home) / "suho"
