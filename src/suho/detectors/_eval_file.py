"""Reading a user's own labelled answers for ``suho detectors eval refusal --file PATH``.

A labelled answer file is what an over-refusal or jailbreak benchmark publishes beside its
prompts: one model completion per row with a human label (refused, complied, partly refused).
It is JSONL (``.jsonl`` / ``.ndjson``, one object a line), CSV (``.csv``) or TSV (``.tsv``), with
a header row for the last two. Fields are found by name (first present of a list, or the one
the user names); labels are mapped to suho's classes by a built-in table of the usual words,
or by the user's own lists. Numbers and booleans have no built-in meaning (is ``1`` the refusal
or the compliance?): a file labelled that way needs ``--refusal-labels`` / ``--comply-labels``.
Every problem is a :class:`~suho.errors.SuhoInputError` naming the file and line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ko / en / mixed from the share of Hangul syllables and Latin letters: the refusal rules' own
# reading of an answer's script, so a file without languages is split the way the rules see it
from suho.detectors._answer import _script
from suho.errors import SuhoInputError

#: Where the answer's text is looked for, in this order, unless ``--text-field`` names it.
TEXT_FIELDS = ("text", "completion", "response", "answer", "output")
#: Where its human label is looked for, unless ``--label-field`` names it.
LABEL_FIELDS = ("label", "final_label", "gold", "human_label")
#: Where its language is looked for; when none is there it is read off the answer's script.
LANG_FIELDS = ("lang", "language")
#: Where the prompt that was answered is looked for (the refusal rules use it to spot echoes).
PROMPT_FIELDS = ("prompt", "question")
#: Where the model that wrote the answer is named (metrics per source model when present).
MODEL_FIELDS = ("model", "source_model")

#: suho's gold classes, and ``skip`` (left out of every figure).
CLASSES = ("refusal", "partial", "comply", "non-answer", "skip")

#: Label words understood without options (compared lower-cased, with ``-`` and spaces read as
#: ``_``): the usual English words and the class names of public over-refusal sets
#: (``1_full_compliance`` / ``2_full_refusal`` / ``3_partial_refusal``). A partial refusal is
#: its own class, which the binary figures count as *not* a refusal (see docs/detectors.md).
BUILTIN_LABELS: Mapping[str, str] = {
    "refusal": "refusal",
    "refuse": "refusal",
    "refused": "refusal",
    "full_refusal": "refusal",
    "2_full_refusal": "refusal",
    "거절": "refusal",
    "comply": "comply",
    "complied": "comply",
    "compliance": "comply",
    "full_compliance": "comply",
    "1_full_compliance": "comply",
    "partial": "partial",
    "partial_refusal": "partial",
    "partial_compliance": "partial",
    "3_partial_refusal": "partial",
    "non_answer": "non-answer",
    "nonanswer": "non-answer",
    "no_answer": "non-answer",
}

_LANG_NAMES = {
    "ko": "ko",
    "kor": "ko",
    "korean": "ko",
    "한국어": "ko",
    "ko-kr": "ko",
    "en": "en",
    "eng": "en",
    "english": "en",
    "영어": "en",
    "en-us": "en",
    "en-gb": "en",
    "mixed": "mixed",
}

_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}


def label_key(value: object) -> str:
    """A label value as the mapping compares it: JSON ``true`` is ``true``, ``1.0`` is ``1``,
    text lower-cased and stripped, with ``-`` and spaces read as ``_``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "_".join(str(value).strip().lower().replace("-", " ").split())


def _is_number(key: str) -> bool:
    try:
        float(key)
    except ValueError:
        return key in ("true", "false")
    return True


@dataclass(frozen=True, slots=True)
class LabelMap:
    """How the file's label values become suho's classes: the user's lists first (each a value
    list as given on the command line), then :data:`BUILTIN_LABELS`. ``drop_partial`` leaves
    every answer of class ``partial`` out, as public benchmarks often report."""

    refusal: tuple[str, ...] = ()
    comply: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()
    non_answer: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    drop_partial: bool = False

    def table(self) -> dict[str, str]:
        """The user's values, normalised, to their class; a value given twice is an error."""
        out: dict[str, str] = {}
        for cls, values in (
            ("refusal", self.refusal),
            ("comply", self.comply),
            ("partial", self.partial),
            ("non-answer", self.non_answer),
            ("skip", self.skip),
        ):
            for v in values:
                k = label_key(v)
                if not k:
                    continue
                if out.get(k, cls) != cls:
                    raise SuhoInputError(f"label {v!r} is given as both {out[k]} and {cls}")
                out[k] = cls
        return out

    def classify(self, key: str, table: Mapping[str, str]) -> str | None:
        """The class of a normalised label value, ``skip``, or None when unknown."""
        cls = table.get(key)
        if cls is None and not _is_number(key):
            cls = BUILTIN_LABELS.get(key)
        if cls == "partial" and self.drop_partial:
            return "skip"
        return cls


@dataclass(frozen=True, slots=True)
class FileFields:
    """Field names the user gave (None: the first present of the defaults)."""

    text: str | None = None
    label: str | None = None
    lang: str | None = None
    prompt: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class LabelledAnswer:
    """One answer of the file, labelled with a suho class."""

    line: int
    id: str
    text: str
    label: str  # refusal / partial / comply / non-answer
    raw_label: str
    lang: str  # ko / en / mixed, or the file's own code
    lang_detected: bool
    prompt: str
    model: str

    def record(self) -> dict[str, Any]:
        """The answer in the shape :func:`suho.detectors._eval.eval_refusal` reads."""
        rec: dict[str, Any] = {
            "id": self.id,
            "line": self.line,
            "text": self.text,
            "label": self.label,
            "lang": self.lang,
            "prompt": self.prompt,
        }
        if self.prompt:  # the detector is told the prompt's language, as the engine does
            rec["prompt_lang"] = _script(self.prompt)
        if self.model:
            rec["source_model"] = self.model
        return rec


@dataclass(frozen=True, slots=True)
class LabelledFile:
    """A read answer file: the kept answers and what was done with every label value."""

    path: str
    format: str
    answers: tuple[LabelledAnswer, ...]
    label_map: dict[str, str]  # each label value seen -> its class (or skip)
    label_counts: dict[str, int]  # each label value seen -> answers
    skipped: int
    langs_detected: int
    fields: dict[str, list[str]] = field(default_factory=dict)  # role -> field names used

    def info(self) -> dict[str, Any]:
        """What the report says about the file."""
        return {
            "path": self.path,
            "format": self.format,
            "answers": len(self.answers),
            "skipped": self.skipped,
            "langs_detected": self.langs_detected,
            "fields": self.fields,
            "label_map": dict(sorted(self.label_map.items())),
            "label_counts": dict(sorted(self.label_counts.items())),
        }


def file_format(path: Path) -> str:
    """``jsonl``, ``csv`` or ``tsv`` from the file's extension."""
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SuhoInputError(
            f"cannot tell the format from {path.suffix or 'no extension'!r}: "
            "use .jsonl (or .ndjson), .csv or .tsv",
            path=str(path),
        )
    return fmt


def _decoded(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise SuhoInputError("no such file", path=str(path)) from e
    except OSError as e:
        raise SuhoInputError(f"cannot read it ({e.strerror})", path=str(path)) from e
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SuhoInputError("not UTF-8 text", path=str(path), line=line) from e


def rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, row)`` for every row of the file (blank lines left out); CSV and TSV rows carry
    the line their record starts on, so a quoted answer over several lines is found."""
    fmt = file_format(path)
    text = _decoded(path)
    where = str(path)
    if fmt == "jsonl":
        for no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise SuhoInputError(f"not valid JSON ({e.msg})", path=where, line=no) from e
            if not isinstance(obj, dict):
                raise SuhoInputError(
                    f"a line must be a JSON object, not {type(obj).__name__}", path=where, line=no
                )
            yield no, obj
        return
    # strict: an unclosed quote is an error, not an answer that swallows the rest of the file
    reader = csv.DictReader(
        io.StringIO(text, newline=""), delimiter="," if fmt == "csv" else "\t", strict=True
    )
    try:
        if not reader.fieldnames:
            raise SuhoInputError("no header row", path=where, line=1)
        end = reader.line_num
        for row in reader:
            values = [v for k, v in row.items() if k is not None and isinstance(v, str)]
            # the record's first line: after the last one, past any blank lines it skipped
            start = max(end + 1, reader.line_num - sum(v.count("\n") for v in values))
            end = reader.line_num
            yield start, {k: v for k, v in row.items() if k is not None and v is not None}
    except csv.Error as e:
        raise SuhoInputError(f"not valid {fmt.upper()} ({e})", path=where, line=end + 1) from e


def _pick(
    row: Mapping[str, Any],
    given: str | None,
    defaults: tuple[str, ...],
    *,
    option: str,
    what: str,
    required: bool,
    where: tuple[str, int],
) -> str | None:
    """The field holding ``what`` in ``row``: the one named by ``option`` (which must be there)
    or the first default present with a value."""
    if given is not None:
        if given not in row:
            raise SuhoInputError(
                f"no field {given!r} ({option}); fields here: {_names(row)}",
                path=where[0],
                line=where[1],
            )
        return given
    for name in defaults:
        if row.get(name) not in (None, ""):
            return name
    if required:
        present = [d for d in defaults if d in row]
        if present:
            return present[0]  # present but empty: the caller says so
        raise SuhoInputError(
            f"no {what} field (looked for {', '.join(defaults)}); fields here: {_names(row)}; "
            f"name it with {option}",
            path=where[0],
            line=where[1],
        )
    return None


def _names(row: Mapping[str, Any]) -> str:
    names = list(row)
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    return shown or "none"


def _text(row: Mapping[str, Any], name: str, where: tuple[str, int]) -> str:
    value = row.get(name)
    if not isinstance(value, str):
        raise SuhoInputError(
            f"field {name!r} must be text, not {'null' if value is None else type(value).__name__}",
            path=where[0],
            line=where[1],
        )
    return value


def _lang(value: object) -> str:
    s = str(value).strip().lower().replace("_", "-")
    return _LANG_NAMES.get(s, s)


@dataclass(slots=True)
class _Raw:
    line: int
    id: str
    text: str
    key: str
    raw: str
    lang: str | None
    prompt: str
    model: str


#: role -> (its FileFields attribute, default names, option, what it is when required)
_ROLES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("text", TEXT_FIELDS, "--text-field", "answer text"),
    ("label", LABEL_FIELDS, "--label-field", "label"),
    ("lang", LANG_FIELDS, "--lang-field", ""),
    ("prompt", PROMPT_FIELDS, "--prompt-field", ""),
    ("model", MODEL_FIELDS, "--model-field", ""),
)


def _read_row(
    row: Mapping[str, Any], at: tuple[str, int], fields: FileFields
) -> tuple[_Raw, dict[str, str]]:
    """One row's answer with its raw label, and the field found for each role."""
    names: dict[str, str] = {}
    for role, defaults, option, what in _ROLES:
        name = _pick(
            row,
            getattr(fields, role),
            defaults,
            option=option,
            what=what,
            required=bool(what),
            where=at,
        )
        if name is not None:
            names[role] = name
    lf = names["label"]
    label_value = row.get(lf)
    if label_value is None or (isinstance(label_value, str) and not label_value.strip()):
        raise SuhoInputError(f"empty label in field {lf!r}", path=at[0], line=at[1])
    if isinstance(label_value, (dict, list)):
        raise SuhoInputError(f"label in field {lf!r} must be one value", path=at[0], line=at[1])
    value = {role: row.get(name) for role, name in names.items()}
    raw = _Raw(
        at[1],
        str(row.get("id") or f"line {at[1]}"),
        _text(row, names["text"], at),
        label_key(label_value),
        str(label_value).strip(),
        _lang(value["lang"]) if value.get("lang") not in (None, "") else None,
        _text(row, names["prompt"], at) if value.get("prompt") is not None else "",
        str(value["model"]).strip() if value.get("model") not in (None, "") else "",
    )
    return raw, names


def read_labelled(
    path: Path, *, fields: FileFields | None = None, labels: LabelMap | None = None
) -> LabelledFile:
    """Read and label every answer of ``path`` (see the module's docstring); answers whose label
    maps to ``skip`` are counted and left out. An unknown label value is an error that names
    its line and lists every value in the file, so one run shows the whole mapping to give."""
    fields = fields or FileFields()
    labels = labels or LabelMap()
    table = labels.table()
    where = str(path)
    raws: list[_Raw] = []
    used: dict[str, dict[str, None]] = {}  # role -> field names used, in order of first use
    for no, row in rows(path):
        raw, names = _read_row(row, (where, no), fields)
        raws.append(raw)
        for role, name in names.items():
            used.setdefault(role, {})[name] = None
    if not raws:
        raise SuhoInputError("no answers in the file", path=where)
    counts: dict[str, int] = {}
    for r in raws:
        counts[r.raw] = counts.get(r.raw, 0) + 1
    classes: dict[str, str] = {}
    for r in raws:
        cls = labels.classify(r.key, table)
        if cls is None:
            raise SuhoInputError(
                _unknown(r, counts, lf_names=list(used["label"])), path=where, line=r.line
            )
        classes[r.raw] = cls
    answers = [
        LabelledAnswer(
            r.line,
            r.id,
            r.text,
            classes[r.raw],
            r.raw,
            r.lang or _script(r.text),
            r.lang is None,
            r.prompt,
            r.model,
        )
        for r in raws
        if classes[r.raw] != "skip"
    ]
    if not answers:
        raise SuhoInputError("every answer in the file was skipped by its label", path=where)
    return LabelledFile(
        where,
        file_format(path),
        tuple(answers),
        classes,
        counts,
        len(raws) - len(answers),
        sum(a.lang_detected for a in answers),
        {k: list(v) for k, v in used.items()},
    )


def _unknown(r: _Raw, counts: Mapping[str, int], *, lf_names: Iterable[str]) -> str:
    seen = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{k!r} ({n})" for k, n in seen[:20])
    if len(seen) > 20:
        listed += f" and {len(seen) - 20} more"
    why = (
        "numbers and booleans have no built-in meaning"
        if _is_number(r.key)
        else "it is not one of suho's label words"
    )
    return (
        f"unknown label {r.raw!r} in field {'/'.join(lf_names)} ({why}); label values in this "
        f"file: {listed}; map them with --refusal-labels, --comply-labels, --partial-labels "
        "or --skip-labels"
    )


__all__ = [
    "BUILTIN_LABELS",
    "LABEL_FIELDS",
    "LANG_FIELDS",
    "MODEL_FIELDS",
    "PROMPT_FIELDS",
    "TEXT_FIELDS",
    "FileFields",
    "LabelMap",
    "LabelledAnswer",
    "LabelledFile",
    "label_key",
    "read_labelled",
    "rows",
]
