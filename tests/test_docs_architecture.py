"""docs/architecture.md stays true to the code: every package, every plugin group and every
Episode name it must explain is there, and the house rules point to it, not outside the
repository."""

from __future__ import annotations

import re
from pathlib import Path

import suho.episode
from suho import _registry

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_package_is_in_the_nouns_table() -> None:
    packages = sorted(
        p.name
        for p in (ROOT / "src" / "suho").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    )
    assert "engine" in packages and "episode" in packages
    missing = [p for p in packages if f"| `{p}/` |" not in DOC]
    assert not missing, f"packages missing from the table in docs/architecture.md: {missing}"


def test_every_plugin_group_and_its_builtins_are_named() -> None:
    for group in _registry.GROUPS:
        assert f"`{group}`" in DOC, group
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{group}` |"))
        missing = [n for n in _registry.names(group) if f"`{n}`" not in row]
        assert not missing, f"{group}: built-ins missing from its row: {missing}"


def test_the_episode_contract_is_explained() -> None:
    for name in suho.episode.__all__:
        if name in ("render_value", "ToolResultHook", "EventKind"):
            continue  # helpers, named where their owners are explained
        assert f"`{name}" in DOC, f"docs/architecture.md does not explain {name}"
    for role in ("ctx.target", "ctx.attacker", "ctx.judge", "ctx.score", "ctx.tools"):
        assert role in DOC, role


def test_contributing_points_inside_the_repository() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "docs/architecture.md" in text
    assert not re.search(r"\.\./|shared/DESIGN", text), "CONTRIBUTING.md points outside the repo"
