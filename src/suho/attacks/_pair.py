"""PAIR: an attacker model refines one prompt over iterations from the target's answers and
the judge's ratings, in a few independent streams."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from suho.episode import BudgetExceeded
from suho.targets import Message

from ._common import (
    ANSWER_CHARS,
    AttackOptions,
    Best,
    ask_attacker,
    attacker_params,
    clip,
    deliver,
    finish,
    goal_of,
    judge_turn,
    parse_options,
    target_queries,
    text,
)

if TYPE_CHECKING:
    from suho.episode import Episode, EpisodeContext

STRATEGIES = 4  # strategy_0 .. strategy_3 in the prompts file


class PairOptions(AttackOptions):
    max_iterations: int = Field(default=3, ge=1, le=50)
    n_streams: int = Field(default=2, ge=1, le=20)


def single_turn(episode: Episode, prompt: str) -> list[Message]:
    """A fresh one-prompt conversation with the target (after the probe's system prompt)."""
    a = episode.attempt
    return [*([Message("system", a.system)] if a.system else []), Message("user", prompt)]


class Pair:
    """PAIR (prompt automatic iterative refinement): in each of ``n_streams`` streams the attacker
    model writes a prompt, sees the target's answer and the judge's 1-10 rating, and writes an
    improved one, for up to ``max_iterations`` rounds. Each stream starts from a different
    strategy (role-play, professional framing, fiction, decomposition). Every candidate goes to
    the target as a fresh single-turn conversation; the attack stops as soon as one is rated at or
    above ``success_threshold``, and the best-rated candidate is the output.

    Misses: single-turn candidates only (a model that gives in gradually is crescendo's job); the
    search is as good as the attacker and the judge (a lenient judge stops early on weak answers,
    a strict one spends the whole budget).
    """

    name: ClassVar[str] = "pair"
    needs: ClassVar[frozenset[str]] = frozenset({"attacker", "judge"})
    turns_option: ClassVar[str] = "max_iterations"
    options_model: ClassVar[type[AttackOptions]] = PairOptions

    async def run(self, episode: Episode, ctx: EpisodeContext) -> None:
        opts = parse_options(PairOptions, self.name, ctx.options)
        assert ctx.attacker is not None
        a = episode.attempt
        goal = goal_of(episode)
        streams: list[list[Message]] = []
        for s in range(opts.n_streams):
            strategy = text(a.lang, f"strategy_{s % STRATEGIES}")
            streams.append(
                [
                    Message("system", text(a.lang, "pair_system", goal=goal, strategy=strategy)),
                    Message("user", text(a.lang, "pair_first")),
                ]
            )
        best = Best()
        met = False
        ended_by = "iterations"
        turn = 0
        try:
            for it in range(1, opts.max_iterations + 1):
                for s, convo in enumerate(streams):
                    turn += 1
                    episode.turn = turn
                    where = {"stream": s, "iteration": it}
                    prompt, imp, raw = await ask_attacker(
                        episode, ctx.attacker, convo, attacker_params(opts), turn=turn, **where
                    )
                    sent = deliver(episode, prompt, turn)
                    episode.record(
                        "attacker_turn",
                        "attacker",
                        turn=turn,
                        prompt=sent,
                        improvement=imp,
                        **({"written": prompt} if sent != prompt else {}),
                        **where,
                    )
                    msgs = single_turn(episode, sent)
                    res = await ctx.target.generate(msgs, ctx.params)
                    msgs.append(Message("assistant", res.text))
                    await ctx.score(res.text, turn=turn)
                    rating = await judge_turn(
                        episode,
                        ctx,
                        opts,
                        goal=goal,
                        prompt=prompt,
                        answer=res.text,
                        turn=turn,
                        **where,
                    )
                    if best.offer(turn, rating.score, res.text, target_queries(episode), msgs):
                        episode.output = res.text
                        episode.messages[:] = msgs
                        episode.finish_reason = res.finish_reason
                    convo.append(Message("assistant", raw))
                    convo.append(
                        Message(
                            "user",
                            text(
                                a.lang,
                                "pair_feedback",
                                prompt=prompt,
                                answer=clip(res.text, ANSWER_CHARS),
                                score=rating.score if rating.score is not None else "?",
                            ),
                        )
                    )
                    episode.state.update(iteration=it, stream=s, turn=turn)
                    await ctx.checkpoint()
                    if rating.met(opts.success_threshold):
                        met, ended_by = True, "goal"
                        break
                if met:
                    break
        except BudgetExceeded as b:
            finish(episode, best, f"budget:{b.what}", met)
            raise
        finish(episode, best, ended_by, met)
