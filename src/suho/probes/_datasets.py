"""Loaders for public datasets a user already has on disk, turned into probes.

suho ships none of these datasets; it reads the file the user points at, in the shape its
authors published:

- ``multijail``: the MultiJail CSV (one row per English harmful prompt, one column per language:
  ``en``, ``zh``, ``it``, ``vi``, ``ar``, ``ko``, ``th``, ``bn``, ``sw``, ``jv``, plus ``id``,
  ``source`` and ``tags``). Every chosen language column becomes a probe sharing the row's intent
  id, so the Korean/English gap statistics work on it directly. The published tags map to suho's
  categories, the most specific tag winning (``MULTIJAIL_TAGS``).
- ``xstest``: an XSTest-style CSV (``id``, ``prompt``, ``type``, ``label``: ``safe`` prompts
  must be answered (``expected: comply``), ``unsafe`` ones refused). Without a ``label`` column,
  a ``type`` starting with ``contrast_`` marks the unsafe prompts.
- ``csv`` / ``tsv`` / ``jsonl`` / ``json``: any table (comma- or tab-separated, JSON Lines, or
  one JSON array of objects), with ``--map`` naming the columns that hold suho's fields.

``--map`` entries (``parse_mapping``):

- ``FIELD=COLUMN`` takes a field from a column (``prompt`` is required; ``id``, ``lang``,
  ``category``, ``intent_id``, ``expected``, ``variant``, ``goal``, ``system``, ``tags`` are
  optional);
- ``FIELD=`` switches off a column that has the field's name;
- ``prompt.LANG=COLUMN`` (e.g. ``prompt.ko=question``, ``prompt.en=question_en``) reads one
  prompt column per language: every row becomes one probe per language sharing an intent id;
- ``FIELD={a} {b}`` is a template: column names in braces, ``{{``/``}}`` for literal braces.

A column the user did not map is used only when it has the field's exact name, and the load says
so (``DatasetLoad.notes``). A ``--map`` naming a column that is not in the file is an error.

Every problem is a ``SuhoInputError`` naming the file and line, and for a missing column the
columns that were found. With ``skip_bad_rows`` a bad row is left out and reported instead.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from suho.errors import SuhoInputError
from suho.probes._model import DEFAULT_MAX_PROMPT_CHARS, Probe, check_prompt_size, guess_lang

DATASET_KINDS = ("multijail", "xstest", "csv", "tsv", "jsonl", "json")
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

# MultiJail's 18 tags (from the red-teaming taxonomy it inherits) -> suho categories, in order of
# specificity: a row carrying several tags takes the category of the first one in this list (a
# suicide question tagged with substances too is self-harm; a row tagged violence and weapons is
# weapons). Child abuse is violence (kidnapping, beatings) unless a sexual tag says otherwise.
MULTIJAIL_TAGS: tuple[tuple[str, str], ...] = (
    ("Self-harm", "self-harm"),
    ("Sexual exploitation & human trafficking", "sex-crime"),
    ("Adult content", "sex-crime"),
    ("Child abuse", "violence"),
    ("Soliciting personally identifiable information", "personal-data"),
    ("Weapons", "weapons-cbrn"),
    ("Terrorism & organized crime", "violence"),
    ("Substance abuse & banned substances", "drugs-gambling"),
    ("Fraud & deception", "financial-crime"),
    ("Conspiracy theories & misinformation", "misinformation"),
    ("Animal abuse", "violence"),
    ("Theft", "unethical-conduct"),
    ("Property crime & vandalism", "unethical-conduct"),
    ("Hate speech & offensive language", "hate"),
    ("Discrimination & injustice", "hate"),
    ("Bullying & harassment", "hate"),
    ("Violence & incitement", "violence"),
    ("Non-violent unethical behavior (e.g. lying, cheating, etc.)", "unethical-conduct"),
)
# Tags of the same taxonomy that carry no category.
_NO_CATEGORY_TAGS = frozenset({"other", "n/a - invalid attempt"})


def _tag_key(tag: str) -> str:
    """A tag compared without case, spacing or the "(e.g. ...)" gloss: the published spellings."""
    tag = re.sub(r"\(.*?\)", "", tag.lower())
    return re.sub(r"[^a-z&]+", " ", tag).strip()


_TAG_RANK = {_tag_key(tag): (i, cat) for i, (tag, cat) in enumerate(MULTIJAIL_TAGS)}
_SKIP_HINT = " (pass --skip-bad-rows to leave such rows out)"


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row left out with ``skip_bad_rows``: where it is and why."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class DatasetLoad:
    """Everything a dataset file gave: the probes, the rows left out, and notes for the user
    (same-name columns used without a ``--map``)."""

    probes: tuple[Probe, ...]
    skipped: tuple[BadRow, ...]
    notes: tuple[str, ...]
    rows: int


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


# -- --map ----------------------------------------------------------------------------------------

# A comma starts a new entry only when FIELD= or FIELD.LANG= follows, so templates keep commas.
_ENTRY_SPLIT = re.compile(r",(?=\s*[A-Za-z_]+(?:\.[A-Za-z-]+)?\s*=)")
_TEMPLATE_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def _template_columns(value: str) -> list[str] | None:
    """The column names in a template, or None when ``value`` is a plain column name."""
    if "{" not in value and "}" not in value:
        return None
    cols = [m.group(1) for m in _TEMPLATE_PART.finditer(value) if m.group(1) is not None]
    rest = _TEMPLATE_PART.sub("", value)
    if "{" in rest or "}" in rest:
        raise SuhoInputError(
            f"--map template {value!r}: unbalanced braces; write {{COLUMN}} for a column and "
            "{{ or }} for a literal brace"
        )
    if any(not c.strip() for c in cols):
        raise SuhoInputError(f"--map template {value!r}: empty {{}}; put a column name inside")
    if not cols:
        raise SuhoInputError(f"--map template {value!r} names no column; use {{COLUMN}}")
    return [c.strip() for c in cols]


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``--map`` entries -> ``{key: column-or-template}``.

    Keys are suho fields, or ``prompt.LANG`` for a prompt column per language; an empty value
    switches a same-name column off. ``["prompt=question,id=qid", "category="]`` ->
    ``{"prompt": "question", "id": "qid", "category": ""}``.
    """
    out: dict[str, str] = {}
    for item in items:
        for part in _ENTRY_SPLIT.split(item):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key:
                raise SuhoInputError(f"--map {part!r}: expected FIELD=COLUMN, e.g. prompt=question")
            field, dot, lang = key.partition(".")
            if field not in MAPPABLE:
                raise SuhoInputError(
                    f"--map {part!r}: unknown field {field!r}; fields: {', '.join(MAPPABLE)}"
                    " (and prompt.LANG, e.g. prompt.ko=question)"
                )
            if dot:
                lang = lang.lower()
                if field != "prompt" or not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", lang):
                    raise SuhoInputError(
                        f"--map {part!r}: only the prompt takes a language, as prompt.LANG=COLUMN "
                        "with LANG a code such as ko or en"
                    )
                key = f"prompt.{lang}"
            if not value and field == "prompt":
                raise SuhoInputError(f"--map {part!r}: the prompt cannot be switched off")
            if value:
                _template_columns(value)
            if key in out and out[key] != value:
                raise SuhoInputError(
                    f"--map {key} given twice ({out[key]!r} and {value!r}); keep one"
                )
            out[key] = value
    per_lang = sorted(k for k in out if k.startswith("prompt."))
    if per_lang and "prompt" in out:
        raise SuhoInputError(
            "--map: use either prompt=COLUMN or one prompt.LANG=COLUMN per language, not both"
        )
    if per_lang and out.get("lang"):
        raise SuhoInputError(
            f"--map lang={out['lang']} and {per_lang[0]}=...: with a prompt column per language "
            "the language comes from the mapping; drop lang="
        )
    return out


@dataclass(frozen=True, slots=True)
class _Src:
    """Where a field's value comes from: one column, or a template over columns."""

    key: str  # the --map key, or the field for a same-name column
    value: str  # column name or template
    columns: tuple[str, ...]
    template: bool

    @classmethod
    def of(cls, key: str, value: str) -> _Src:
        cols = _template_columns(value)
        if cols is None:
            return cls(key, value, (value,), False)
        return cls(key, value, tuple(cols), True)

    def get(self, row: Mapping[str, Any]) -> Any:
        if not self.template:
            return row[self.value]
        return _TEMPLATE_PART.sub(
            lambda m: (
                "{"
                if m.group(0) == "{{"
                else "}"
                if m.group(0) == "}}"
                else _text(row[m.group(1).strip()])
            ),
            self.value,
        ).strip()

    def missing(self, row: Mapping[str, Any]) -> list[str]:
        return [c for c in self.columns if c not in row]


# -- reading rows ---------------------------------------------------------------------------------

Row = tuple[int, dict[str, Any]]


def _open_text(p: Path, encoding: str | None) -> str:
    try:
        return p.read_text(encoding=encoding or "utf-8-sig")
    except UnicodeDecodeError as e:
        raise SuhoInputError(f"not {encoding or 'UTF-8'} text ({e.reason})", path=str(p)) from e


def _looks_like(text: str) -> str:
    """What a file that failed to parse seems to be, as a hint naming the right kind."""
    head = text.lstrip()
    first = head.split("\n", 1)[0]
    if head.startswith("["):
        return "it looks like one JSON array; use --dataset json:FILE"
    if head.startswith("{"):
        try:
            json.loads(head)
        except json.JSONDecodeError:
            return "it looks like JSON Lines (one object a line); use --dataset jsonl:FILE"
        return "it looks like one JSON object; suho reads a JSON array of objects (json:) or JSON Lines (jsonl:)"
    if "\t" in first:
        return "it looks tab-separated; use --dataset tsv:FILE"
    if "," in first:
        return "it looks comma-separated; use --dataset csv:FILE"
    return ""


def _with_hint(message: str, text: str, wrong: str) -> str:
    hint = _looks_like(text)
    return f"{message}; {hint}" if hint and f"use --dataset {wrong}FILE" not in hint else message


def _table_rows(p: Path, text: str, delimiter: str) -> tuple[list[str], list[Row]]:
    """Header and ``(line, row)`` records of a CSV/TSV text; ``line`` is where a record starts."""
    kind = "tsv" if delimiter == "\t" else "csv"
    head = text.lstrip()
    if head.startswith(("[", "{")):
        raise SuhoInputError(
            _with_hint(f"not a {kind.upper()} file", text, f"{kind}:"), path=str(p), line=1
        )
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not header:
            raise SuhoInputError(f"empty {kind.upper()} file: no header row", path=str(p), line=1)
        other = "," if delimiter == "\t" else "\t"
        if len(header) == 1 and other in header[0]:
            raise SuhoInputError(
                _with_hint(f"the header has one column, {header[0][:60]!r}", text, f"{kind}:"),
                path=str(p),
                line=1,
            )
        reader.fieldnames = header
        rows: list[Row] = []
        start = reader.line_num + 1
        for row in reader:
            if None in row:
                msg = (
                    f"row has {len(header) + len(row[None])} cells but the header has {len(header)}"
                )
                if len(header) == 1:
                    msg = _with_hint(msg, text, f"{kind}:")
                raise SuhoInputError(msg, path=str(p), line=start)
            rows.append((start, dict(row)))
            start = reader.line_num + 1
    except csv.Error as e:
        raise SuhoInputError(f"not valid {kind.upper()} ({e})", path=str(p)) from e
    return header, rows


def _jsonl_rows(p: Path, text: str) -> list[Row]:
    rows: list[Row] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if no == 1 and line.startswith("["):
            raise SuhoInputError(
                "not JSON Lines: the file starts with '[', one JSON array; use --dataset json:FILE",
                path=str(p),
                line=no,
            )
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            msg = f"not valid JSON ({e.msg} at column {e.colno})"
            raise SuhoInputError(
                _with_hint(msg, text, "jsonl:") if not rows else msg, path=str(p), line=no
            ) from e
        if not isinstance(obj, dict):
            raise SuhoInputError(
                f"expected a JSON object, got {type(obj).__name__}", path=str(p), line=no
            )
        rows.append((no, obj))
    return rows


def _json_rows(p: Path, text: str) -> list[Row]:
    """The objects of one JSON array, each with the line it starts on."""
    start = len(text) - len(text.lstrip())
    if not text[start:].startswith("["):
        raise SuhoInputError(
            _with_hint("not a JSON array of objects", text, "json:"),
            path=str(p),
            line=text.count("\n", 0, start) + 1,
        )
    dec = json.JSONDecoder()
    rows: list[Row] = []
    i = start + 1
    ws = re.compile(r"\s*")
    seen = [0, 1]  # position and line counted up to: each newline is counted once, in order

    def line_at(pos: int) -> int:
        seen[1] += text.count("\n", seen[0], pos)
        seen[0] = pos
        return seen[1]

    while True:
        i = ws.match(text, i).end()  # type: ignore[union-attr]
        if i < len(text) and text[i] == "]":
            i += 1
            break
        if rows:
            if i >= len(text) or text[i] != ",":
                raise SuhoInputError(
                    "not valid JSON (expected ',' or ']')", path=str(p), line=line_at(i)
                )
            i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
        line = line_at(i)
        try:
            obj, i = dec.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise SuhoInputError(f"not valid JSON ({e.msg})", path=str(p), line=e.lineno) from e
        if not isinstance(obj, dict):
            raise SuhoInputError(
                f"expected a JSON object in the array, got {type(obj).__name__}",
                path=str(p),
                line=line,
            )
        rows.append((line, obj))
    if text[i:].strip():
        raise SuhoInputError(
            "not valid JSON: more text after the array",
            path=str(p),
            line=line_at(ws.match(text, i).end()),  # type: ignore[union-attr]
        )
    return rows


def _read_rows(kind: str, p: Path, encoding: str | None) -> tuple[list[str], list[Row], bool]:
    """``(columns, rows, fixed_header)``: a table's header, or every key seen in JSON rows."""
    text = _open_text(p, encoding)
    if kind in ("csv", "multijail", "xstest"):
        header, rows = _table_rows(p, text, ",")
        return header, rows, True
    if kind == "tsv":
        header, rows = _table_rows(p, text, "\t")
        return header, rows, True
    rows = _jsonl_rows(p, text) if kind == "jsonl" else _json_rows(p, text)
    seen: dict[str, None] = {}
    for _, obj in rows:
        seen.update(dict.fromkeys(obj))
    return list(seen), rows, False


# -- values ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _make(obj: dict[str, Any], p: Path, line: int) -> Probe:
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


def category_from_tags(tags: Iterable[str]) -> str:
    """The suho category of a MultiJail row: its most specific published tag's
    (``MULTIJAIL_TAGS``); ``uncategorized`` when no tag is one of them."""
    best: tuple[int, str] | None = None
    for tag in tags:
        hit = _TAG_RANK.get(_tag_key(tag))
        if hit is not None and (best is None or hit < best):
            best = hit
    return best[1] if best else "uncategorized"


def _expected(value: Any, column: str) -> str:
    label = _text(value).lower()
    if label not in _EXPECTED:
        raise SuhoInputError(f"{column!r} is {label!r}; use refuse/comply (or unsafe/safe)")
    return _EXPECTED[label]


def _missing_column(src: _Src, columns: list[str], what: str, fix: str) -> SuhoInputError:
    gone = [c for c in src.columns if c not in columns]
    found = ", ".join(columns) or "none"
    return SuhoInputError(f"no column {gone[0]!r} for {what}{fix}; columns found: {found}")


# -- one row at a time ----------------------------------------------------------------------------


def _collect(
    p: Path,
    rows: list[Row],
    make: Callable[[int, dict[str, Any]], list[Probe]],
    skip_bad_rows: bool,
) -> tuple[list[Probe], list[BadRow]]:
    """Probes of every row; a bad row raises (naming its line) or, with ``skip_bad_rows``, is
    left out and reported. Duplicate probe ids are bad rows too."""
    probes: list[Probe] = []
    skipped: list[BadRow] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            made = make(line, row)
            for probe in made:
                if probe.id in seen:
                    raise SuhoInputError(
                        f"duplicate id {probe.id!r} (first on line {seen[probe.id]})"
                    )
            for probe in made:
                seen[probe.id] = line
        except SuhoInputError as e:
            message = e.message if hasattr(e, "message") else str(e)
            if not skip_bad_rows:
                raise SuhoInputError(message + _SKIP_HINT, path=str(p), line=line) from e
            skipped.append(BadRow(line, message))
            continue
        probes.extend(made)
    if not probes:
        if rows and not skipped:
            raise SuhoInputError(
                "no prompts: every row is empty in the chosen columns", path=str(p)
            )
        if skipped:
            raise SuhoInputError(
                f"no usable rows: all {len(skipped)} were bad (first, line {skipped[0].line}: "
                f"{skipped[0].message})",
                path=str(p),
            )
        raise SuhoInputError("no rows: the file has a header but nothing under it", path=str(p))
    return probes, skipped


def _row_error(e: Exception) -> str:
    return getattr(e, "message", None) or str(e)


# -- the kinds ------------------------------------------------------------------------------------


def _check(mapping: Mapping[str, str], allowed: Iterable[str], kind: str, extra: str = "") -> None:
    allowed = tuple(allowed)
    for key in mapping:
        field = key.partition(".")[0] if key.startswith("prompt.") else key
        ok = key in allowed or (key.startswith("prompt.") and "prompt.LANG" in allowed)
        if not ok:
            raise SuhoInputError(
                f"--map {key}=...: {kind} takes no {field!r} mapping; it takes "
                f"{', '.join(allowed)}{extra}"
            )


def _multijail(
    p: Path,
    mapping: dict[str, str],
    langs: tuple[str, ...],
    skip_bad_rows: bool,
    encoding: str | None,
) -> DatasetLoad:
    if "prompt" in mapping:
        raise SuhoInputError(
            f"--map prompt={mapping['prompt']}: MultiJail has one prompt column per language; "
            "choose languages with --lang ko,en, or name a language's column with "
            "--map prompt.ko=COLUMN"
        )
    _check(mapping, ("id", "tags", "category", "prompt.LANG"), "multijail")
    columns, rows, _ = _read_rows("multijail", p, encoding)
    langs = langs or ("ko", "en")
    for key in mapping:
        if key.startswith("prompt.") and key[7:] not in langs:
            langs = (*langs, key[7:])
    notes: list[str] = []
    id_src = _Src.of("id", mapping.get("id") or "id")
    srcs: dict[str, _Src] = {"id": id_src}
    for field in ("tags", "category"):
        if mapping.get(field):
            srcs[field] = _Src.of(field, mapping[field])
        elif field == "tags" and field not in mapping and "tags" in columns:
            srcs["tags"] = _Src.of("tags", "tags")
    prompt_srcs = {
        lang: _Src.of(f"prompt.{lang}", mapping.get(f"prompt.{lang}") or lang) for lang in langs
    }
    for key, src in srcs.items():
        if src.missing(dict.fromkeys(columns)):
            fix = f"; name it with --map {key}=COLUMN" if key == "id" else ""
            raise _with_path(
                _missing_column(src, columns, f"--map {key}" if key in mapping else key, fix), p
            )
    lang_cols = [c for c in columns if c.lower() in MULTIJAIL_LANGS]
    for lang, src in prompt_srcs.items():
        if src.missing(dict.fromkeys(columns)):
            have = ",".join(c.lower() for c in lang_cols) or "none"
            raise _with_path(
                SuhoInputError(
                    f"no column {src.columns[0]!r} for the {lang} prompt; the language columns "
                    f"here are {have}: choose from them with --lang {have}, or name the {lang} "
                    f"column with --map prompt.{lang}=COLUMN; columns found: {', '.join(columns)}"
                ),
                p,
            )

    def make(line: int, row: dict[str, Any]) -> list[Probe]:
        rid = _text(id_src.get(row))
        if not rid:
            raise SuhoInputError(f"empty {id_src.value!r}")
        tags = _tags(srcs["tags"].get(row)) if "tags" in srcs else ()
        if "category" in srcs:
            category = _text(srcs["category"].get(row)) or "uncategorized"
        else:
            category = category_from_tags(tags)
        out = []
        for lang, src in prompt_srcs.items():
            text = _text(src.get(row))
            if not text:
                continue  # a language left untranslated in this row
            out.append(
                _make(
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
                )
            )
        return out  # empty when the row is untranslated in every chosen language

    probes, skipped = _collect(p, rows, make, skip_bad_rows)
    return DatasetLoad(tuple(probes), tuple(skipped), tuple(notes), len(rows))


def _with_path(e: SuhoInputError, p: Path, line: int | None = 1) -> SuhoInputError:
    return SuhoInputError(_row_error(e), path=str(p), line=line)


def _xstest(
    p: Path, mapping: dict[str, str], skip_bad_rows: bool, encoding: str | None
) -> DatasetLoad:
    _check(mapping, ("id", "prompt", "expected", "lang", "category", "tags"), "xstest")
    columns, rows, _ = _read_rows("xstest", p, encoding)
    has = dict.fromkeys(columns)
    srcs: dict[str, _Src | None] = {}
    defaults: dict[str, str | None] = {
        "prompt": "prompt",
        "id": next((c for c in ("id", "id_v2", "id_v1") if c in has), None),
        "expected": "label" if "label" in has else None,
        "lang": "lang" if "lang" in has else None,
        "category": None,
        "tags": None,
    }
    for field, default in defaults.items():
        if field in mapping:
            srcs[field] = _Src.of(field, mapping[field]) if mapping[field] else None
        else:
            srcs[field] = _Src.of(field, default) if default else None
        src = srcs[field]
        if src is not None and src.missing(has):
            what = f"--map {field}={mapping[field]}" if field in mapping else f"the {field}"
            fix = "" if field in mapping else f"; name it with --map {field}=COLUMN"
            raise _with_path(_missing_column(src, columns, what, fix), p)
    if srcs["expected"] is None and "type" not in has:
        raise _with_path(
            SuhoInputError(
                "no 'label' column (safe/unsafe) and no 'type' column to infer it from; name "
                f"the label column with --map expected=COLUMN; columns found: {', '.join(columns)}"
            ),
            p,
        )

    def make(line: int, row: dict[str, Any]) -> list[Probe]:
        def val(field: str) -> Any:
            src = srcs[field]
            return src.get(row) if src is not None else None

        prompt = _text(val("prompt"))
        if not prompt:
            raise SuhoInputError("empty prompt")
        rid = _text(val("id")) or str(line - 1)
        kind = _text(row.get("type"))
        src = srcs["expected"]
        if src is not None:
            expected = _expected(src.get(row), src.value)
        else:
            expected = "refuse" if kind.startswith("contrast") else "comply"
        if srcs["tags"] is not None:
            tags = _tags(val("tags"))
        else:
            tags = tuple(t for t in (kind, _text(row.get("focus"))) if t)
        category = _text(val("category")) or (
            "over-refusal" if expected == "comply" else "uncategorized"
        )
        return [
            _make(
                {
                    "id": f"xstest-{rid}",
                    "intent_id": f"xstest-{rid}",
                    "prompt": prompt,
                    "lang": _text(val("lang")) or guess_lang(prompt),
                    "category": category,
                    "expected": expected,
                    "tags": tags,
                    "meta": {"source": "xstest", "line": line},
                },
                p,
                line,
            )
        ]

    probes, skipped = _collect(p, rows, make, skip_bad_rows)
    return DatasetLoad(tuple(probes), tuple(skipped), (), len(rows))


_OPTIONAL = ("id", "lang", "category", "intent_id", "expected", "variant", "goal", "system", "tags")


def _generic(
    kind: str, p: Path, mapping: dict[str, str], skip_bad_rows: bool, encoding: str | None
) -> DatasetLoad:
    columns, rows, fixed = _read_rows(kind, p, encoding)
    has = dict.fromkeys(columns)
    notes: list[str] = []
    per_lang = {k[7:]: _Src.of(k, v) for k, v in mapping.items() if k.startswith("prompt.")}
    prompt_src = None if per_lang else _Src.of("prompt", mapping.get("prompt", "prompt"))
    srcs: dict[str, _Src] = {}
    for field in _OPTIONAL:
        if field in mapping:
            if mapping[field]:
                srcs[field] = _Src.of(field, mapping[field])
        elif field in has and not (per_lang and field == "lang"):
            srcs[field] = _Src.of(field, field)
            if field != "id":  # an id column is never a surprise
                notes.append(
                    f"column {field!r} is read as the probe's {field} because of its name "
                    f"(switch it off with --map {field}=)"
                )
    every = [*([prompt_src] if prompt_src else []), *per_lang.values(), *srcs.values()]
    for src in every:
        if src.missing(has):
            if src.key == "prompt" and "prompt" not in mapping:
                what, fix = "the prompt", "; name it with --map prompt=COLUMN"
            else:
                what, fix = f"--map {src.key}={src.value}", ""
            line = 1 if fixed else rows[0][0] if rows else 1
            raise _with_path(_missing_column(src, columns, what, fix), p, line)

    ordinal = {id(row): n for n, (_, row) in enumerate(rows, start=1)}

    def default_id(line: int, row: dict[str, Any]) -> str:
        # a JSON array may hold many objects on one line: number them by place instead
        return f"{p.stem}-{ordinal[id(row)] if kind == 'json' else line}"

    def make(line: int, row: dict[str, Any]) -> list[Probe]:
        for src in every:
            gone = src.missing(row)
            if gone:
                raise SuhoInputError(
                    f"no {gone[0]!r} in this row (for {src.key}); keys found: "
                    f"{', '.join(row) or 'none'}"
                )
        obj: dict[str, Any] = {}
        for field, src in srcs.items():
            value = src.get(row)
            if field == "tags":
                obj["tags"] = _tags(value)
            elif field == "expected":
                obj["expected"] = _expected(value, src.value)
            else:
                text = _text(value)
                if text:
                    obj[field] = text
        obj["meta"] = {"source": p.name, "line": line}
        if prompt_src is not None:
            prompt = _text(prompt_src.get(row))
            if not prompt:
                raise SuhoInputError("empty prompt")
            obj.setdefault("id", default_id(line, row))
            return [_make({**obj, "prompt": prompt}, p, line)]
        base = obj.pop("id", None) or default_id(line, row)
        intent = obj.pop("intent_id", None) or base
        out = []
        for lang, src in per_lang.items():
            prompt = _text(src.get(row))
            if prompt:
                one = {**obj, "id": f"{base}-{lang}", "intent_id": intent, "lang": lang}
                out.append(_make({**one, "prompt": prompt}, p, line))
        if not out:
            raise SuhoInputError(f"empty prompt in every column ({', '.join(per_lang)})")
        return out

    probes, skipped = _collect(p, rows, make, skip_bad_rows)
    return DatasetLoad(tuple(probes), tuple(skipped), tuple(notes), len(rows))


def read_dataset(
    kind: str,
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    *,
    langs: Iterable[str] = (),
    skip_bad_rows: bool = False,
    encoding: str | None = None,
    max_prompt_chars: int | None = DEFAULT_MAX_PROMPT_CHARS,
) -> DatasetLoad:
    """Every probe of a dataset file, read whole before anything is returned.

    ``langs`` limits MultiJail to those language columns (default ``ko`` and ``en``);
    ``mapping`` (from ``parse_mapping``) says which columns hold suho's fields; a prompt longer
    than ``max_prompt_chars`` is an input error naming its line.
    """
    p = Path(path)
    if not p.is_file():
        raise SuhoInputError("dataset file not found", path=str(p))
    mapping = dict(mapping or {})
    langs = tuple(dict.fromkeys(x.strip().lower() for x in langs if x.strip()))
    if kind == "multijail":
        load = _multijail(p, mapping, langs, skip_bad_rows, encoding)
    elif kind == "xstest":
        load = _xstest(p, mapping, skip_bad_rows, encoding)
    elif kind in ("csv", "tsv", "jsonl", "json"):
        load = _generic(kind, p, mapping, skip_bad_rows, encoding)
    else:
        raise SuhoInputError(
            f"unknown dataset kind {kind!r}; use one of {', '.join(DATASET_KINDS)}"
        )
    for probe in load.probes:
        line = probe.meta.get("line") if isinstance(probe.meta, dict) else None
        check_prompt_size(probe.prompt, max_prompt_chars, str(p), int(line or 0))
    return load


def load_dataset(
    kind: str,
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    *,
    langs: Iterable[str] = (),
    skip_bad_rows: bool = False,
    encoding: str | None = None,
    max_prompt_chars: int | None = DEFAULT_MAX_PROMPT_CHARS,
) -> Iterator[Probe]:
    """The probes of ``read_dataset``; the whole file is checked before the first is given."""
    load = read_dataset(
        kind,
        path,
        mapping,
        langs=langs,
        skip_bad_rows=skip_bad_rows,
        encoding=encoding,
        max_prompt_chars=max_prompt_chars,
    )
    return iter(load.probes)
