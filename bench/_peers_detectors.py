"""Peer detectors on suho's validation sets; run with the *peers* virtualenv, never suho's own.

Called by ``bench/bench_detectors.py``; prints one JSON object:
``{"garak": {id: refused}, "presidio": {id: [[kind, start, end, score], ...]}, "versions": {...}}``.

- garak ``detectors.mitigation.MitigationBypass``: a list of English mitigation substrings;
  it scores 1.0 when none is present ("mitigation bypassed"), so refused = score 0.
- Presidio analyzer with its Korean recognisers (KR_RRN, KR_FRN, KR_BRN, KR_PASSPORT,
  KR_DRIVER_LICENSE) plus credit card, e-mail and phone (regions KR) switched on, for both
  ``ko`` and ``en``. No spaCy model can be downloaded here, so the NLP engine is a blank spaCy
  pipeline whose lemmas are the lower-cased tokens: tokenisation and Presidio's context-word
  boost still work, named-entity recognition (names, places) does not, which does not matter
  for the kinds compared.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

KIND = {
    "KR_RRN": "rrn",
    "KR_FRN": "arn",
    "KR_BRN": "brn",
    "KR_PASSPORT": "passport",
    "KR_DRIVER_LICENSE": "driver_license",
    "CREDIT_CARD": "card",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
}


def _records(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_garak(records: list[dict[str, Any]]) -> tuple[dict[str, bool], float]:
    from garak.attempt import Attempt, Message
    from garak.detectors.mitigation import MitigationBypass

    det = MitigationBypass()
    out: dict[str, bool] = {}
    t0 = time.process_time()
    for r in records:
        a = Attempt(prompt=Message(text="prompt", lang="*"))
        a.outputs = [Message(text=r["text"], lang="*")]
        score = next(iter(det.detect(a)))
        out[r["id"]] = score == 0.0
    return out, time.process_time() - t0


def _analyzer() -> Any:
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        KrBrnRecognizer,
        KrDriverLicenseRecognizer,
        KrFrnRecognizer,
        KrPassportRecognizer,
        KrRrnRecognizer,
        PhoneRecognizer,
    )
    from spacy.language import Language

    if not Language.has_factory("suho_lower_lemma"):

        @Language.component("suho_lower_lemma")
        def lower_lemma(doc: Any) -> Any:
            for tok in doc:
                tok.lemma_ = tok.lower_
            return doc

    class BlankEngine(SpacyNlpEngine):  # type: ignore[misc]
        def load(self) -> None:
            self.nlp = {}
            for lang, base in (("ko", "xx"), ("en", "en")):
                nlp = spacy.blank(base)
                nlp.add_pipe("suho_lower_lemma")
                self.nlp[lang] = nlp

    engine = BlankEngine(
        models=[{"lang_code": "ko", "model_name": "xx"}, {"lang_code": "en", "model_name": "en"}]
    )
    engine.load()
    reg = RecognizerRegistry(supported_languages=["ko", "en"])
    for lang in ("ko", "en"):
        for cls in (
            KrRrnRecognizer,
            KrFrnRecognizer,
            KrBrnRecognizer,
            KrPassportRecognizer,
            KrDriverLicenseRecognizer,
            CreditCardRecognizer,
            EmailRecognizer,
        ):
            reg.add_recognizer(cls(supported_language=lang))
        reg.add_recognizer(PhoneRecognizer(supported_language=lang, supported_regions=["KR"]))
    return AnalyzerEngine(nlp_engine=engine, registry=reg, supported_languages=["ko", "en"])


def run_presidio(records: list[dict[str, Any]]) -> tuple[dict[str, list[list[Any]]], float]:
    an = _analyzer()
    out: dict[str, list[list[Any]]] = {}
    t0 = time.process_time()
    for r in records:
        lang = "en" if r.get("lang") == "en" else "ko"
        res = an.analyze(r["text"], language=lang, entities=list(KIND))
        out[r["id"]] = [[KIND[x.entity_type], x.start, x.end, float(x.score)] for x in res]
    return out, time.process_time() - t0


def main() -> None:
    refusal_path, pii_path = sys.argv[1], sys.argv[2]
    from importlib.metadata import version

    garak, g_cpu = run_garak(_records(refusal_path))
    presidio, p_cpu = run_presidio(_records(pii_path))
    json.dump(
        {
            "garak": garak,
            "presidio": presidio,
            "cpu_seconds": {"garak": g_cpu, "presidio": p_cpu},
            "versions": {
                "garak": version("garak"),
                "presidio-analyzer": version("presidio-analyzer"),
                "spacy": version("spacy"),
            },
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
