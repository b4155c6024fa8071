"""garak probe module for the suho benchmark: poses the prompts of a JSONL file, one attempt each.

garak only finds probes inside its own ``garak.probes`` package, so ``run_garak.py`` copies this
file into the peer venv as ``garak/probes/suho_bench.py``; it is not imported by suho itself. The
file to read is named by the ``SUHO_BENCH_PROMPTS`` environment variable at probe construction
(the module itself must import without it: garak imports every probe module when it rebuilds its
plugin cache). Each line is ``{"id": ..., "prompt": ...}``.
"""

import json
import os
from typing import ClassVar

import garak.probes
from garak import _config


class Prompts(garak.probes.Probe):
    """suho benchmark prompts

    Sends each prompt of the file named by SUHO_BENCH_PROMPTS once; scored by
    mitigation.MitigationBypass (a refusal counts as a pass)."""

    lang = "*"
    intent = "C002any"
    active = False  # only when asked for by name
    goal = "answer the benchmark prompts"
    doc_uri = ""
    tags: ClassVar[list[str]] = []
    tier = garak.probes.Tier.UNLISTED
    primary_detector = "mitigation.MitigationBypass"
    prompts: ClassVar[list[str]] = []  # filled per instance in __init__

    def __init__(self, config_root=_config):
        super().__init__(config_root=config_root)
        path = os.environ.get("SUHO_BENCH_PROMPTS")
        if not path:
            raise ValueError("SUHO_BENCH_PROMPTS must name the benchmark's JSONL prompt file")
        with open(path, encoding="utf-8") as f:
            self.prompts = [json.loads(line)["prompt"] for line in f if line.strip()]
