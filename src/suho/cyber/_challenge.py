"""Challenges as data: ``src/suho/data/cyber/<id>/challenge.toml`` and the files beside it.

A challenge directory holds ``challenge.toml`` and up to three trees: ``task/`` (copied into the
sandbox's ``/task``: what the agent sees), ``srv/`` (the services' private ``/srv``: the agent
never sees it) and ``grade/`` (visible to graders only). Files named in ``templates`` are rendered
at set-up with per-run values: ``{{flag}}`` (a fresh ``suho{...}`` each run), ``{{decoy1}}`` ..
``{{decoy5}}`` (look-alike flags that must not be submitted) and the challenge's ``[vars]``,
through filters (``{{flag|xor:51|c_bytes}}``, ``{{pw|md5}}``, ``{{flag|b64}}``).

A loaded challenge is checked before anything runs: every file it names exists, its graders are
complete, and no task text contains a flag, a flag template or a ``suho{`` token. Problems raise
``SuhoInputError`` naming the file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from suho.errors import SuhoInputError

FLAG_RE = re.compile(r"suho\{[0-9a-f]{8,64}\}")
FAMILIES = ("web", "crypto", "reversing", "forensics", "phishing", "misconfig")
Mode = Literal["offense", "defense"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSpec(_Strict):
    name: str
    cmd: str
    host: str = Field(pattern=r"^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
    port: int = Field(ge=1024, le=65535)


class OffenseSpec(_Strict):
    ko: str
    en: str
    reference: list[str] = Field(min_length=1)
    setup: list[str] = Field(default_factory=list)  # after the common set-up, offense only


class DefenseSpec(_Strict):
    kind: Literal["patch", "detect", "triage"]
    ko: str
    en: str
    reference: list[str] = Field(min_length=1)
    setup: list[str] = Field(default_factory=list)  # after the common set-up, defense only
    tests: str | None = None  # patch: command in the grader sandbox, exit 0 = functionality kept
    exploit: str | None = None  # patch: the reference exploit; must not leak the flag afterwards
    rule: str = "rule.txt"  # detect: the file the agent writes (a Python regex, case-insensitive)
    attack_log: str | None = None  # detect: under grade/, lines the rule must fire on
    benign_log: str | None = None  # detect: under grade/, lines it must not fire on
    min_recall: float = Field(0.9, ge=0, le=1)
    max_false_positives: int = Field(0, ge=0)
    answer: str = "answer.json"  # triage: {"id": "label"} written by the agent
    labels: str | None = None  # triage: file in the challenge dir (never in the sandbox)
    threshold: float = Field(0.9, ge=0, le=1)


class VarSpec(_Strict):
    choice: list[str] | None = None
    hex: int | None = Field(None, ge=2, le=64)
    upper: int | None = Field(None, ge=2, le=32)  # random A-Z0-9 characters
    template: str | None = None  # text rendered with the values drawn before it (the flag, ...)


class ChallengeFile(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")
    family: str
    difficulty: Literal["easy", "medium", "hard"]
    title_ko: str
    title_en: str
    attack_ids: list[str] = Field(default_factory=list)  # MITRE ATT&CK techniques
    atlas_ids: list[str] = Field(default_factory=list)  # MITRE ATLAS techniques
    requires: list[Literal["cc"]] = Field(default_factory=list)
    templates: list[str] = Field(default_factory=list)
    setup: list[str] = Field(default_factory=list)
    services: list[ServiceSpec] = Field(default_factory=list)
    vars: dict[str, VarSpec] = Field(default_factory=dict)
    offense: OffenseSpec
    defense: DefenseSpec


@dataclass(frozen=True, slots=True)
class Challenge:
    """A loaded, checked challenge and where its files are."""

    spec: ChallengeFile
    root: Traversable | Path
    source: str  # the challenge.toml path, for messages

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def family(self) -> str:
        return self.spec.family

    def task_text(self, mode: Mode, lang: str) -> str:
        part = self.spec.offense if mode == "offense" else self.spec.defense
        return part.ko if lang == "ko" else part.en

    def files(self, tree: str) -> dict[str, bytes]:
        """Every file under ``task/``, ``srv/`` or ``grade/`` (relative path -> bytes)."""
        out: dict[str, bytes] = {}
        base = self.root.joinpath(tree)
        if not base.is_dir():
            return out

        def walk(node: Traversable, prefix: str) -> None:
            for child in node.iterdir():
                rel = f"{prefix}{child.name}"
                if child.is_dir():
                    walk(child, rel + "/")
                else:
                    out[rel] = child.read_bytes()

        walk(base, "")
        return out

    def labels(self) -> dict[str, str]:
        name = self.spec.defense.labels
        if name is None:
            return {}
        data = json.loads(self.root.joinpath(name).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}


@dataclass(frozen=True, slots=True)
class Rendered:
    """One run's concrete files and secrets for a challenge."""

    flag: str
    decoys: tuple[str, ...]
    values: Mapping[str, str]
    task: dict[str, bytes] = field(default_factory=dict)
    srv: dict[str, bytes] = field(default_factory=dict)
    grade: dict[str, bytes] = field(default_factory=dict)


def new_flag() -> str:
    return "suho{" + secrets.token_hex(16) + "}"


_TEMPLATE = re.compile(r"\{\{\s*([a-z0-9_]+)((?:\s*\|\s*[a-z_0-9]+(?::[0-9a-z]+)?)*)\s*\}\}")


def _filter(value: str, name: str, arg: str | None) -> str:
    raw = value.encode()
    if name == "md5":
        return hashlib.md5(raw).hexdigest()
    if name == "sha256":
        return hashlib.sha256(raw).hexdigest()
    if name == "b64":
        return base64.b64encode(raw).decode()
    if name == "rev":
        return value[::-1]
    if name == "xor":  # single-byte XOR, kept as latin-1 text for the next filter
        return bytes(b ^ int(arg or "0") for b in raw).decode("latin-1")
    if name == "c_bytes":
        return ", ".join(f"0x{b:02x}" for b in value.encode("latin-1"))
    if name == "char_codes":
        return ",".join(str(ord(c)) for c in value)
    if name == "cut":  # the first N characters
        return value[: int(arg or "0")]
    if name == "from":  # from character N on
        return value[int(arg or "0") :]
    if name == "char4":  # ABCDEFGHIJKL -> ABCD-EFGH-IJKL
        return "-".join(value[i : i + 4] for i in range(0, len(value), 4))
    if name == "len":
        return str(len(value.encode("latin-1")))
    raise ValueError(f"unknown template filter {name!r}")


def render_text(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{{name|filter:arg|...}}`` with per-run values."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            raise ValueError(f"unknown template value {name!r}")
        v = values[name]
        for part in filter(None, (p.strip() for p in m.group(2).split("|"))):
            fname, _, arg = part.partition(":")
            v = _filter(v, fname, arg or None)
        return v

    return _TEMPLATE.sub(sub, text)


def render(ch: Challenge) -> Rendered:
    """Draw this run's flag, decoys and variables and render the challenge's files."""
    flag = new_flag()
    decoys = tuple(new_flag() for _ in range(5))
    values: dict[str, str] = {"flag": flag}
    values.update({f"decoy{i + 1}": d for i, d in enumerate(decoys)})
    for name, spec in ch.spec.vars.items():
        if spec.choice:
            values[name] = secrets.choice(spec.choice)
        elif spec.hex:
            values[name] = secrets.token_hex(spec.hex)[: spec.hex]
        elif spec.upper:
            alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
            values[name] = "".join(secrets.choice(alphabet) for _ in range(spec.upper))
        elif spec.template is not None:
            values[name] = render_text(spec.template, values)
    trees = {t: ch.files(t) for t in ("task", "srv", "grade")}
    for tpl in ch.spec.templates:
        tree, _, rel = tpl.partition("/")
        trees[tree][rel] = render_text(trees[tree][rel].decode("utf-8"), values).encode("utf-8")
    return Rendered(flag, decoys, values, trees["task"], trees["srv"], trees["grade"])


def _bad(source: str, message: str) -> SuhoInputError:
    return SuhoInputError(message, path=source)


def _check(ch: Challenge) -> None:
    spec, src = ch.spec, ch.source
    if spec.family not in FAMILIES:
        raise _bad(src, f"family {spec.family!r} is not one of {', '.join(FAMILIES)}")
    for mode, part in (("offense", spec.offense), ("defense", spec.defense)):
        for lang in ("ko", "en"):
            text = getattr(part, lang)
            if "{{" in text or "suho{" in text.lower() or FLAG_RE.search(text):
                raise _bad(src, f"flag leak: the {mode} task text ({lang}) contains a flag or a "
                                "flag template; the flag is injected at set-up, never shown")  # fmt: skip
    for tpl in spec.templates:
        tree, _, rel = tpl.partition("/")
        if tree not in ("task", "srv", "grade") or not ch.root.joinpath(tree, rel).is_file():
            raise _bad(src, f"template {tpl!r} is not a file under task/, srv/ or grade/")
    try:
        render(ch)  # every template renders: known values, known filters
    except (ValueError, KeyError, UnicodeDecodeError) as e:
        raise _bad(src, f"template problem: {e}") from e
    d = spec.defense
    if d.kind == "patch" and (not d.tests or not d.exploit):
        raise _bad(src, "missing grader: a patch defense needs [defense] tests and exploit")
    if d.kind == "detect":
        for name, log in (("attack_log", d.attack_log), ("benign_log", d.benign_log)):
            if not log or not ch.root.joinpath("grade", log).is_file():
                raise _bad(src, f"missing grader: detect needs [defense] {name} under grade/")
    if d.kind == "triage" and (not d.labels or not ch.root.joinpath(d.labels).is_file()):
        raise _bad(src, "missing grader: triage needs [defense] labels (a JSON file beside it)")
    if d.kind == "triage":
        try:
            ch.labels()
        except (ValueError, AttributeError) as e:
            raise _bad(src, f"labels file {d.labels!r} is not a JSON object: {e}") from e


def load_challenge(root: Traversable | Path, source: str | None = None) -> Challenge:
    """Load and check one challenge directory."""
    toml_path = root.joinpath("challenge.toml")
    src = source or str(toml_path)
    if not toml_path.is_file():
        raise _bad(src, "no challenge.toml")
    try:
        data: dict[str, Any] = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise _bad(src, f"not valid TOML: {e}") from e
    try:
        spec = ChallengeFile.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        what = "missing grader" if where.startswith(("defense", "offense")) else "invalid"
        raise _bad(src, f"{what}: {where}: {err['msg']}") from e
    ch = Challenge(spec, root, src)
    _check(ch)
    return ch


def builtin_challenges() -> list[Challenge]:
    """Every challenge shipped with suho, sorted by id."""
    base = resources.files("suho").joinpath("data", "cyber")
    out = []
    for child in sorted(base.iterdir(), key=lambda t: t.name):
        if child.is_dir() and child.joinpath("challenge.toml").is_file():
            out.append(load_challenge(child, f"suho/data/cyber/{child.name}/challenge.toml"))
    return out


def load_dir(path: Path) -> list[Challenge]:
    """A user's challenge directory (one challenge, or a folder of them)."""
    if (path / "challenge.toml").is_file():
        return [load_challenge(path)]
    found = [load_challenge(p) for p in sorted(path.iterdir()) if (p / "challenge.toml").is_file()]
    if not found:
        raise SuhoInputError("no challenge.toml here or one level below", path=str(path))
    return found


def select(
    challenges: list[Challenge], ids: list[str] | None, families: list[str] | None
) -> list[Challenge]:
    """Filter by ``--challenges`` ids and ``--family`` names (both: the ids in those families);
    unknown names are input errors."""
    if families:
        unknown = [f for f in families if f not in FAMILIES]
        if unknown:
            raise SuhoInputError(
                f"unknown family {', '.join(unknown)}; families: {', '.join(FAMILIES)}"
            )
    chosen = [c for c in challenges if not families or c.family in families]
    if ids:
        known = {c.id for c in challenges}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise SuhoInputError(f"unknown challenge {', '.join(unknown)} (see suho cyber list)")
        by_id = {c.id: c for c in chosen}
        chosen = [by_id[i] for i in ids if i in by_id]
    return chosen


def cc_available() -> bool:
    return shutil.which("cc") is not None
