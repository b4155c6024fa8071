"""Text tools on JSONL streams: ``suho detect`` and ``suho transform``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from suho.cli._common import read_jsonl, read_jsonl_numbered, write_jsonl
from suho.errors import SuhoInputError

FileArg = Annotated[Path | None, typer.Argument(help="JSONL input; stdin when omitted.")]


def detect(
    name: Annotated[str, typer.Argument(help="Detector name, e.g. refusal or pii-kr.")],
    file: FileArg = None,
) -> None:
    """Run one detector over JSONL ``{"id", "text", "lang"?}``; one verdict line per input."""
    from suho.detectors import DetectInput, TextDetector, get_detector

    det = get_detector(name)
    with asyncio.Runner() as runner:  # one loop for async detectors (judges); rules run inline
        for obj in read_jsonl(file):
            item = DetectInput(
                text=obj["text"],
                lang=str(obj.get("lang") or ""),
                prompt=str(obj.get("prompt") or ""),
                meta={k: v for k, v in obj.items() if k not in ("id", "text", "lang", "prompt")},
            )
            v = det.check(item) if isinstance(det, TextDetector) else runner.run(det.detect(item))
            write_jsonl(
                {
                    "id": obj["id"],
                    "detector": name,
                    "hit": v.hit,
                    "score": round(float(v.score), 4),
                    "spans": [s.to_dict() for s in v.spans],
                    "label": v.label,
                }
            )
        close = getattr(det, "aclose", None)  # a judge holds its own target
        if close is not None:
            runner.run(close())


def transform(
    name: Annotated[
        str, typer.Argument(help="Transform name (see `suho transforms`); a+b chains.")
    ],
    file: FileArg = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for randomised transforms.")] = 0,
    decode: Annotated[
        bool, typer.Option("--decode", help="Reverse a reversible transform instead.")
    ] = False,
) -> None:
    """Rewrite JSONL ``{"id", "text", "lang"?}``: each line comes back with ``"transformed"``."""
    from suho.probes import guess_lang
    from suho.transforms import TransformContext, get_transform

    t = get_transform(name)
    if decode and not getattr(t, "is_reversible", t.reversible):  # a chain: all of its parts
        raise SuhoInputError(
            f"{t.name} is not reversible: --decode works only for reversible transforms "
            "(marked in `suho transforms`)"
        )
    where = str(file) if file else "<stdin>"
    for i, (line, obj) in enumerate(read_jsonl_numbered(file)):
        text = obj["text"]
        if decode:
            try:
                obj["transformed"] = t.decode(text)
            except ValueError as e:  # also UnicodeError and binascii.Error
                raise SuhoInputError(f"not {t.name}-encoded ({e})", path=where, line=line) from e
        else:
            lang = str(obj.get("lang") or guess_lang(text))
            obj["transformed"] = t.apply(text, TransformContext(lang=lang, seed=seed + i))
        write_jsonl(obj)


def transforms() -> None:
    """List the registered transforms."""
    from suho.transforms import get_transform, transform_names

    for n in transform_names():
        t = get_transform(n)
        doc = (type(t).__doc__ or "").strip().splitlines()
        typer.echo(f"{n:24} {'reversible ' if t.reversible else ''}{doc[0] if doc else ''}")


def detectors() -> None:
    """List the registered detectors."""
    from suho.detectors import detector_names
    from suho.detectors._base import get_detector

    for n in detector_names():
        d = get_detector(n)
        doc = (type(d).__doc__ or "").strip().splitlines()
        typer.echo(f"{n:16} {d.kind:8} {doc[0] if doc else ''}")
