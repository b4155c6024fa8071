"""Process helpers the benchmarks share: a fake server that announces its port, and a child's
resident memory."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def start_port_server(
    name: str, cmd: Sequence[str], **popen: Any
) -> tuple[subprocess.Popen[str], int]:
    """Start ``cmd``, a server that prints ``PORT n`` on its first line once it listens; the
    process and ``n``. A server that says anything else is killed and the line reported."""
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, text=True, **popen)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"{name} did not start: {line!r}")
    return proc, int(line.split()[1])


def rss_mb(pid: int) -> float | None:
    """Resident memory of process ``pid`` in MiB (``VmRSS``), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None
