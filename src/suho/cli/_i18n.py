"""The command line's language: English or Korean, for help texts and the common messages.

The language is chosen once, before Typer builds the command tree: ``--ui ko|en`` anywhere on
the command line, else ``SUHO_UI``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``:
Korean when it starts with ``ko``). English help lives in the command modules (their docstrings
and ``help=``); the Korean catalogue (``_help_ko``) is imported only when Korean is chosen, so
``suho --help`` in English pays nothing for it.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typer._click import core as click  # Typer's own copy of Click

UI_LANGS = ("en", "ko")

# The language of this command line (set by ``cli.main``); outside it, the environment decides.
_UI: contextvars.ContextVar[str | None] = contextvars.ContextVar("suho_ui", default=None)


def ui_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``SUHO_UI`` if set, else ``ko`` for a Korean locale, else ``en``."""
    env = os.environ if environ is None else environ
    chosen = env.get("SUHO_UI", "").strip().lower()
    if chosen in UI_LANGS:
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:  # the first one set wins, as in POSIX locale resolution
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def split_ui(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """``--ui LANG`` / ``--ui=LANG`` taken out of ``argv`` (before a ``--``), wherever it is,
    so it works after a subcommand too. Returns (the last one given or None, the rest)."""
    chosen: str | None = None
    rest: list[str] = []
    it = iter(range(len(argv)))
    for i in it:
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        if arg == "--ui" and i + 1 < len(argv):
            chosen = argv[i + 1]
            next(it, None)
        elif arg.startswith("--ui="):
            chosen = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return chosen, rest


def set_ui(lang: str) -> contextvars.Token[str | None]:
    return _UI.set(lang)


def ui() -> str:
    """The language of the command line's messages: ``en`` or ``ko``."""
    return _UI.get() or ui_from_env()


# key: (English, Korean). Placeholders are ``str.format`` fields.
MESSAGES: dict[str, tuple[str, str]] = {
    "error": ("error: {msg}", "오류: {msg}"),
    "run_line": ("run {rid}", "run {rid}"),
    "report_line": ("report {path}", "report {path}"),
    "run_header": ("run {rid}: {target} · {source}", "실행 {rid}: {target} · {source}"),
    "resuming": ("resuming run {rid}", "실행 {rid} 이어서 진행"),
    "summary": (
        "{status}: {done} done, {errors} errors{kinds}, {pending} pending in {seconds:.1f}s; {rates}",
        "{status}: 완료 {done}, 오류 {errors}{kinds}, 대기 {pending} ({seconds:.1f}초); {rates}",
    ),
    "status_done": ("done", "완료"),
    "status_interrupted": ("interrupted", "중단됨"),
    "status_aborted": ("aborted", "멈춤"),
    "status_failed": ("failed", "실패"),
    "attack_success": ("attack success {rate} ({hits}/{n})", "공격 성공 {rate} ({hits}/{n})"),
    "attack_success_none": ("attack success n/a (0 judged)", "공격 성공 n/a (판정 0건)"),
    "gate_failed": ("gate failed: {why}", "게이트 실패: {why}"),
    "over_refusal": ("over-refusal {rate} ({hits}/{n})", "과잉 거절 {rate} ({hits}/{n})"),
    "not_applicable": (
        "{n} not applicable (a transform for another language: {names})",
        "해당 없음 {n} (다른 언어용 변형: {names})",
    ),
    "stopped": (
        "stopped; finish it with: suho resume {rid}",
        "멈췄습니다. 이어서 하려면: suho resume {rid}",
    ),
    "run_stopped": (
        "error: run stopped: {reason}\nfix the cause, then: suho resume {rid}",
        "오류: 실행이 멈췄습니다: {reason}\n원인을 고친 뒤: suho resume {rid}",
    ),
    "fail_on": (
        "attack-success rate {rate} exceeds --fail-on {limit}",
        "공격 성공률 {rate}이(가) --fail-on {limit}을(를) 넘었습니다",
    ),
    "sampled": (
        "--limit {limit}: {n} of {total} probes, sampled across categories and languages "
        "(seed {seed}; KO/EN pairs kept together)",
        "--limit {limit}: 프로브 {total}개 중 {n}개를 분류·언어별로 고르게 뽑았습니다 "
        "(시드 {seed}, 같은 의도의 한국어/영어 짝은 함께)",
    ),
    "agent_sampled": (
        "--limit {limit}: {n} of {total} tasks, sampled across suites and languages "
        "(seed {seed}; each pair with its user task's benign run, KO/EN twins together)",
        "--limit {limit}: 과제 {total}개 중 {n}개를 스위트·언어별로 고르게 뽑았습니다 "
        "(시드 {seed}, 쌍마다 그 사용자 과제의 주입 없는 실행을 함께, 한국어/영어 짝도 함께)",
    ),
    "compare_differs": (
        "warning: the runs have different probes: {only_a} only in A, {only_b} only in B; "
        "comparing the {common} they share",
        "경고: 두 실행의 프로브가 다릅니다 (A에만 {only_a}개, B에만 {only_b}개). "
        "공통 프로브 {common}개로 비교합니다",
    ),
    "no_runs": ("no runs yet", "아직 실행이 없습니다"),
    "stopping": (
        "\nstopping: finishing writes (press Ctrl-C again to quit at once)",
        "\n멈추는 중: 기록을 마무리합니다 (바로 끝내려면 Ctrl-C를 한 번 더)",
    ),
    "quitting": (
        "quitting; `suho resume` will pick up from the store",
        "끝냅니다. `suho resume`으로 저장소에서 이어서 할 수 있습니다",
    ),
    "bar_attack": ("attack success", "공격 성공"),
    "bar_over": ("over-refusal", "과잉 거절"),
    "bar_errors": ("errors", "오류"),
}


def t(key: str, **kw: Any) -> str:
    """The message ``key`` in the command line's language."""
    en, ko = MESSAGES[key]
    return (ko if ui() == "ko" else en).format(**kw)


def pct(num: int, den: int) -> str:
    """A rate for the summary lines: ``n/a`` when nothing was counted."""
    return f"{num / den:.1%}" if den else "n/a"


def localize(cmd: click.Command) -> None:
    """Put the Korean help texts on the command tree Typer built (in place)."""
    from suho.cli._help_ko import HELP, KoContext

    def walk(c: click.Command, path: str) -> None:
        texts = HELP.get(path, {})
        if "" in texts:
            c.help = texts[""]
            c.short_help = None
        c.context_class = KoContext
        for p in c.params:
            name = next((o for o in p.opts if o.startswith("--")), p.opts[0])
            key = name if getattr(p, "param_type_name", "") == "option" else (p.name or "").upper()
            if key in texts and hasattr(p, "help"):
                p.help = texts[key]
        for sub_name, sub in getattr(c, "commands", {}).items():
            walk(sub, f"{path} {sub_name}".strip())

    walk(cmd, "")
