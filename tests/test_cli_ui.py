"""The command line in Korean or English (issue 13, item 18): help and common messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli, write_probes

KO = {"LANG": "ko_KR.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "SUHO_UI": ""}
EN = {"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "SUHO_UI": ""}
C = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "SUHO_UI": ""}


def _env(base: dict[str, str], **extra: str) -> dict[str, str]:
    return {**base, "PYTHONIOENCODING": "utf-8", **extra}


@pytest.mark.parametrize(
    ("env", "args"),
    [
        (_env(KO), []),
        (_env(EN), ["--ui", "ko"]),
        (_env(C), ["--ui=ko"]),
        (_env(EN, SUHO_UI="ko"), []),
        (_env(EN, LC_ALL="ko_KR.UTF-8"), []),
        (_env(EN, LC_MESSAGES="ko_KR.UTF-8"), []),
    ],
)
def test_help_in_korean(env: dict[str, str], args: list[str]) -> None:
    r = run_cli(*args, "--help", env=env)
    assert r.returncode == 0, r.stderr
    assert "사용법:" in r.stdout and "명령:" in r.stdout and "한국어 우선 AI 보안 평가" in r.stdout
    assert "이 도움말을 보여 주고 끝냅니다." in r.stdout and "Usage:" not in r.stdout
    r = run_cli("scan", "--help", *args, env=env)  # --ui after the subcommand works too
    assert r.returncode == 0, r.stderr
    assert "프로브로 대상을 공격하고" in r.stdout and "옵션:" in r.stdout
    assert "[기본값: " in r.stdout and "Attack a target" not in r.stdout


@pytest.mark.parametrize(
    ("env", "args"),
    [(_env(EN), []), (_env(C), []), (_env(KO), ["--ui", "en"]), (_env(KO, SUHO_UI="en"), [])],
)
def test_help_in_english(env: dict[str, str], args: list[str]) -> None:
    r = run_cli(*args, "--help", env=env)
    assert r.returncode == 0 and "Usage:" in r.stdout and "Korean-first" in r.stdout
    assert "사용법" not in r.stdout
    r = run_cli(*args, "scan", "--help", env=env)
    assert "Attack a target with probes" in r.stdout and "프로브로" not in r.stdout


def test_unknown_ui_language() -> None:
    r = run_cli("--ui", "fr", "--help")
    assert r.returncode == 2 and "--ui 'fr'" in r.stderr


def test_every_command_and_option_has_korean_help() -> None:
    import typer.main

    from suho.cli import app
    from suho.cli._help_ko import HELP

    missing = []

    def walk(c: Any, path: str) -> None:
        texts = HELP.get(path, {})
        if "" not in texts:
            missing.append(f"{path or 'suho'}: the command's help")
        for p in c.params:
            if p.param_type_name == "option":
                key = next((o for o in p.opts if o.startswith("--")), p.opts[0])
            else:
                key = (p.name or "").upper()
            if key not in texts:
                missing.append(f"{path or 'suho'} {key}")
        for name, sub in getattr(c, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    assert missing == []


@pytest.mark.parametrize(
    ("env", "args", "korean"),
    [
        (_env(KO), [], True),
        (_env(EN), ["--ui", "ko"], True),
        (_env(EN), [], False),
        (_env(KO), ["--ui", "en"], False),
    ],
)
def test_scan_summary_language(
    server_factory: Any, tmp_path: Path, env: dict[str, str], args: list[str], korean: bool
) -> None:
    srv = server_factory("--policy", "refuse-all")
    p = write_probes(tmp_path / "p.jsonl", ["a", "b"])
    r = run_cli(
        *["scan", "--target", "openai:m", "--base-url", srv.base_url, "--probes", str(p)],
        *["--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "o"), "-q", *args],
        env=env,
    )
    assert r.returncode == 0, r.stderr
    if korean:
        assert "완료: 완료 2, 오류 0" in r.stderr and "공격 성공 0.0% (0/2)" in r.stderr
    else:
        assert "done: 2 done, 0 errors" in r.stderr and "attack success 0.0% (0/2)" in r.stderr
    # The machine-read lines stay the same in every language.
    assert r.stdout.startswith("run ") and "\nreport " in r.stdout
    bad = run_cli("scan", "--probes", str(tmp_path / "nope.jsonl"), *args, env=env)
    assert bad.returncode == 2
    assert bad.stderr.startswith("오류: " if korean else "error: "), bad.stderr
