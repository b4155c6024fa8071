"""The agent step's hot paths made cheaper must stay exactly what they were: the incremental
request digest equals ``request_digest`` (a resume compares them across versions), the two
states of an episode are independent, and a suite file is re-read when it changes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from suho.agents import load_suite
from suho.agents._suite import _data_dir
from suho.engine._context import RequestDigest, request_digest
from suho.targets import GenParams, Message, ToolCall


def _conversation(steps: int) -> list[tuple[Message, ...]]:
    msgs = [Message("system", "시스템 {안내}"), Message("user", '잔액을 알려 줘 "now"')]
    out = [tuple(msgs)]
    for i in range(steps):
        calls = (
            ToolCall(f"c{i}", "get_balance", "{}"),
            ToolCall(f"d{i}", "send_money", json.dumps({"to": "110-1", "amount": i})),
        )
        msgs += [Message("assistant", "", tool_calls=calls)]
        msgs += [Message("tool", f'{{"잔액": {i}}}', name=c.name, tool_call_id=c.id) for c in calls]
        out.append(tuple(msgs))
    return out


def test_the_incremental_digest_equals_request_digest() -> None:
    suite = load_suite("banking-ko")
    tools = tuple(t.definition() for t in suite.tools())
    fewer = tools[:3]
    params = [
        GenParams(tools=tools),
        GenParams(tools=tools, tool_choice="auto"),
        GenParams(tools=fewer),  # a rug pull: the tools changed between calls
        GenParams(),
    ]
    convs = _conversation(4)
    # a growing conversation, a backtrack (shorter), a different one of the same length
    sequence = [*convs, convs[1], convs[3], (Message("user", "다른 대화"), *convs[3][1:])]
    for p_seq in (params, params[::-1]):
        d = RequestDigest()
        seen: tuple[Message, ...] = ()
        for i, sent in enumerate(sequence):
            p = p_seq[i % len(p_seq)]
            continued = len(sent) >= len(seen) and sent[: len(seen)] == seen
            assert d.digest(sent, p, continued) == request_digest(sent, p)
            seen = sent
    # a different conversation never collides with the previous one's digest
    d = RequestDigest()
    a = d.digest(convs[2], params[0], True)
    b = d.digest((*convs[2][:-1], Message("tool", "바뀐 결과")), params[0], False)
    assert a != b


def test_an_episode_gets_two_independent_states() -> None:
    suite = load_suite("banking-ko")
    pre, post = suite.build_states({next(iter(suite.vectors)): "심은 문장"})
    assert pre == post and pre is not post
    assert pre == suite.build_state({next(iter(suite.vectors)): "심은 문장"})
    post.record("transfer", "110-1", 1000)
    assert pre.ledger == [] and len(post.ledger) == 1
    for name, value in pre:
        if isinstance(value, list) and value:
            assert value is not getattr(post, name)


def test_a_suite_file_is_loaded_again_when_it_changes(tmp_path: Path) -> None:
    raw = json.loads((_data_dir() / "public-ko" / "suite.json").read_text(encoding="utf-8"))
    p = tmp_path / "mine.json"
    p.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    first = load_suite(str(p))
    assert load_suite(str(p)) is first  # the same version: checked once
    raw["description"] = "바뀐 설명"
    p.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    again = load_suite(str(p))
    assert again is not first and again.description == "바뀐 설명"


def test_an_event_is_scrubbed_exactly_as_before() -> None:
    from types import MappingProxyType

    from suho.engine._context import _scrub_event, _scrub_json
    from suho.episode import Event

    secrets = ['sk-비밀"key\\1', "", "tok\n2"]
    cases: list[dict[str, object]] = [
        {"text": "no secret here", "n": 3, "calls": [{"arguments": "{}"}]},
        {"text": 'a sk-비밀"key\\1 b', "nested": {"deep": ["x", "tok\n2"]}},
        {'sk-비밀"key\\1': "a key is not scrubbed"},
        {"tuple": ("tok\n2", 1), "none": None, "f": 1.5},
        {"proxy": MappingProxyType({"v": 'sk-비밀"key\\1'})},
        {"text": 'almost sk-비밀"key but not'},
    ]
    for data in cases:
        ev = Event(seq=0, kind="note", data=data)
        got = _scrub_event(ev, secrets)
        assert json.dumps(got.to_dict()["data"], ensure_ascii=False) == json.dumps(
            _scrub_json(data, secrets), ensure_ascii=False
        )
        if "text" in data:
            assert secrets[0] not in str(got.data["text"])
    clean = Event(seq=0, kind="note", data={"text": "nothing to hide"})
    assert _scrub_event(clean, secrets) is clean  # untouched: no copy made
