"""Reading probes from JSONL files and from the suites shipped inside the package."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from suho.errors import SuhoInputError
from suho.probes._model import DEFAULT_MAX_PROMPT_CHARS, Probe, check_prompt_size


def _explain(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "object"
        if err["type"] == "missing":
            parts.append(f"missing required field {loc!r}")
        elif err["type"] == "extra_forbidden":
            parts.append(f'unknown field {loc!r} (put extra data under "meta")')
        else:
            parts.append(f"field {loc!r}: {err['msg']}")
    return "; ".join(parts)


def parse_probe_lines(
    lines: Iterable[str], source: str, *, max_prompt_chars: int | None = None
) -> Iterator[Probe]:
    """Parse JSONL probe lines, naming ``source`` and the line number in every error.

    Blank lines and lines starting with ``//`` or ``#`` are skipped. Duplicate ids are an error,
    because attempt ids are derived from probe ids, and so is a prompt longer than
    ``max_prompt_chars``.
    """
    seen: dict[str, int] = {}
    for no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith(("//", "#")):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise SuhoInputError(
                f"not valid JSON ({e.msg} at column {e.colno})", path=source, line=no
            ) from e
        if not isinstance(obj, dict):
            raise SuhoInputError(
                f"expected a JSON object, got {type(obj).__name__}", path=source, line=no
            )
        try:
            probe = Probe.model_validate(obj)
        except ValidationError as e:
            raise SuhoInputError(_explain(e), path=source, line=no) from e
        check_prompt_size(probe.prompt, max_prompt_chars, source, no)
        if probe.id in seen:
            raise SuhoInputError(
                f"duplicate probe id {probe.id!r} (first on line {seen[probe.id]})",
                path=source,
                line=no,
            )
        seen[probe.id] = no
        yield probe


def load_probes_file(
    path: str | Path, *, max_prompt_chars: int | None = DEFAULT_MAX_PROMPT_CHARS
) -> Iterator[Probe]:
    """Probes from a user's JSONL file: ``{"id", "prompt", "lang"?, "category"?, "intent_id"?, ...}``.

    A missing file is reported at once; problems inside it (a prompt longer than
    ``max_prompt_chars`` too) as the probes are read.
    """
    p = Path(path)
    if not p.is_file():
        raise SuhoInputError("probe file not found", path=str(path))
    return _iter_file(p, str(path), max_prompt_chars)


def _iter_file(p: Path, name: str, max_prompt_chars: int | None) -> Iterator[Probe]:
    with p.open(encoding="utf-8-sig") as f:
        try:
            yield from parse_probe_lines(f, name, max_prompt_chars=max_prompt_chars)
        except UnicodeDecodeError as e:
            raise SuhoInputError(f"not UTF-8 text ({e.reason})", path=name) from e


@dataclass(frozen=True, slots=True)
class SuiteInfo:
    name: str
    description: str
    count: int


# Keys a suite's "select" rule may use; every key given must match (a list of rules is a union).
_RULE_KEYS = frozenset(
    {"categories", "expected", "intents", "ids", "langs", "tags", "exclude_variants"}
)


def _data_dir(*parts: str) -> resources.abc.Traversable:
    return resources.files("suho").joinpath("data", *parts)


def _suite_dir() -> resources.abc.Traversable:
    return _data_dir("suites")


def _read_index() -> dict[str, Any]:
    index: dict[str, Any] = json.loads(
        _suite_dir().joinpath("index.json").read_text(encoding="utf-8")
    )
    return index


def _library_files() -> list[str]:
    """The library's files: one per category in the taxonomy's order, then any others by name."""
    from suho.probes._taxonomy import load_taxonomy

    names = sorted(
        f.name for f in _data_dir("probes").iterdir() if f.is_file() and f.name.endswith(".jsonl")
    )
    order = {f"{cat}.jsonl": i for i, cat in enumerate(load_taxonomy().categories)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


@lru_cache(maxsize=1)
def load_library() -> tuple[Probe, ...]:
    """Every probe shipped in ``suho/data/probes/``, in category order. Ids are unique across files."""
    out: list[Probe] = []
    seen: dict[str, str] = {}
    for fname in _library_files():
        source = f"suho/data/probes/{fname}"
        text = _data_dir("probes", fname).read_text(encoding="utf-8")
        for probe in parse_probe_lines(text.splitlines(), source):
            if probe.id in seen:
                raise SuhoInputError(
                    f"probe id {probe.id!r} is also in {seen[probe.id]}", path=source
                )
            seen[probe.id] = source
            out.append(probe)
    return tuple(out)


def _rule_matches(rule: dict[str, Any], p: Probe) -> bool:
    if "categories" in rule and p.category not in rule["categories"]:
        return False
    if "expected" in rule and p.expected != rule["expected"]:
        return False
    if "intents" in rule and p.intent_id not in rule["intents"]:
        return False
    if "ids" in rule and p.id not in rule["ids"]:
        return False
    if "langs" in rule and p.lang not in rule["langs"]:
        return False
    if "tags" in rule and not set(rule["tags"]) & set(p.tags):
        return False
    return not ("exclude_variants" in rule and p.variant in rule["exclude_variants"])


def _rules(name: str, meta: dict[str, Any]) -> list[dict[str, Any]]:
    sel = meta["select"]
    rules = sel if isinstance(sel, list) else [sel]
    for rule in rules:
        bad = set(rule) - _RULE_KEYS
        if bad:
            raise SuhoInputError(
                f"suite {name!r}: unknown selection key(s) {sorted(bad)}; use {sorted(_RULE_KEYS)}",
                path="suho/data/suites/index.json",
            )
    return rules


def list_suites() -> list[SuiteInfo]:
    """The suites shipped with suho."""
    out = []
    for name, meta in sorted(_read_index().items()):
        count = sum(1 for _ in load_suite(name))
        out.append(SuiteInfo(name=name, description=meta.get("description", ""), count=count))
    return out


def load_suite(name: str) -> Iterator[Probe]:
    """Probes of a shipped suite, in library order. An unknown name is reported at once.

    A suite in ``suho/data/suites/index.json`` either names its own JSONL ``files`` (relative to
    ``suho/data/suites/``) or a ``select`` rule over the library (see docs/probes.md).
    """
    index = _read_index()
    if name not in index:
        known = ", ".join(sorted(index))
        raise SuhoInputError(f"unknown suite {name!r}; known suites: {known}")
    meta = index[name]
    if "select" in meta:
        rules = _rules(name, meta)
        return iter([p for p in load_library() if any(_rule_matches(r, p) for r in rules)])
    return _iter_suite(meta.get("files", [f"{name}.jsonl"]))


def _iter_suite(files: list[str]) -> Iterator[Probe]:
    for fname in files:
        text = _suite_dir().joinpath(fname).read_text(encoding="utf-8")
        yield from parse_probe_lines(text.splitlines(), f"suho/data/suites/{fname}")
