"""Loaders for public datasets a user already has on disk, turned into probes.

suho ships none of these datasets; it reads the file the user points at:

- ``multijail``: the MultiJail CSV (one row per English harmful prompt, one column per language:
  ``en``, ``zh``, ``it``, ``vi``, ``ar``, ``ko``, ``th``, ``bn``, ``sw``, ``jv``, plus ``id``,
  ``source`` and ``tags``). Every language column becomes a probe sharing the row's intent id, so
  the Korean/English gap statistics work on it directly.
- ``xstest``: an XSTest-style CSV (``id``, ``prompt``, ``type``, ``label``: ``safe`` prompts
  must be answered (``expected: comply``), ``unsafe`` ones refused). Without a ``label`` column,
  a ``type`` starting with ``contrast_`` marks the unsafe prompts.
- ``csv`` / ``jsonl``: any table, with ``--map field=column`` naming the columns that hold
  suho's fields (``prompt`` is required; ``id``, ``lang``, ``category``, ``intent_id``,
  ``expected``, ``variant``, ``goal``, ``system``, ``tags`` are optional).

Every problem is a ``SuhoInputError`` naming the file and line, and for a missing column the
columns that were found.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from suho.errors import SuhoInputError
from suho.probes._model import DEFAULT_MAX_PROMPT_CHARS, Probe, check_prompt_size, guess_lang

DATASET_KINDS = ("multijail", "xstest", "csv", "jsonl")
MAPPABLE = (
    "id",
    "prompt",
    "lang",
    "category",
    "intent_id",
    "expected",
    "variant",
    "goal",
    "system",
    "tags",
)
MULTIJAIL_LANGS = ("en", "zh", "it", "vi", "ar", "ko", "th", "bn", "sw", "jv")

_EXPECTED = {
    "refuse": "refuse",
    "unsafe": "refuse",
    "harmful": "refuse",
    "1": "refuse",
    "true": "refuse",
    "comply": "comply",
    "safe": "comply",
    "benign": "comply",
    "0": "comply",
    "false": "comply",
}

# MultiJail's tags (inherited from a red-teaming taxonomy) -> suho categories, first match wins.
_TAG_CATEGORIES = (
    (("self-harm", "self harm", "suicide"), "self-harm"),
    (("child abuse", "sexual", "adult content", "trafficking"), "sex-crime"),
    (("personally identifiable", "privacy"), "personal-data"),
    (("substance", "drug", "gambling"), "drugs-gambling"),
    (("weapon", "terror"), "weapons-cbrn"),
    (("hate", "discrimination", "bullying", "harassment"), "hate"),
    (("misinformation", "conspiracy"), "misinformation"),
    (("fraud", "deception", "theft", "property crime"), "financial-crime"),
    (("hack", "malware", "cyber"), "cyber-offense"),
)


def parse_dataset_spec(spec: str) -> tuple[str, Path]:
    """``KIND:PATH`` -> ``(kind, path)``; the file must exist."""
    kind, sep, path = spec.partition(":")
    kind = kind.strip().lower()
    if not sep or not path:
        raise SuhoInputError(
            f"--dataset {spec!r}: expected KIND:PATH with KIND one of {', '.join(DATASET_KINDS)}"
        )
    if kind not in DATASET_KINDS:
        raise SuhoInputError(
            f"--dataset {spec!r}: unknown kind {kind!r}; use one of {', '.join(DATASET_KINDS)}"
        )
    p = Path(path).expanduser()
    if not p.is_file():
        raise SuhoInputError("dataset file not found", path=str(p))
    return kind, p


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["prompt=question,id=qid", "lang=language"]`` -> ``{"prompt": "question", ...}``."""
    out: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            field, sep, column = part.partition("=")
            field, column = field.strip(), column.strip()
            if not sep or not field or not column:
                raise SuhoInputError(f"--map {part!r}: expected FIELD=COLUMN, e.g. prompt=question")
            if field not in MAPPABLE:
                raise SuhoInputError(
                    f"--map {part!r}: unknown field {field!r}; fields: {', '.join(MAPPABLE)}"
                )
            out[field] = column
    return out


def load_dataset(
    kind: str,
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    *,
    langs: Iterable[str] = (),
    max_prompt_chars: int | None = DEFAULT_MAX_PROMPT_CHARS,
) -> Iterator[Probe]:
    """Probes from a dataset file. ``langs`` limits MultiJail to those language columns
    (default ``ko`` and ``en``); ``mapping`` renames columns for every kind; a prompt longer
    than ``max_prompt_chars`` is an input error naming its line."""
    p = Path(path)
    if not p.is_file():
        raise SuhoInputError("dataset file not found", path=str(p))
    mapping = dict(mapping or {})
    if kind == "multijail":
        return _multijail(p, mapping, tuple(langs) or ("ko", "en"), max_prompt_chars)
    if kind == "xstest":
        return _xstest(p, mapping, max_prompt_chars)
    if kind == "csv":
        return _generic(_csv_rows(p), p, mapping, max_prompt_chars)
    if kind == "jsonl":
        return _generic(_jsonl_rows(p), p, mapping, max_prompt_chars)
    raise SuhoInputError(f"unknown dataset kind {kind!r}; use one of {', '.join(DATASET_KINDS)}")


# -- reading rows ---------------------------------------------------------------------------------


def _csv_rows(p: Path) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
    """``(line, row, header)`` for each CSV record; ``line`` is where the record starts."""
    try:
        with p.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if not header:
                raise SuhoInputError("empty CSV file: no header row", path=str(p), line=1)
            reader.fieldnames = header
            start = reader.line_num + 1
            for row in reader:
                if None in row:
                    raise SuhoInputError(
                        f"row has {len(header) + len(row[None])} cells but the header has {len(header)}",
                        path=str(p),
                        line=start,
                    )
                yield start, dict(row), header
                start = reader.line_num + 1
    except UnicodeDecodeError as e:
        raise SuhoInputError(f"not UTF-8 text ({e.reason})", path=str(p)) from e
    except csv.Error as e:
        raise SuhoInputError(f"not valid CSV ({e})", path=str(p)) from e


def _jsonl_rows(p: Path) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
    try:
        with p.open(encoding="utf-8-sig") as f:
            for no, raw in enumerate(f, start=1):
                line = raw.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise SuhoInputError(
                        f"not valid JSON ({e.msg} at column {e.colno})", path=str(p), line=no
                    ) from e
                if not isinstance(obj, dict):
                    raise SuhoInputError(
                        f"expected a JSON object, got {type(obj).__name__}", path=str(p), line=no
                    )
                yield no, obj, list(obj)
    except UnicodeDecodeError as e:
        raise SuhoInputError(f"not UTF-8 text ({e.reason})", path=str(p)) from e


def _need(
    row: Mapping[str, Any], header: list[str], column: str, field: str, p: Path, line: int
) -> Any:
    if column not in row:
        via = f" (the column for {field!r}; change it with --map {field}=COLUMN)"
        found = ", ".join(header) or "none"
        raise SuhoInputError(
            f"missing column {column!r}{via}; columns found: {found}", path=str(p), line=line
        )
    return row[column]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _make(obj: dict[str, Any], p: Path, line: int, max_prompt_chars: int | None) -> Probe:
    if isinstance(obj.get("prompt"), str):
        check_prompt_size(obj["prompt"], max_prompt_chars, str(p), line)
    try:
        return Probe.model_validate(obj)
    except ValidationError as e:
        msgs = "; ".join(
            f"{'.'.join(str(x) for x in err['loc']) or 'row'}: {err['msg']}" for err in e.errors()
        )
        raise SuhoInputError(msgs, path=str(p), line=line) from e


def _tags(value: Any) -> tuple[str, ...]:
    """A tag cell: a list, a Python/JSON list literal, or comma/semicolon-separated text."""
    if isinstance(value, list):
        items = [str(x) for x in value]
    else:
        text = _text(value)
        if not text:
            return ()
        items = []
        if text.startswith("["):
            try:
                parsed = ast.literal_eval(text)
                if isinstance(parsed, (list, tuple)):
                    items = [str(x) for x in parsed]
            except (ValueError, SyntaxError):
                items = []
        if not items:
            items = re.split(r"[;,]", text.strip("[]"))
    return tuple(dict.fromkeys(t.strip().strip("'\"").strip() for t in items if t.strip()))


def _category_from_tags(tags: Iterable[str]) -> str:
    for tag in tags:
        low = tag.lower()
        for needles, cat in _TAG_CATEGORIES:
            if any(n in low for n in needles):
                return cat
    return "uncategorized"


# -- the kinds ------------------------------------------------------------------------------------


def _multijail(
    p: Path, mapping: dict[str, str], langs: tuple[str, ...], max_prompt_chars: int | None
) -> Iterator[Probe]:
    id_col = mapping.get("id", "id")
    tags_col = mapping.get("tags", "tags")
    seen: set[str] = set()
    for line, row, header in _csv_rows(p):
        rid = _text(_need(row, header, id_col, "id", p, line))
        if not rid:
            raise SuhoInputError(f"empty {id_col!r}", path=str(p), line=line)
        if rid in seen:
            raise SuhoInputError(f"duplicate id {rid!r}", path=str(p), line=line)
        seen.add(rid)
        tags = _tags(row.get(tags_col)) if tags_col in row else ()
        category = _category_from_tags(tags)
        for lang in langs:
            text = _text(_need(row, header, lang, f"the {lang} prompt", p, line))
            if not text:
                continue  # a language left untranslated in this row
            yield _make(
                {
                    "id": f"multijail-{rid}-{lang}",
                    "intent_id": f"multijail-{rid}",
                    "prompt": text,
                    "lang": lang,
                    "category": category,
                    "expected": "refuse",
                    "variant": "literal" if lang != "en" else None,
                    "tags": tags,
                    "meta": {
                        "source": "multijail",
                        "line": line,
                        "origin": _text(row.get("source")),
                    },
                },
                p,
                line,
                max_prompt_chars,
            )


def _xstest(p: Path, mapping: dict[str, str], max_prompt_chars: int | None) -> Iterator[Probe]:
    prompt_col = mapping.get("prompt", "prompt")
    label_col = mapping.get("expected", "label")
    for n, (line, row, header) in enumerate(_csv_rows(p), start=1):
        prompt = _text(_need(row, header, prompt_col, "prompt", p, line))
        id_col = mapping.get("id") or next((c for c in ("id", "id_v2", "id_v1") if c in row), None)
        rid = _text(row.get(id_col)) if id_col else ""
        rid = rid or str(n)
        kind = _text(row.get("type"))
        if label_col in row:
            label = _text(row[label_col]).lower()
            if label not in _EXPECTED:
                raise SuhoInputError(
                    f"{label_col!r} is {label!r}; expected safe or unsafe", path=str(p), line=line
                )
            expected = _EXPECTED[label]
        elif "type" in row:
            expected = "refuse" if kind.startswith("contrast") else "comply"
        else:
            found = ", ".join(header)
            raise SuhoInputError(
                f"missing column {label_col!r} (safe/unsafe) and no 'type' column to infer it "
                f"from; columns found: {found}",
                path=str(p),
                line=line,
            )
        lang_col = mapping.get("lang", "lang")
        yield _make(
            {
                "id": f"xstest-{rid}",
                "intent_id": f"xstest-{rid}",
                "prompt": prompt,
                "lang": _text(row.get(lang_col)) or guess_lang(prompt),
                "category": "over-refusal" if expected == "comply" else "uncategorized",
                "expected": expected,
                "tags": tuple(t for t in (kind, _text(row.get("focus"))) if t),
                "meta": {"source": "xstest", "line": line},
            },
            p,
            line,
            max_prompt_chars,
        )


def _generic(
    rows: Iterable[tuple[int, dict[str, Any], list[str]]],
    p: Path,
    mapping: dict[str, str],
    max_prompt_chars: int | None,
) -> Iterator[Probe]:
    seen: dict[str, int] = {}
    for line, row, header in rows:
        prompt = _text(_need(row, header, mapping.get("prompt", "prompt"), "prompt", p, line))
        if not prompt:
            raise SuhoInputError("empty prompt", path=str(p), line=line)
        obj: dict[str, Any] = {"prompt": prompt}
        for field in (
            "id",
            "lang",
            "category",
            "intent_id",
            "expected",
            "variant",
            "goal",
            "system",
            "tags",
        ):
            column = mapping.get(field, field)
            if field in mapping:
                value = _need(row, header, column, field, p, line)
            elif column in row:
                value = row[column]
            else:
                continue
            if field == "tags":
                obj["tags"] = _tags(value)
            elif field == "expected":
                label = _text(value).lower()
                if label not in _EXPECTED:
                    raise SuhoInputError(
                        f"{column!r} is {label!r}; use refuse/comply (or unsafe/safe)",
                        path=str(p),
                        line=line,
                    )
                obj["expected"] = _EXPECTED[label]
            else:
                text = _text(value)
                if text:
                    obj[field] = text
        obj.setdefault("id", f"{p.stem}-{line}")
        if obj["id"] in seen:
            raise SuhoInputError(
                f"duplicate id {obj['id']!r} (first on line {seen[obj['id']]})",
                path=str(p),
                line=line,
            )
        seen[obj["id"]] = line
        obj["meta"] = {"source": p.name, "line": line}
        yield _make(obj, p, line, max_prompt_chars)
