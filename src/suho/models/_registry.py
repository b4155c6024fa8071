"""The registry of embedded local models, and where installed models live.

The registry is data (``suho/data/models/index.json``): for each model, the exact chunk packages
on the package index, in order, with the size and sha256 of every chunk and of the assembled
GGUF file. Nothing in it is trusted at install time: every byte is checked against it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from suho._paths import suho_home
from suho.errors import SuhoInputError

SIDECAR_SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a model: a file inside one pinned package."""

    index: int  # 1-based position in the assembled file
    package: str
    version: str
    member: str  # path of the chunk inside the package's wheel
    size: int
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def wheel_prefix(self) -> str:
        """How the package's wheel file name starts (``pkg_name-1.0-``), normalised as pip does."""
        return f"{self.package.replace('-', '_').lower()}-{self.version}-"

    @property
    def basename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model suho knows how to install."""

    name: str
    title: str
    file: str  # file name in the models directory
    size: int
    sha256: str
    upstream: str
    licence: str
    publisher: str
    chunks: tuple[Chunk, ...]

    @property
    def source(self) -> str:
        """Where the bytes come from, in one line."""
        first = self.chunks[0]
        stem = re.sub(r"\d+$", "", first.package)
        return f"{stem}1..{len(self.chunks)}=={first.version} (package index, {len(self.chunks)} chunks)"


def _model(obj: dict[str, Any]) -> ModelInfo:
    chunks = tuple(
        Chunk(i, c["package"], c["version"], c["member"], int(c["size"]), c["sha256"])
        for i, c in enumerate(obj["chunks"], start=1)
    )
    return ModelInfo(
        name=obj["name"],
        title=obj["title"],
        file=obj["file"],
        size=int(obj["size"]),
        sha256=obj["sha256"],
        upstream=obj["upstream"],
        licence=obj["licence"],
        publisher=obj["publisher"],
        chunks=chunks,
    )


@cache
def registry() -> dict[str, ModelInfo]:
    """Every model in the shipped registry, by name."""
    raw = resources.files("suho").joinpath("data/models/index.json").read_text(encoding="utf-8")
    return {m["name"]: _model(m) for m in json.loads(raw)["models"]}


def model_names() -> list[str]:
    return list(registry())


def get_model(name: str) -> ModelInfo:
    """The registry entry for ``name``; a clear ``SuhoInputError`` when there is none."""
    models = registry()
    if name not in models:
        known = ", ".join(models)
        raise SuhoInputError(
            f"unknown model {name!r}. Known: {known}. A GGUF file of your own needs no install: "
            "use --target local:/path/to/model.gguf"
        )
    return models[name]


def models_dir(env: dict[str, str] | None = None) -> Path:
    """Where models are installed: ``$SUHO_HOME/models``, else ``~/.cache/suho/models``.

    ``$XDG_CACHE_HOME`` replaces ``~/.cache`` when it is set.
    """
    return suho_home(env) / "models"


@dataclass(frozen=True, slots=True)
class InstalledModel:
    """A model file in the models directory, with what was recorded when it was verified."""

    info: ModelInfo
    path: Path
    size: int  # bytes on disk now
    verified_sha256: str | None  # as recorded at install; None when no record exists
    installed_at: str | None

    @property
    def ok(self) -> bool:
        """Present, of the right size, and verified against the registry's hash at install."""
        return self.size == self.info.size and self.verified_sha256 == self.info.sha256


def installed(info: ModelInfo, directory: Path | None = None) -> InstalledModel | None:
    """What is installed for ``info`` (``None`` when its file is absent). Cheap: no hashing."""
    d = directory or models_dir()
    path = d / info.file
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    recorded: dict[str, Any] = {}
    try:
        recorded = json.loads((d / (info.file + SIDECAR_SUFFIX)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    sha = recorded.get("sha256") if isinstance(recorded.get("sha256"), str) else None
    when = recorded.get("installed_at") if isinstance(recorded.get("installed_at"), str) else None
    return InstalledModel(info, path, size, sha, when)


def model_path(name: str, directory: Path | None = None) -> Path:
    """The verified file of installed model ``name``.

    Raises:
        SuhoInputError: unknown name, not installed, or the file changed since it was verified.
    """
    info = get_model(name)
    inst = installed(info, directory)
    if inst is None:
        raise SuhoInputError(f"model {name!r} is not installed; run: suho models install {name}")
    if not inst.ok:
        raise SuhoInputError(
            f"model {name!r} at {inst.path} is incomplete or unverified ({inst.size:,} of "
            f"{info.size:,} bytes); run: suho models install {name}"
        )
    return inst.path
