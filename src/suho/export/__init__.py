"""Exports for CERTs and labs: STIX 2.1 bundles, AVID reports, a Korean KISA-style draft."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from suho._atomic import atomic_text
from suho.errors import SuhoInputError
from suho.export._model import TLP_LEVELS, ExportData, collect
from suho.store import Store

FORMATS = ("stix", "avid", "kisa")
SUFFIX = {"stix": ".stix.json", "avid": ".avid.jsonl", "kisa": ".kisa.md"}


def write_export(
    store: Store, run_id: str, fmt: str, out: TextIO, *, redact: bool = False, tlp: str = "amber"
) -> None:
    """Write run ``run_id`` as ``fmt`` (stix, avid or kisa) to ``out``.

    ``redact`` replaces quoted responses with a SHA-256 and a short prefix (the KISA draft is
    always redacted); ``tlp`` is the TLP 2.0 level for STIX and the draft's header.
    """
    if fmt not in FORMATS:
        raise SuhoInputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if tlp not in TLP_LEVELS:
        raise SuhoInputError(f"unknown TLP level {tlp!r}; choose one of {', '.join(TLP_LEVELS)}")
    data = collect(store, run_id, redact=redact or fmt == "kisa")
    if fmt == "stix":
        from suho.export._stix import write_stix

        write_stix(data, out, tlp=tlp)
    elif fmt == "avid":
        from suho.export._avid import write_avid

        write_avid(data, out)
    else:
        from suho.export._kisa import write_kisa

        write_kisa(data, out, tlp=tlp)


def write_export_file(
    store: Store, run_id: str, fmt: str, path: Path, *, redact: bool = False, tlp: str = "amber"
) -> Path:
    """Write to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_text(path) as f:
        write_export(store, run_id, fmt, f, redact=redact, tlp=tlp)
    return path


__all__ = [
    "FORMATS",
    "SUFFIX",
    "TLP_LEVELS",
    "ExportData",
    "collect",
    "write_export",
    "write_export_file",
]
