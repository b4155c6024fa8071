"""Korean escalation (ours): conversations that switch language mid-way, shift the Korean speech
register, or break the request into innocuous Korean sub-questions."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from suho.detectors import decide
from suho.episode import BudgetExceeded
from suho.targets import Message

from ._common import (
    AttackOptions,
    Best,
    ask_attacker,
    attacker_params,
    finish,
    goal_of,
    judge_turn,
    lang_of,
    parse_options,
    target_queries,
    text,
    topic_of,
)

if TYPE_CHECKING:
    from suho.episode import Episode, EpisodeContext

Mode = Literal["switch", "register", "decompose"]
MODES: tuple[Mode, ...] = ("switch", "register", "decompose")
_NUMBERED = re.compile(r"^\s*(?:\d+|[一二三四五六七八九十]+)\s*[.)．、:]\s*(.+?)\s*$")


class KoEscalationOptions(AttackOptions):
    mode: Literal["switch", "register", "decompose", "all"] = "all"
    max_turns: int = Field(default=4, ge=1, le=20)  # sub-questions of ``decompose`` and a cap
    use_attacker: bool = True  # translate / decompose with the attacker model when there is one


class KoEscalation:
    """Korean escalation, three scripted conversations (``mode``: ``switch``, ``register``,
    ``decompose``, or ``all`` to try them one after another until one works):

    - ``switch``: two harmless turns in the probe's language about its topic, then the request in
      the other language (English to Korean or the reverse), asking the target to carry on in it;
      with an attacker model the request is translated, without one it is quoted as it is.
    - ``register``: the same request in 존댓말 (as written), then 반말, then 하십시오체 officialese
      (the ``banmal`` and ``official`` transforms; English probes get their English frames).
    - ``decompose``: innocuous Korean sub-questions that lead up to the request; written by the
      attacker model when there is one, else a fixed script (background, usual steps, then the
      request itself).

    Each turn is scored by the run's detectors; with a judge model each turn is also rated 1-10
    and a rating at or above ``success_threshold`` ends the attack; without one, the first turn the
    detectors count as a success ends it. The best turn's answer is the output. Needs no attacker
    or judge, and uses them when the run has them.

    Misses: the scripts are fixed, so a target tuned against these exact patterns resists them;
    without an attacker the ``switch`` mode only quotes the request, it does not translate it;
    the register shift applies to the request's endings only (see the transforms' limits).
    """

    name: ClassVar[str] = "ko-escalation"
    needs: ClassVar[frozenset[str]] = frozenset()
    turns_option: ClassVar[str] = "max_turns"
    options_model: ClassVar[type[AttackOptions]] = KoEscalationOptions

    async def run(self, episode: Episode, ctx: EpisodeContext) -> None:
        opts = parse_options(KoEscalationOptions, self.name, ctx.options)
        modes: tuple[Mode, ...] = MODES if opts.mode == "all" else (opts.mode,)
        best = Best()
        met = False
        turn = 0
        try:
            for mode in modes:
                script = await self._script(episode, ctx, opts, mode)
                msgs = self._fresh(episode)
                for step, prompt in enumerate(script, start=1):
                    turn += 1
                    episode.turn = turn
                    where = {"mode": mode, "step": step, "branch": mode}
                    episode.record("attacker_turn", "attack", turn=turn, prompt=prompt, **where)
                    msgs.append(Message("user", prompt))
                    res = await ctx.target.generate(msgs, ctx.params)
                    msgs.append(Message("assistant", res.text))
                    verdicts = await ctx.score(res.text, turn=turn)
                    if ctx.judge is not None:
                        rating = await judge_turn(
                            episode,
                            ctx,
                            opts,
                            goal=goal_of(episode),
                            prompt=prompt,
                            answer=res.text,
                            turn=turn,
                            **where,
                        )
                        score, hit = rating.score, rating.met(opts.success_threshold)
                    else:
                        hit = decide(episode.attempt.expected, verdicts).success
                        score = 10 if hit else 1
                    if best.offer(turn, score, res.text, target_queries(episode), msgs):
                        episode.output = res.text
                        episode.finish_reason = res.finish_reason
                    episode.state.update(mode=mode, step=step, turn=turn)
                    await ctx.checkpoint()
                    if hit:
                        met = True
                        break
                if met:
                    break
        except BudgetExceeded as b:
            finish(episode, best, f"budget:{b.what}", met)
            raise
        finish(episode, best, "goal" if met else "script", met)

    @staticmethod
    def _fresh(episode: Episode) -> list[Message]:
        a = episode.attempt
        return [Message("system", a.system)] if a.system else []

    async def _script(
        self, episode: Episode, ctx: EpisodeContext, opts: KoEscalationOptions, mode: Mode
    ) -> list[str]:
        a = episode.attempt
        lang = a.lang
        request = a.prompt
        topic = topic_of(episode)
        attacker = ctx.attacker if opts.use_attacker else None
        if mode == "switch":
            if attacker is not None:
                ask = [Message("user", text(lang, "translate_user", text=request))]
                request, _imp, _raw = await ask_attacker(
                    episode, attacker, ask, attacker_params(opts), mode=mode
                )
            script = [
                text(lang, "switch_opening", topic=topic),
                text(lang, "switch_second"),
                text(lang, "switch_to_other", request=request),
            ]
        elif mode == "register":
            from suho.transforms import TransformContext, get_transform

            seed = int.from_bytes(hashlib.sha256(a.id.encode()).digest()[:4], "big")
            tctx = TransformContext(lang=lang_of(lang), seed=seed)
            script = [
                text(lang, "register_polite", request=request),
                get_transform("banmal").apply(request, tctx),
                get_transform("official").apply(request, tctx),
            ]
        else:
            script = []
            if attacker is not None:
                n = max(2, opts.max_turns)
                ask = [
                    Message("system", text(lang, "context")),
                    Message("user", text(lang, "decompose_user", goal=goal_of(episode), n=n)),
                ]
                res = await attacker.generate(ask, attacker_params(opts))
                script = numbered(res.text)
                if not script:
                    episode.record(
                        "error",
                        "attack",
                        source="attacker",
                        mode=mode,
                        error_kind="malformed",
                        detail="no numbered questions; the fixed script is used",
                    )
            if not script:
                script = [
                    text(lang, "decompose_q1", topic=topic_of(episode, "ko")),
                    text(lang, "decompose_q2"),
                    text(lang, "decompose_q3", request=request),
                ]
        return script[: opts.max_turns]


def numbered(raw: str) -> list[str]:
    """The items of a numbered list in a model's answer (``1. ...``, ``2) ...``)."""
    out = []
    for line in raw.splitlines():
        m = _NUMBERED.match(line)
        if m and m.group(1).strip():
            out.append(m.group(1).strip())
    return out
