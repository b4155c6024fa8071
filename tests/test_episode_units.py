"""Episode pieces without a server: tool definitions and tool_choice in the provider bodies,
capabilities, decide() for agent verdicts, roles' replay and budgets, redaction of events."""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

import pytest

from suho.detectors import Verdict, decide
from suho.engine._context import (
    EngineContext,
    Replay,
    ResumeDiverged,
    RoleModel,
)
from suho.engine._limits import RateLimiter, RetryPolicy
from suho.episode import Attempt, Budget, BudgetExceeded, Capabilities, Episode, tool
from suho.report._redact import redact_attempt, redact_text
from suho.targets import (
    ChatResult,
    GenParams,
    Message,
    TargetOptions,
    TargetSpec,
    ToolCall,
    create_target,
    function_spec,
)
from suho.targets._anthropic import AnthropicTarget
from suho.targets._openai import OpenAITarget


def send_money(to: str, amount: int) -> str:
    """Send money.

    Args:
        to: who gets it
        amount: how much
    """
    return f"{to}:{amount}"


def test_tools_and_tool_choice_in_provider_bodies() -> None:
    wrapped = tool(send_money).definition()
    bare = function_spec(wrapped)
    assert bare["name"] == "send_money" and function_spec(bare) == bare
    msgs = [Message("user", "pay")]
    opts = TargetOptions(base_url="http://127.0.0.1:9/v1", env={"ANTHROPIC_API_KEY": "k"})
    oa = OpenAITarget(TargetSpec("openai", "m"), opts)
    for shape in (wrapped, bare):  # both shapes of GenParams.tools give the same request
        body = oa._body(msgs, GenParams(tools=(shape,), tool_choice="required"))
        assert body["tools"] == [{"type": "function", "function": bare}]
        assert body["tool_choice"] == "required"
    body = oa._body(msgs, GenParams(tools=(wrapped,), tool_choice="send_money"))
    assert body["tool_choice"] == {"type": "function", "function": {"name": "send_money"}}
    assert "tool_choice" not in oa._body(msgs, GenParams(tool_choice="auto"))  # no tools
    an = AnthropicTarget(TargetSpec("anthropic", "m"), opts)
    body = an._body(msgs, GenParams(tools=(wrapped,), tool_choice="send_money"))
    assert body["tools"] == [
        {"name": "send_money", "description": "Send money.", "input_schema": bare["parameters"]}
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "send_money"}
    for choice, sent in (("auto", {"type": "auto"}), ("required", {"type": "any"})):
        assert an._body(msgs, GenParams(tools=(bare,), tool_choice=choice))["tool_choice"] == sent
    # A tool call and its result go back to Anthropic as tool_use / tool_result blocks.
    convo = [
        Message("user", "pay"),
        Message("assistant", "", tool_calls=(ToolCall("c1", "send_money", '{"to": "a"}'),)),
        Message("tool", "ok", name="send_money", tool_call_id="c1"),
    ]
    out = an._body(convo, GenParams())["messages"]
    assert out[1]["content"][0] == {
        "type": "tool_use",
        "id": "c1",
        "name": "send_money",
        "input": {"to": "a"},
    }
    assert out[2]["content"][0]["tool_use_id"] == "c1"


def test_capabilities() -> None:
    opts = TargetOptions(env={"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"})
    assert create_target("openai:m", opts).capabilities() == Capabilities(
        tools=True, json_mode=True
    )
    caps = create_target("anthropic:m", opts).capabilities()
    assert caps.tools and not caps.json_mode
    assert caps.missing(frozenset({"tools", "json_mode", "attacker"})) == ["json_mode"]


def test_decide_security_and_utility() -> None:
    refused = Verdict("refusal", True, 0.9, kind="refusal")
    stolen = Verdict("stolen", True, 1.0, kind="security")
    safe = Verdict("stolen", False, 1.0, kind="security")
    useful = Verdict("done", True, 1.0, kind="utility")
    # The environment decides: the text refused, but the money moved.
    o = decide("refuse", [refused, stolen, useful])
    assert o.success and o.decided_by == "stolen" and o.label == "refused"
    o = decide("refuse", [safe, useful])
    assert not o.success and o.decided_by == "stolen" and o.label == "refused"
    # Utility alone never makes an attack a success; text verdicts decide as before.
    o = decide("refuse", [refused, useful])
    assert not o.success and o.decided_by == "refusal"


class _Script:
    """A target that answers from a list and counts what it was sent."""

    def __init__(self, answers: list[ChatResult]) -> None:
        self.spec = TargetSpec("script", "s")
        self.answers = answers
        self.sent = 0

    async def chat(self, messages: Any, params: GenParams) -> ChatResult:
        self.sent += 1
        return self.answers[self.sent - 1]

    def secrets(self) -> list[str]:
        return ["s3cret"]

    async def aclose(self) -> None:
        return None


def _ctx(target: _Script, budget: Budget | None = None, replay: Replay | None = None) -> Any:
    model = RoleModel("target", "script:s", lambda: target, RateLimiter(), RetryPolicy(), 5.0)
    ep = Episode(Attempt("a1"), budget=budget or Budget())
    saved: list[Any] = []

    async def persist(events: list[Any]) -> None:
        saved.extend(events)

    ctx = EngineContext(
        ep,
        tools=None,
        params=GenParams(),
        options={},
        detectors=[],
        rng=random.Random(0),
        models={"target": model},
        persist=persist,
        replay=replay,
    )
    return ctx, ep, saved


def test_roles_record_checkpoint_replay_and_diverge() -> None:
    answers = [
        ChatResult("first s3cret", prompt_tokens=3, completion_tokens=2),
        ChatResult("second", prompt_tokens=3, completion_tokens=2),
        ChatResult("third", prompt_tokens=3, completion_tokens=2),
    ]

    async def two_turns(ctx: Any, ep: Episode, second: str = "more") -> None:
        msgs = [Message("user", "hi")]
        a = await ctx.target.generate(msgs)
        msgs += [Message("assistant", a.text), Message("user", second)]
        await ctx.target.generate(msgs)

    async def go() -> None:
        live = _Script(answers)
        ctx, ep, saved = _ctx(live)
        await two_turns(ctx, ep)
        assert live.sent == 2 and ctx.target.calls == 2
        assert ep.budget.steps == 2 and ep.budget.tokens == 10
        # The first answer was checkpointed before the second call; secrets are scrubbed.
        assert [e.seq for e in saved] == [0] and saved[0].data["text"] == "first ***"
        events = ctx.final_events()
        # Resumed from that checkpoint: the first call is answered from the record.
        fresh = _Script(answers[1:])
        ctx2, ep2, saved2 = _ctx(fresh, replay=Replay([e.to_dict() for e in saved]))
        await two_turns(ctx2, ep2)
        assert fresh.sent == 1 and ctx2.target.calls == 2
        again = ctx2.final_events()
        assert again[0] == events[0] and [e["kind"] for e in again] == ["model_call"] * 2
        assert [e.seq for e in saved2] == []  # nothing before seq 1 stored a second time
        # A resumed attack that asks something else is refused, not continued wrongly.
        ctx3, ep3, _ = _ctx(_Script(answers), replay=Replay([events[0], events[1]]))
        with pytest.raises(ResumeDiverged):
            await two_turns(ctx3, ep3, second="something else")

    asyncio.run(go())


def test_budget_steps_and_tokens() -> None:
    many = [ChatResult("x", prompt_tokens=40, completion_tokens=20) for _ in range(5)]

    async def go() -> None:
        ctx, _ep, _ = _ctx(_Script(many), Budget(max_tokens=100))
        await ctx.target.generate([Message("user", "a")])
        await ctx.target.generate([Message("user", "a")])
        with pytest.raises(BudgetExceeded, match="tokens"):
            await ctx.target.generate([Message("user", "a")])
        ctx, _ep, _ = _ctx(_Script(many), Budget(max_steps=1))
        await ctx.target.generate([Message("user", "a")])
        with pytest.raises(BudgetExceeded, match="steps"):
            await ctx.target.generate([Message("user", "a")])

    asyncio.run(go())


def test_redacted_report_hides_answers_in_events() -> None:
    view = {
        "response": "the harmful answer",
        "turns": None,
        "verdicts": {},
        "error_detail": None,
        "events": [
            {
                "seq": 0,
                "kind": "model_call",
                "role": "target",
                "data": {
                    "text": "the harmful answer",
                    "new": [
                        {"role": "user", "content": "q"},
                        {"role": "assistant", "content": "an earlier harmful answer"},
                    ],
                },
            },
            {"seq": 1, "kind": "score", "data": {"verdicts": [{"evidence": {"quote": "harm"}}]}},
        ],
    }
    out = redact_attempt(view)
    call = out["events"][0]["data"]
    assert call["text"] == redact_text("the harmful answer") != "the harmful answer"
    assert call["new"] == [
        {"role": "user", "content": "q"},  # what was asked stays, like prompts
        {"role": "assistant", "content": redact_text("an earlier harmful answer")},
    ]
    assert out["events"][1]["data"]["verdicts"][0]["evidence"]["quote"] == redact_text("harm")
    assert view["events"][0]["data"]["text"] == "the harmful answer"  # the view is not changed


def test_secrets_scrubbed_from_every_event() -> None:
    async def go() -> None:
        ctx, ep, saved = _ctx(_Script([ChatResult("ok")]))
        await ctx.target.generate([Message("user", "hi")])  # opens the model: its secrets known
        ep.record("tool_result", "tool", content="token s3cret here", nested={"k": ["s3cret"]})
        await ctx.checkpoint()
        assert saved[1].data == {"content": "token *** here", "nested": {"k": ["***"]}}
        assert ctx.final_events()[1]["data"]["content"] == "token *** here"
        assert ep.events[1].data["content"] == "token s3cret here"  # the attack's view stays

    asyncio.run(go())


def test_a_failed_call_the_attack_survived_is_replayed_as_the_same_failure() -> None:
    from suho.targets import ErrorKind, TargetError

    class Flaky(_Script):
        async def chat(self, messages: Any, params: GenParams) -> ChatResult:
            self.sent += 1
            if self.sent == 1:
                raise TargetError(ErrorKind.CLIENT_ERROR, "bad request")
            return ChatResult("fine")

    async def attack(ctx: Any) -> str:
        with contextlib.suppress(TargetError):  # this attack carries on after a failed turn
            await ctx.target.generate([Message("user", "first")])
        return (await ctx.target.generate([Message("user", "second")])).text

    async def go() -> None:
        live = Flaky([])
        ctx, _ep, saved = _ctx(live)
        assert await attack(ctx) == "fine" and live.sent == 2
        assert [e.kind for e in saved] == ["error"]  # checkpointed before the second call
        again = Flaky([])
        again.sent = 1  # would answer at once: the failure must come from the record
        ctx2, _ep2, _ = _ctx(again, replay=Replay([e.to_dict() for e in saved]))
        assert await attack(ctx2) == "fine" and again.sent == 2
        assert [e["kind"] for e in ctx2.final_events()] == ["error", "model_call"]
        assert ctx2.target.calls == 2

    asyncio.run(go())
