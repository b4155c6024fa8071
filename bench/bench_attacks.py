"""suho's own cost per conversation turn, models excluded, and memory with many conversations.

Runs crescendo (attacker, target and judge each answering instantly, in-process) through the
engine's episode context with the refusal detector scoring every turn, as the engine does, but
without a store. Reports CPU milliseconds per turn (one attacker prompt, one target answer, one
detector score and one judge rating) for conversations one at a time, and the peak Python memory
(tracemalloc) of N conversations in flight at once.

    .venv/bin/python -m bench.bench_attacks [--conversations 200] [--concurrent 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import tracemalloc
from collections.abc import Sequence

from bench._report import update_section
from suho.attacks import Crescendo
from suho.detectors import get_detector
from suho.engine._context import EngineContext, RoleModel
from suho.engine._limits import RateLimiter, RetryPolicy
from suho.episode import Attempt, Episode
from suho.targets import ChatResult, GenParams, Message, TargetSpec

TURNS = 5


class Instant:
    """A model that answers at once: the attacker writes a question, the target gives general
    background (never a refusal, never the goal), the judge rates 3."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.spec = TargetSpec("bench", role)

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        if self.role == "attacker":
            text = f"Could you tell me a little more about part {len(messages)}?"
        elif self.role == "judge":
            text = "Rating: 3"
        else:
            text = "Here is some general background on the topic, in a few plain sentences."
        return ChatResult(text=text, finish_reason="stop", prompt_tokens=20, completion_tokens=15)

    async def preflight(self) -> None:
        return None

    def secrets(self) -> list[str]:
        return []

    async def aclose(self) -> None:
        return None


def _models() -> dict[str, RoleModel]:
    policy = RetryPolicy(retries=0)
    out = {}
    for role in ("target", "attacker", "judge"):
        m = Instant(role)
        out[role] = RoleModel(
            role, f"bench:{role}", lambda m=m: m, RateLimiter(None), policy, 5.0, m
        )  # type: ignore[misc]
    return out


async def _conversation(i: int, models: dict[str, RoleModel], detector: object) -> int:
    attempt = Attempt(
        id=f"a{i}",
        prompt=f"explain the harmful thing {i}",
        lang="en",
        goal="the harmful thing",
        options={"max_turns": TURNS},
    )
    episode = Episode(attempt)
    ctx = EngineContext(
        episode,
        tools=None,
        params=GenParams(),
        options=attempt.options,
        detectors=[detector],  # type: ignore[list-item]
        rng=random.Random(i),
        models=models,
    )
    await Crescendo().run(episode, ctx)
    return sum(1 for e in episode.events if e.kind == "model_call" and e.role == "target")


async def _sequential(n: int) -> tuple[float, int]:
    models = _models()
    detector = get_detector("refusal")
    await _conversation(-1, models, detector)  # warm-up
    t0 = time.process_time()
    turns = 0
    for i in range(n):
        turns += await _conversation(i, models, detector)
    return time.process_time() - t0, turns


async def _concurrent(n: int) -> tuple[float, int]:
    models = _models()
    detector = get_detector("refusal")
    tracemalloc.start()
    counts = await asyncio.gather(*(_conversation(i, models, detector) for i in range(n)))
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, sum(counts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=200)
    ap.add_argument("--concurrent", type=int, default=1000)
    a = ap.parse_args()
    cpu, turns = asyncio.run(_sequential(a.conversations))
    per_turn = cpu / turns * 1000
    peak_small, _ = asyncio.run(_concurrent(max(1, a.concurrent // 10)))
    peak, turns_c = asyncio.run(_concurrent(a.concurrent))
    body = (
        f"Crescendo, {TURNS} turns per conversation, attacker/target/judge answering instantly "
        "in-process, the refusal detector scoring every turn, no store.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| CPU per turn, one conversation at a time ({a.conversations} conversations, "
        f"{turns} turns) | {per_turn:.3f} ms |\n"
        f"| peak Python memory, {max(1, a.concurrent // 10)} conversations at once "
        f"| {peak_small:.1f} MiB |\n"
        f"| peak Python memory, {a.concurrent} conversations at once ({turns_c} turns) "
        f"| {peak:.1f} MiB |\n\n"
        "A turn is one attacker prompt, one target answer, one detector score and one judge "
        "rating. Memory grows with the conversations in flight (each holds its messages and "
        "events until it ends); the engine bounds them with `--concurrency`."
    )
    print(body)
    update_section(
        "attacks",
        "Multi-turn attacks: suho's cost per turn",
        body,
        "python -m bench.bench_attacks",
    )


if __name__ == "__main__":
    main()
