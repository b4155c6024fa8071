"""Crescendo: an attacker model escalates a conversation turn by turn towards the goal."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from suho.episode import BudgetExceeded
from suho.targets import Message

from ._common import (
    HISTORY_ANSWER_CHARS,
    AttackOptions,
    Best,
    Rating,
    ask_attacker,
    attacker_params,
    clip,
    deliver,
    finish,
    goal_of,
    judge_turn,
    parse_options,
    refused_by,
    target_queries,
    text,
)

if TYPE_CHECKING:
    from suho.episode import Episode, EpisodeContext


class CrescendoOptions(AttackOptions):
    max_turns: int = Field(default=5, ge=1, le=50)
    max_backtracks: int = Field(default=3, ge=0, le=50)


class Crescendo:
    """Crescendo: the attacker model opens with a harmless question related to the goal and
    moves one small step closer each turn, building on the target's own words. When the target
    refuses (the run's refusal detector; without one, a judge rating of 1), the refused exchange
    is removed from the target's history (kept in the events as a ``backtrack``) and the
    attacker tries a softer step, up to ``max_backtracks`` times. It stops when the judge rates a turn at or above
    ``success_threshold``; the best-rated turn's answer is the one the detectors judge.

    Misses: it is only as inventive as the attacker model (a small or safety-tuned attacker may
    refuse to play or drift off the goal); one conversation per attempt, no parallel branches
    (see ``tap``); a target that keeps refusing soft openings ends the attempt after the
    backtracks are spent.
    """

    name: ClassVar[str] = "crescendo"
    needs: ClassVar[frozenset[str]] = frozenset({"attacker", "judge"})
    turns_option: ClassVar[str] = "max_turns"
    options_model: ClassVar[type[AttackOptions]] = CrescendoOptions

    async def run(self, episode: Episode, ctx: EpisodeContext) -> None:
        opts = parse_options(CrescendoOptions, self.name, ctx.options)
        assert ctx.attacker is not None and ctx.judge is not None
        a = episode.attempt
        goal = goal_of(episode)
        msgs = episode.messages
        if a.system:
            msgs.append(Message("system", a.system))
        system = text(a.lang, "crescendo_system", goal=goal, max_turns=opts.max_turns)
        best = Best()
        history: list[str] = []  # accepted exchanges, shortened, for the attacker
        refused_prompt: str | None = None
        turn = 0
        backtracks = 0
        met = False
        ended_by = "turns"
        try:
            while turn < opts.max_turns:
                n = turn + 1
                episode.turn = n
                ask = [
                    Message("system", system),
                    Message(
                        "user",
                        text(
                            a.lang,
                            "crescendo_next",
                            turn=n,
                            max_turns=opts.max_turns,
                            history="\n".join(history) or text(a.lang, "crescendo_empty"),
                            refused=text(a.lang, "crescendo_refused", prompt=refused_prompt)
                            if refused_prompt
                            else "",
                        ),
                    ),
                ]
                prompt, _imp, _raw = await ask_attacker(
                    episode, ctx.attacker, ask, attacker_params(opts), turn=n
                )
                sent = deliver(episode, prompt, n)
                episode.record(
                    "attacker_turn",
                    "attacker",
                    turn=n,
                    prompt=sent,
                    **({"written": prompt} if sent != prompt else {}),
                )
                msgs.append(Message("user", sent))
                res = await ctx.target.generate(msgs, ctx.params)
                msgs.append(Message("assistant", res.text))
                episode.finish_reason = res.finish_reason
                if episode.output is None:
                    episode.output = res.text
                verdicts = await ctx.score(res.text, turn=n)
                refused = refused_by(verdicts)
                rating = (
                    Rating(1, "")
                    if refused
                    else await judge_turn(
                        episode, ctx, opts, goal=goal, prompt=prompt, answer=res.text, turn=n
                    )
                )
                # The refusal detector decides when the run has one; only without one does a
                # judge rating of 1 (refused, deflected or off the goal) count as a refusal, as
                # a harmless early turn may well be rated 1 for not advancing the goal yet.
                if refused or (refused is None and rating.refused):
                    del msgs[-2:]  # the target never sees this exchange again
                    backtracks += 1
                    episode.record(
                        "backtrack",
                        "attack",
                        turn=n,
                        prompt=prompt,
                        answer=clip(res.text, 2000),
                        by="detector" if refused else "judge",
                        backtracks=backtracks,
                    )
                    refused_prompt = prompt
                    episode.state["backtracks"] = backtracks
                    await ctx.checkpoint()
                    if backtracks > opts.max_backtracks:
                        ended_by = "backtracks"
                        break
                    continue
                refused_prompt = None
                turn = n
                if best.offer(n, rating.score, res.text, target_queries(episode), []):
                    episode.output = res.text
                history.append(
                    f"[{n}] user: {prompt}\n    system: {clip(res.text, HISTORY_ANSWER_CHARS)}"
                )
                episode.state["turn"] = turn
                await ctx.checkpoint()
                if rating.met(opts.success_threshold):
                    met, ended_by = True, "goal"
                    break
        except BudgetExceeded as b:
            best.messages = None
            finish(episode, best, f"budget:{b.what}", met)
            raise
        best.messages = None  # the conversation stays as the target saw it
        finish(episode, best, ended_by, met)
