"""STIX 2.1 bundle of a run's findings, built with the ``stix2`` library.

Objects: an identity for suho; per category that the attacks got through, an attack-pattern
(with MITRE ATLAS and OWASP LLM Top 10 external references); per failing (category, transform)
a vulnerability of the evaluated model, linked from its attack-pattern by a ``targets``
relationship, with a note that carries the rates and confidence intervals; a report that
references everything. Text is Korean (``lang: "ko"``) with English in language-content
objects. Every object carries the chosen TLP 2.0 marking. Ids are UUIDv5 of the run and the
finding, so exporting the same run twice gives the same ids.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any, TextIO

from suho.errors import SuhoInputError
from suho.export._model import ExportData, category_text, ci, pct
from suho.export._taxonomy import external_reference

# OASIS TLP 2.0 marking definitions (STIX extension-definition--60a3c5c5-...).
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
NAMESPACE = uuid.UUID("6f1c7d3e-2a4b-5c8d-9e0f-5375686f2d31")  # suho's own namespace for ids


def tlp_marking(level: str) -> dict[str, Any]:
    if level not in TLP_IDS:
        raise SuhoInputError(f"unknown TLP level {level!r}; choose one of {', '.join(TLP_IDS)}")
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_IDS[level],
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{level.upper()}",
        "extensions": {TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
    }


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, chr(0).join(parts))}"


def build_bundle(data: ExportData, *, tlp: str = "amber") -> Any:
    """The ``stix2.Bundle`` for ``data``."""
    try:
        import stix2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SuhoInputError(
            "STIX export needs the stix2 package: pip install 'suho[export]'"
        ) from e

    s = data.summary
    rid = data.run_id
    marking = stix2.parse(tlp_marking(tlp))
    marks = [marking.id]
    ts = s["finished_at"] or s["created_at"]
    when = _dt.datetime.fromtimestamp(ts, _dt.UTC).replace(microsecond=0)
    t = s["target"] or {}
    target = f"{t.get('provider', '?')}:{t.get('model', '?')}"
    common: dict[str, Any] = {"created": when, "modified": when, "object_marking_refs": marks}

    me = stix2.Identity(
        id=_id("identity", "suho"),
        name="suho",
        identity_class="system",
        description="suho (수호): 한국어 우선 AI 보안 평가 도구",
        lang="ko",
        **common,
    )
    by = {"created_by_ref": me.id, **common}
    objects: list[Any] = [marking, me]
    translations: list[Any] = []
    refs: list[str] = []
    patterns: dict[str, Any] = {}
    for g in data.groups:
        cat, tr = g["category"], g["transform"]
        tax = g["taxonomy"]
        tax_refs = [*tax.get("atlas", []), *tax.get("attack", []), *tax.get("owasp", [])]
        ext = [external_reference(r) for r in tax_refs]
        if cat not in patterns:
            ap = stix2.AttackPattern(
                id=_id("attack-pattern", rid, cat),
                name=f"LLM 탈옥: {category_text(cat)}",
                description=(
                    f"평가 대상 모델이 '{category_text(cat)}' 유형의 유해 요청에 응하도록 만드는 프롬프트 공격 "
                    f"(suho 분류 '{cat}')."
                ),
                external_references=ext or None,
                lang="ko",
                **by,
            )
            patterns[cat] = ap
            objects.append(ap)
            refs.append(ap.id)
            translations.append(
                stix2.LanguageContent(
                    id=_id("language-content", rid, cat, "en"),
                    object_ref=ap.id,
                    object_modified=ap.modified,
                    contents={
                        "en": {
                            "name": f"LLM jailbreak: {category_text(cat, 1)}",
                            "description": f"Prompt attacks that make the evaluated model help with {category_text(cat, 1)} (suho category '{cat}').",
                        }
                    },
                    **by,
                )
            )
        rate = g["rate"]
        langs_ko = ", ".join(
            f"{lang} {pct(r)} (95% CI {ci(r)}, {r['successes']}/{r['trials']})"
            for lang, r in g["by_lang"].items()
        )
        vuln = stix2.Vulnerability(
            id=_id("vulnerability", rid, cat, tr),
            name=f"{target}: {category_text(cat)} — 변형 '{tr}' 공격 성공률 {pct(rate)}",
            description=(
                f"모델 {target}이(가) 변형 '{tr}'을(를) 거친 '{category_text(cat)}' 유해 요청 {rate['trials']}건 중 "
                f"{rate['successes']}건에 응했습니다 (공격 성공률 {pct(rate)}, 95% 신뢰구간 {ci(rate)}). "
                f"언어별: {langs_ko}. 심각도: {g['severity']}."
            ),
            external_references=ext or None,
            labels=[f"severity:{g['severity']}", f"category:{cat}", f"transform:{tr}"],
            lang="ko",
            **by,
        )
        objects.append(vuln)
        refs.append(vuln.id)
        translations.append(
            stix2.LanguageContent(
                id=_id("language-content", rid, cat, tr, "en"),
                object_ref=vuln.id,
                object_modified=vuln.modified,
                contents={
                    "en": {
                        "name": f"{target}: {category_text(cat, 1)} — attack success {pct(rate)} with transform '{tr}'",
                        "description": f"The model went along with {rate['successes']} of {rate['trials']} harmful '{cat}' requests after transform '{tr}' (attack-success rate {pct(rate)}, 95% CI {ci(rate)}). Severity: {g['severity']}.",
                    }
                },
                **by,
            )
        )
        rel = stix2.Relationship(
            id=_id("relationship", rid, cat, tr),
            relationship_type="targets",
            source_ref=patterns[cat].id,
            target_ref=vuln.id,
            **by,
        )
        objects.append(rel)
        refs.append(rel.id)
        probes = data.probes.get((cat, tr), [])
        lines = [
            f"공격 성공률 {pct(rate)} (95% 신뢰구간 {ci(rate)}; 성공 {rate['successes']} / 시행 {rate['trials']}, 오류 {g['errors']}).",
            *(
                f"- {lang}: {pct(r)} (95% CI {ci(r)}, {r['successes']}/{r['trials']})"
                for lang, r in g["by_lang"].items()
            ),
            f"재현 프로브 ({len(probes)}): {', '.join(probes[:20])}{' …' if len(probes) > 20 else ''}",
            *(
                f"- 예시 시도 {ex['id']} ({ex['probe_id']}, {ex['lang']}): {data.example_text(ex['response'])}"
                for ex in data.examples.get((cat, tr), [])
            ),
        ]
        note = stix2.Note(
            id=_id("note", rid, cat, tr),
            abstract=f"suho 측정값: {cat} / {tr}",
            content="\n".join(lines),
            authors=["suho"],
            object_refs=[vuln.id],
            lang="ko",
            **by,
        )
        objects.append(note)
        refs.append(note.id)
    objects.extend(translations)
    asr = s["rates"]["attack_success"]
    gap = s.get("gap") or {}
    report = stix2.Report(
        id=_id("report", rid),
        name=f"suho 평가 보고서 {rid}: {target}",
        description=(
            f"suho 실행 {rid} ({s['suite'] or '-'}): 유해 요청 공격 성공률 {pct(asr)} (95% 신뢰구간 {ci(asr)}, "
            f"{asr['successes']}/{asr['trials']}); 과잉 거절률 {pct(s['rates']['over_refusal'])}. "
            + (gap.get("verdict_ko") or "")
        ).strip(),
        published=when,
        report_types=["vulnerability", "attack-pattern"],
        object_refs=refs or [me.id],
        labels=["suho", "llm-red-team"],
        lang="ko",
        **by,
    )
    objects.append(report)
    return stix2.Bundle(objects=objects, id=_id("bundle", rid, tlp))


def write_stix(data: ExportData, out: TextIO, *, tlp: str = "amber") -> None:
    out.write(build_bundle(data, tlp=tlp).serialize(pretty=True, ensure_ascii=False))
    out.write("\n")
