"""Every registered plugin loads, follows its protocol, and is documented (garak's habit).

A detector or transform docstring must say what it catches or mimics *and what it misses*; each
must also appear on its docs page, so users can find it.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from suho import _registry

ROOT = Path(__file__).resolve().parent.parent
DOC_PAGE = {
    "suho.transforms": "transforms.md",
    "suho.detectors": "detectors.md",
    "suho.targets": "targets.md",
    "suho.agent_attacks": "agents.md",
    "suho.agent_defenses": "agents.md",
}


def _plugins() -> list[tuple[str, str]]:
    return [(g, n) for g in _registry.GROUPS for n in _registry.names(g)]


@pytest.mark.parametrize(("group", "name"), _plugins())
def test_plugin_loads_and_is_documented(group: str, name: str) -> None:
    obj = _registry.load(group, name)
    doc = inspect.getdoc(obj) or ""
    assert len(doc) >= 30, f"{group}:{name} needs a docstring saying what it does"
    if group in ("suho.transforms", "suho.detectors", "suho.agent_attacks", "suho.agent_defenses"):
        assert getattr(obj, "name", None) == name, (
            f"{group}:{name} has class attribute name={getattr(obj, 'name', None)!r}"
        )
        assert "miss" in doc.lower(), f"{group}:{name}: the docstring must say what it misses"
    if group == "suho.detectors":
        assert obj.kind in ("refusal", "harm", "utility", "security")
    if group == "suho.transforms":
        assert isinstance(obj.reversible, bool)
    page = DOC_PAGE.get(group)
    if page is not None:
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        assert (
            f"`{name}`" in text
            or f"`{group.split('.')[1][:-1]}:{name}" in text
            or f"`{name}:" in text
        ), f"{group}:{name} is not described in docs/{page}"


def test_help_imports_nothing_heavy() -> None:
    """`suho --help` stays fast: no database, HTTP, model or template library is imported."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['suho', '--help']\n"
        "try:\n    runpy.run_module('suho', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'aiohttp', 'alembic', 'jinja2', 'llama_cpp', 'kiwipiepy', 'pydantic')"
        " if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    # SUHO_SLOW_EXIT: `python -m suho` would otherwise end the process before the check runs.
    env = {**os.environ, "SUHO_SLOW_EXIT": "1"}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert r.stdout.strip().splitlines()[-1] == "HEAVY:"
