"""The one check of output paths (``--out``), shared by scan, resume, report and export.

The rules (docs/reports.md): an output path is checked before any work starts (for a scan, before
the first request), so a typo never costs a whole run. A path that names an existing directory
gets the command's default file name inside it; a missing parent directory is an error that names
it (suho never creates a directory tree you did not ask for, except a scan's own ``--out DIR``);
a path ending in ``/`` names a directory, which must then exist.
"""

from __future__ import annotations

import os
from pathlib import Path

from suho.errors import SuhoInputError


def _writable_dir(d: Path, what: str) -> None:
    if not d.is_dir():
        if d.exists():
            raise SuhoInputError(f"{what}: {d} is not a directory")
        raise SuhoInputError(f"{what}: directory {d} does not exist")
    if not os.access(d, os.W_OK | os.X_OK):
        raise SuhoInputError(f"{what}: cannot write in {d} (read-only)")


def check_out_dir(path: Path, option: str = "--out") -> Path:
    """A directory a command writes several files into (a scan's reports): an existing,
    writable directory, or a new one whose parent exists. Nothing is created here."""
    what = f"{option} {path}"
    if path.exists():
        if not path.is_dir():
            raise SuhoInputError(f"{what}: a file is in the way (give a directory)")
        _writable_dir(path, what)
        return path
    _writable_dir(path.absolute().parent, what)
    return path


def resolve_out_file(out: str | Path, default_name: str, option: str = "--out") -> Path:
    """The file a command writes to for ``--out PATH``: ``PATH/default_name`` when PATH is a
    directory, else PATH itself, whose directory must exist and be writable. Takes the text
    as typed, so that a trailing ``/`` still says "a directory"."""
    what = f"{option} {out}"
    path = Path(out).expanduser()
    if path.is_dir():
        _writable_dir(path, what)
        path = path / default_name
    elif str(out).endswith(("/", os.sep)):  # meant as a directory, which is not there
        raise SuhoInputError(f"{what}: directory {path} does not exist")
    if path.exists() and not path.is_file():
        raise SuhoInputError(f"{what}: not a regular file")
    _writable_dir(path.absolute().parent, what)
    return path
