"""A ``cyberscript`` target provider for tests: ``cyberscript:reference`` / ``cyberscript:null``
build the cyber range's scripted solvers, as the arena's ``script`` provider does once both are
merged. Registered through a dist-info written at test time (see ``install``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suho.cyber._scripted import NullAgent, ReferenceSolver
from suho.targets import TargetOptions, TargetSpec


def CyberScript(spec: TargetSpec, options: TargetOptions | None = None) -> Any:
    """The scripted solver ``spec.model`` names (reference or null)."""
    return {"reference": ReferenceSolver, "null": NullAgent}[spec.model](spec, options)


def install(where: Path) -> Path:
    info = where / "suho_cyber_testkit-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: suho-cyber-testkit\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[suho.targets]\ncyberscript = cyber_testkit:CyberScript\n"
    )
    return where
