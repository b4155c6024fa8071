"""Every registered plugin loads, follows its protocol, and is documented (garak's habit).

A detector, transform or attack docstring must say what it catches or mimics *and what it
misses*, in a sentence that starts with "Misses" and names something ("Misses nothing" does not
count); detectors and transforms must also appear on their docs page, so users can find it.
"""

from __future__ import annotations

import inspect
import re
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


# Plugin groups whose docstrings must say what they miss.
MUST_SAY_MISSES = ("suho.transforms", "suho.detectors", "suho.attacks")
_MISSES = re.compile(r"(?:^|[.;:!?)]\s+)Misses:?\s+(?P<what>[^.]*)")
_NOTHING = re.compile(r"(nothing|none|no known|not much|n/?a)\b", re.IGNORECASE)


def misses_statement(doc: str) -> str | None:
    """What a docstring says its plugin misses: the first "Misses ..." sentence, when it names
    something (at least a few words, not "nothing" or "none"); None otherwise."""
    if re.search(r"miss(es)? nothing", doc, re.IGNORECASE):
        return None
    for m in _MISSES.finditer(" ".join(doc.split())):
        what = m.group("what").strip()
        if len(what.split()) >= 3 and not _NOTHING.match(what):
            return what
    return None


@pytest.mark.parametrize(
    "doc",
    [
        "Splits words. It mimics no attack and misses nothing: it is the control.",
        "Splits words. Misses: nothing a reader cannot undo.",
        "Splits words. Misses: none.",
        "Splits words. Misses: n/a.",
        "Splits words. Misses: it.",
        "Splits words into jamo; it has no blind spots a user would notice.",
        "Splits words. Mostly misses Hanja.",  # not a sentence that starts with "Misses"
    ],
)
def test_a_docstring_that_says_nothing_about_misses_is_refused(doc: str) -> None:
    assert misses_statement(doc) is None


@pytest.mark.parametrize(
    ("doc", "what"),
    [
        ("Splits words. Misses: words outside the glossary. Reversible.", "words outside the glossary"),
        ("Judges one answer. Misses attacks that need several turns.", "attacks that need several turns"),
        (
            "Finds numbers (labelled). Misses:\n    native Korean numerals (하나, 둘).",
            "native Korean numerals (하나, 둘)",
        ),
    ],
)  # fmt: skip
def test_a_docstring_that_names_its_misses_passes(doc: str, what: str) -> None:
    assert misses_statement(doc) == what


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
    if group in MUST_SAY_MISSES:
        assert misses_statement(doc), (
            f"{group}:{name}: the docstring must say what it misses, in a sentence starting "
            "with 'Misses' that names something"
        )
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
        "import sys\n"
        "sys.argv = ['suho', '--help']\n"
        "from suho.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'aiohttp', 'alembic', 'jinja2', 'llama_cpp', 'kiwipiepy', 'pydantic')"
        " if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "HEAVY:"
