"""TAP: tree of attacks with pruning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from suho.episode import BudgetExceeded
from suho.targets import Message, TargetError

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
    judge_params,
    judge_turn,
    parse_options,
    parse_yes_no,
    target_queries,
    text,
)
from ._pair import STRATEGIES, single_turn

if TYPE_CHECKING:
    from suho.episode import Episode, EpisodeContext


class TapOptions(AttackOptions):
    depth: int = Field(default=3, ge=1, le=20)
    branching_factor: int = Field(default=2, ge=1, le=10)
    width: int = Field(default=3, ge=1, le=50)


@dataclass(slots=True)
class Node:
    """A leaf of the tree: its id (``0.1.0``: the root's second child's first child) and the
    attacker conversation that led to it."""

    id: str
    attacker: list[Message]
    sent: str = ""  # the prompt as the target gets it (after the attempt's transform)
    score: int = 0


class Tap:
    """TAP (tree of attacks with pruning): from each leaf of the tree the attacker writes
    ``branching_factor`` variations of the prompt; the judge first prunes the variations that no
    longer ask for the goal (before any reaches the target), the rest go to the target as fresh
    single-turn conversations and are rated 1-10, and only the ``width`` best stay as leaves for
    the next level, down to ``depth`` levels. It stops at the first rating at or above
    ``success_threshold``; the best-rated candidate is the output. Each branch has an id
    (``0.1.0``) in the events.

    Misses: costs more queries than PAIR for the same depth (``width`` x ``branching_factor`` per
    level); the off-topic check is a judge's opinion, so a strict judge can prune disguised but
    valid prompts, and a lenient one lets drifted prompts through.
    """

    name: ClassVar[str] = "tap"
    needs: ClassVar[frozenset[str]] = frozenset({"attacker", "judge"})
    turns_option: ClassVar[str] = "depth"
    options_model: ClassVar[type[AttackOptions]] = TapOptions

    async def run(self, episode: Episode, ctx: EpisodeContext) -> None:
        opts = parse_options(TapOptions, self.name, ctx.options)
        assert ctx.attacker is not None and ctx.judge is not None
        a = episode.attempt
        goal = goal_of(episode)
        strategy = text(a.lang, "strategy_0")
        root = Node(
            "0",
            [
                Message("system", text(a.lang, "pair_system", goal=goal, strategy=strategy)),
                Message("user", text(a.lang, "pair_first")),
            ],
        )
        leaves = [root]
        best = Best()
        met = False
        ended_by = "depth"
        turn = 0
        pruned = 0
        try:
            for depth in range(1, opts.depth + 1):
                # 1. branch: each leaf's attacker writes its variations.
                children: list[tuple[Node, str]] = []
                for leaf in leaves:
                    for b in range(opts.branching_factor):
                        bid = f"{leaf.id}.{b}"
                        hint = text(a.lang, "tap_branch", branch=b + 1)
                        hint += " " + text(a.lang, f"strategy_{b % STRATEGIES}")
                        convo = [
                            *leaf.attacker[:-1],
                            Message("user", f"{leaf.attacker[-1].content}\n{hint}"),
                        ]
                        where: dict[str, Any] = {"branch": bid, "parent": leaf.id, "depth": depth}
                        prompt, imp, raw = await ask_attacker(
                            episode, ctx.attacker, convo, attacker_params(opts), **where
                        )
                        sent = deliver(episode, prompt, bid)
                        if sent != prompt:
                            where["written"] = prompt
                        episode.record(
                            "attacker_turn",
                            "attacker",
                            prompt=sent,
                            improvement=imp,
                            **where,
                        )
                        node = Node(bid, [*convo, Message("assistant", raw)], sent=sent)
                        children.append((node, prompt))
                # 2. prune off-topic variations before the target sees them.
                kept: list[tuple[Node, str]] = []
                for node, prompt in children:
                    on_topic = await self._on_topic(episode, ctx, opts, goal, prompt, node.id)
                    if on_topic:
                        kept.append((node, prompt))
                    else:
                        pruned += 1
                        episode.record(
                            "note",
                            "attack",
                            branch=node.id,
                            depth=depth,
                            pruned="off_topic",
                            prompt=prompt,
                        )
                # 3. query the target with what is left, rate each answer.
                for node, prompt in kept:
                    turn += 1
                    episode.turn = turn
                    where = {
                        "branch": node.id,
                        "parent": node.id.rpartition(".")[0],
                        "depth": depth,
                    }
                    msgs = single_turn(episode, node.sent)
                    res = await ctx.target.generate(msgs, ctx.params)
                    msgs.append(Message("assistant", res.text))
                    await ctx.score(res.text, turn=turn)
                    rating = await judge_turn(
                        episode, ctx, opts, goal=goal, prompt=prompt, answer=res.text, turn=turn,
                        **where,
                    )  # fmt: skip
                    node.score = rating.score or 0
                    node.attacker.append(
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
                    if best.offer(turn, rating.score, res.text, target_queries(episode), msgs):
                        episode.output = res.text
                        episode.messages[:] = msgs
                        episode.finish_reason = res.finish_reason
                    await ctx.checkpoint()
                    if rating.met(opts.success_threshold):
                        met, ended_by = True, "goal"
                        break
                if met:
                    break
                # 4. keep the ``width`` best-rated leaves (ties: the earlier branch).
                ranked = sorted((n for n, _p in kept), key=lambda n: -n.score)
                leaves = ranked[: opts.width]
                episode.state.update(depth=depth, leaves=[n.id for n in leaves], pruned=pruned)
                if not leaves:
                    ended_by = "pruned"
                    break
        except BudgetExceeded as b:
            finish(episode, best, f"budget:{b.what}", met)
            raise
        finish(episode, best, ended_by, met)

    async def _on_topic(
        self,
        episode: Episode,
        ctx: EpisodeContext,
        opts: TapOptions,
        goal: str,
        prompt: str,
        branch: str,
    ) -> bool:
        """The judge's YES/NO on whether ``prompt`` still asks for ``goal``; an unreadable
        answer keeps the branch (recorded as the judge's error)."""
        judge = ctx.judge
        assert judge is not None
        lang = episode.attempt.lang
        msgs = [
            Message("system", text(lang, "judge_system")),
            Message("user", text(lang, "ontopic_user", goal=goal, prompt=prompt)),
        ]
        try:
            res = await judge.generate(msgs, judge_params(opts))
        except TargetError as e:
            raise TargetError(e.kind, f"judge ({judge.spec}): {e.message}", status=e.status) from e
        verdict = parse_yes_no(res.text)
        if verdict is None:
            episode.record(
                "error",
                "attack",
                source="judge",
                branch=branch,
                error_kind="malformed",
                detail=f"no YES/NO in: {clip(res.text, 200)}",
            )
        episode.record("score", "judge", branch=branch, on_topic=verdict)
        return verdict is not False
