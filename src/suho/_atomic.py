"""Writing a file atomically: readers see the old file or the whole new one, never half of one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text stream to ``PATH.part`` that becomes ``path`` when the block ends. Whatever
    fails (the writer, a kill signal, the final rename) leaves no ``.part`` file behind."""
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            yield f
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
