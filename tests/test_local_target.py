"""The ``local`` target without a model: configuration errors, parsing, prompt shaping (fast)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from conftest import run_cli, write_probes
from suho.errors import SuhoInputError
from suho.targets import (
    GenParams,
    Message,
    TargetError,
    TargetOptions,
    ToolCall,
    _llama,
    create_target,
)
from suho.targets._local import LocalTarget, grammar_for, is_path_spec, parse_tool_calls


def _target(spec: str, **env: str) -> LocalTarget:
    t = create_target(spec, TargetOptions(env=env))
    assert isinstance(t, LocalTarget)
    return t


def test_uninstalled_model_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUHO_HOME", str(tmp_path))
    t = _target("local:qwen2.5-1.5b")
    with pytest.raises(
        SuhoInputError, match=r"not installed; run: suho models install qwen2\.5-1\.5b"
    ):
        asyncio.run(t.preflight())


def test_chat_on_uninstalled_model_is_a_fatal_target_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUHO_HOME", str(tmp_path))
    t = _target("local:qwen2.5-0.5b")
    with pytest.raises(TargetError) as e:
        asyncio.run(t.chat([Message("user", "hi")], GenParams()))
    assert e.value.status == 404 and not e.value.retryable  # the engine stops the run
    assert "suho models install qwen2.5-0.5b" in e.value.message


def test_missing_llama_cpp_says_which_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)

    def no_llama() -> None:
        raise ImportError("No module named 'llama_cpp'")

    monkeypatch.setattr(_llama, "import_llama", no_llama)
    with pytest.raises(SuhoInputError, match=r"pip install 'suho\[local\]'"):
        asyncio.run(_target(f"local:{gguf}").preflight())


def test_path_spec_must_exist_and_be_gguf(tmp_path: Path) -> None:
    with pytest.raises(SuhoInputError, match="model file not found"):
        asyncio.run(_target(f"local:{tmp_path / 'nope.gguf'}").preflight())
    other = tmp_path / "weights.gguf"
    other.write_bytes(b"PK\x03\x04 not gguf")
    with pytest.raises(SuhoInputError, match="is not a GGUF file"):
        asyncio.run(_target(f"local:{other}").preflight())


@pytest.mark.slow
@pytest.mark.local_model  # llama.cpp itself loads the file
def test_a_corrupt_gguf_fails_to_load_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\xff" * 256)
    with pytest.raises(SuhoInputError, match=r"could not load .*bad\.gguf"):
        asyncio.run(_target(f"local:{bad}").preflight())


def test_unknown_registry_name_is_input_error() -> None:
    with pytest.raises(SuhoInputError, match="unknown model 'llama-70b'"):
        asyncio.run(_target("local:llama-70b").preflight())


def test_base_url_is_refused() -> None:
    with pytest.raises(SuhoInputError, match="--base-url does not apply"):
        create_target("local:qwen2.5-1.5b", TargetOptions(base_url="http://127.0.0.1:1/v1"))


@pytest.mark.parametrize(
    ("var", "value", "msg"),
    [
        ("SUHO_LOCAL_PARALLEL", "zero", "not a whole number"),
        ("SUHO_LOCAL_PARALLEL", "0", "outside 1..64"),
        ("SUHO_LOCAL_CTX", "10", "outside 256.."),
        ("SUHO_LOCAL_THREADS", "-1", "outside 0.."),
    ],
)
def test_bad_environment_settings(var: str, value: str, msg: str) -> None:
    with pytest.raises(SuhoInputError, match=f"{var}={value!r}|{var}={value}"):
        _target("local:qwen2.5-1.5b", **{var: value})
    with pytest.raises(SuhoInputError, match=msg):
        _target("local:qwen2.5-1.5b", **{var: value})


def test_parallel_follows_concurrency_up_to_the_cap() -> None:
    def par(conns: int, **env: str) -> int:
        t = create_target("local:qwen2.5-1.5b", TargetOptions(max_connections=conns, env=env))
        assert isinstance(t, LocalTarget)
        return t.settings.n_parallel

    assert par(1) == 1
    assert par(3) == 3
    assert par(64) == 4  # default cap
    assert par(64, SUHO_LOCAL_PARALLEL="8") == 8


def test_describe_has_no_directory_for_a_path(tmp_path: Path) -> None:
    t = _target(f"local:{tmp_path / 'secret-folder' / 'mine.gguf'}")
    d = t.describe()
    assert d["model"] == "mine.gguf" and "secret-folder" not in json.dumps(d)
    assert t.secrets() == []


def test_is_path_spec() -> None:
    assert is_path_spec("/m/x.gguf") and is_path_spec("./x.gguf") and is_path_spec("x.GGUF")
    assert is_path_spec("~/models/x")
    assert not is_path_spec("qwen2.5-1.5b")


def test_system_prompt_and_tool_messages_for_the_template() -> None:
    t = create_target(
        "local:qwen2.5-1.5b", TargetOptions(system_prompt="You are a bank assistant.")
    )
    assert isinstance(t, LocalTarget)
    msgs = t.messages_for_template(
        [
            Message("user", "잔액 알려줘"),
            Message("assistant", "", tool_calls=(ToolCall("c1", "balance", '{"account": "1"}'),)),
            Message("tool", "1,000원", tool_call_id="c1", name="balance"),
        ]
    )
    assert msgs[0] == {"role": "system", "content": "You are a bank assistant."}
    assert msgs[2]["tool_calls"][0]["function"] == {
        "name": "balance",
        "arguments": {"account": "1"},
    }
    assert msgs[3]["tool_call_id"] == "c1" and msgs[3]["name"] == "balance"
    # A conversation that brings its own system message keeps it, without a second one.
    own = t.messages_for_template([Message("system", "S"), Message("user", "U")])
    assert [m["role"] for m in own] == ["system", "user"] and own[0]["content"] == "S"


def test_parse_tool_calls() -> None:
    text = (
        'Sure.\n<tool_call>\n{"name": "transfer", "arguments": {"to": "김철수", "amount": 50000}}\n</tool_call>'
        "\n<tool_call>{not json}</tool_call>"
    )
    rest, calls = parse_tool_calls(text)
    assert [c.name for c in calls] == ["transfer"]
    assert json.loads(calls[0].arguments) == {"to": "김철수", "amount": 50000}
    assert "Sure." in rest and "{not json}" in rest and "transfer" not in rest
    plain, none = parse_tool_calls("no calls here")
    assert plain == "no calls here" and none == []


@pytest.mark.slow
@pytest.mark.local_model  # llama.cpp itself builds the grammar
def test_grammar_for_response_formats() -> None:
    assert grammar_for(None) is None
    assert grammar_for({"type": "text"}) is None
    assert "root" in (grammar_for({"type": "json_object"}) or "")
    schema = {
        "type": "object",
        "properties": {"verdict": {"enum": ["safe", "unsafe"]}},
        "required": ["verdict"],
    }
    g = grammar_for({"type": "json_schema", "json_schema": {"name": "v", "schema": schema}}) or ""
    assert "safe" in g and "unsafe" in g
    with pytest.raises(TargetError, match="not supported"):
        grammar_for({"type": "xml"})


def test_scan_without_model_exits_2_with_the_install_command(tmp_path: Path) -> None:
    probes = write_probes(tmp_path / "p.jsonl", ["안녕하세요"], lang="ko")
    res = run_cli(
        "scan",
        "--probes",
        str(probes),
        "--db",
        str(tmp_path / "s.db"),
        "--out",
        str(tmp_path / "r"),
        "-q",
        env={"SUHO_HOME": str(tmp_path / "empty-home")},
    )
    assert res.returncode == 2, res.stderr
    assert (
        "error: model 'qwen2.5-1.5b' is not installed; run: suho models install qwen2.5-1.5b"
        in res.stderr
    )
    assert "Traceback" not in res.stderr
