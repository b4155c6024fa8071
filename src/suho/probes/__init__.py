"""Probes: attack intents, each a Korean/English pair sharing an ``intent_id``."""

from suho.probes._datasets import (
    DATASET_KINDS,
    MULTIJAIL_TAGS,
    BadRow,
    DatasetLoad,
    category_from_tags,
    load_dataset,
    parse_dataset_spec,
    parse_mapping,
    read_dataset,
)
from suho.probes._load import (
    SuiteInfo,
    list_suites,
    load_library,
    load_probes_file,
    load_suite,
    parse_probe_lines,
)
from suho.probes._model import DEFAULT_MAX_PROMPT_CHARS, Expected, Probe, guess_lang
from suho.probes._taxonomy import Taxonomy, TaxonomyList, load_taxonomy

__all__ = [
    "DATASET_KINDS",
    "DEFAULT_MAX_PROMPT_CHARS",
    "MULTIJAIL_TAGS",
    "BadRow",
    "DatasetLoad",
    "Expected",
    "Probe",
    "SuiteInfo",
    "Taxonomy",
    "TaxonomyList",
    "category_from_tags",
    "guess_lang",
    "list_suites",
    "load_dataset",
    "load_library",
    "load_probes_file",
    "load_suite",
    "load_taxonomy",
    "parse_dataset_spec",
    "parse_mapping",
    "parse_probe_lines",
    "read_dataset",
]
