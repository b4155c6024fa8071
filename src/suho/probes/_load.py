"""Reading probes from JSONL files and from the suites shipped inside the package."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from suho.errors import SuhoInputError
from suho.probes._model import Probe


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


def parse_probe_lines(lines: Iterable[str], source: str) -> Iterator[Probe]:
    """Parse JSONL probe lines, naming ``source`` and the line number in every error.

    Blank lines and lines starting with ``//`` or ``#`` are skipped. Duplicate ids are an error,
    because attempt ids are derived from probe ids.
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
        if probe.id in seen:
            raise SuhoInputError(
                f"duplicate probe id {probe.id!r} (first on line {seen[probe.id]})",
                path=source,
                line=no,
            )
        seen[probe.id] = no
        yield probe


def load_probes_file(path: str | Path) -> Iterator[Probe]:
    """Probes from a user's JSONL file: ``{"id", "prompt", "lang"?, "category"?, "intent_id"?, ...}``.

    A missing file is reported at once; problems inside it as the probes are read.
    """
    p = Path(path)
    if not p.is_file():
        raise SuhoInputError("probe file not found", path=str(path))
    return _iter_file(p, str(path))


def _iter_file(p: Path, name: str) -> Iterator[Probe]:
    with p.open(encoding="utf-8-sig") as f:
        try:
            yield from parse_probe_lines(f, name)
        except UnicodeDecodeError as e:
            raise SuhoInputError(f"not UTF-8 text ({e.reason})", path=name) from e


@dataclass(frozen=True, slots=True)
class SuiteInfo:
    name: str
    description: str
    count: int


def _suite_dir() -> resources.abc.Traversable:
    return resources.files("suho").joinpath("data", "suites")


def list_suites() -> list[SuiteInfo]:
    """The suites shipped with suho."""
    index = json.loads(_suite_dir().joinpath("index.json").read_text(encoding="utf-8"))
    out = []
    for name, meta in sorted(index.items()):
        count = sum(1 for _ in load_suite(name))
        out.append(SuiteInfo(name=name, description=meta.get("description", ""), count=count))
    return out


def load_suite(name: str) -> Iterator[Probe]:
    """Probes of a shipped suite, in file order. An unknown name is reported at once."""
    index = json.loads(_suite_dir().joinpath("index.json").read_text(encoding="utf-8"))
    if name not in index:
        known = ", ".join(sorted(index))
        raise SuhoInputError(f"unknown suite {name!r}; known suites: {known}")
    return _iter_suite(index[name].get("files", [f"{name}.jsonl"]))


def _iter_suite(files: list[str]) -> Iterator[Probe]:
    for fname in files:
        text = _suite_dir().joinpath(fname).read_text(encoding="utf-8")
        yield from parse_probe_lines(text.splitlines(), f"suho/data/suites/{fname}")
