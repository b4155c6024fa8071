"""The JSON report, written as a stream so a 100,000-attempt run never sits in memory."""

from __future__ import annotations

import json
from typing import TextIO

from suho.report._data import iter_attempts, summary
from suho.report._redact import redact_attempt
from suho.store import Store


def write_json(store: Store, run_id: str, out: TextIO, *, redact: bool = False) -> None:
    """Write ``{...summary, "attempts": [...]}`` to ``out``, one attempt at a time.

    ``redact``: responses (and anything quoting them) become a SHA-256 and a short prefix.
    """
    head = summary(store, run_id)
    if redact:
        head["redacted"] = True
    body = json.dumps(head, ensure_ascii=False, indent=1)
    out.write(body[:-2] if body.endswith("\n}") else body[:-1])
    out.write(',\n "attempts": [')
    first = True
    for a in iter_attempts(store, head["run_id"]):
        out.write("\n  " if first else ",\n  ")
        out.write(json.dumps(redact_attempt(a) if redact else a, ensure_ascii=False))
        first = False
    out.write("\n ]\n}\n")
