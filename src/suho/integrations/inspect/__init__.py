"""suho inside UK AISI's Inspect (``pip install 'suho[inspect]'``).

- ``suho/korean_gap``: an Inspect task that turns a suho suite (or probe file, or public dataset)
  with its languages and transforms into Inspect samples, scored by suho's detectors;
- scorers ``suho/outcome`` (attack success, as ``suho scan`` decides it), ``suho/refusal``,
  ``suho/pii_kr``, ``suho/canary`` and ``suho/judge``; the outcome scorer's metrics carry the
  Korean/English gap (attack success per language and the paired gap in points);
- a model provider, ``--model suho/PROVIDER:MODEL`` (e.g. ``suho/local:qwen2.5-1.5b``), that
  sends through any suho target;
- ``import_log``: an Inspect log of a suho task back into suho's store (``suho import inspect``).

Inspect loads ``suho.integrations.inspect._registry`` through the ``inspect_ai`` entry point.
Importing this package itself needs no Inspect; its modules do.
"""
