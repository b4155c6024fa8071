"""Rate limits per model role (issue 19): ``--rps`` limits the target, ``--attacker-rps`` the
attacker and ``--judge-rps`` the judge, each with its own limiter, stored with the run and
restored by resume.

The timing tests run on an event loop with a virtual clock (``VirtualClockLoop``): time moves
only when every task waits on a timer, so a limiter's spacing is measured exactly, however
loaded the machine is."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import selectors
from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from attacks_testkit import ScriptedTarget
from conftest import run_cli
from suho.attacks import get_attack
from suho.detectors import get_detector
from suho.engine import RunConfig, resume_run, start_run
from suho.engine import _service as service
from suho.engine._context import EngineContext, RoleModel
from suho.engine._limits import RateLimiter, RetryPolicy
from suho.episode import Attempt, Budget, Episode
from suho.errors import SuhoInputError
from suho.probes import Probe
from suho.store import Store
from suho.targets import GenParams, Message

T = TypeVar("T")


class _VirtualSelector:
    """A selector that, when nothing is ready, moves its loop's clock to the next timer instead
    of sleeping; it still waits for real I/O (a worker thread's wake-up) when no timer is set."""

    def __init__(self, loop_now: Callable[[float], None]) -> None:
        self._real = selectors.DefaultSelector()
        self._advance = loop_now

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            return self._real.select(None)
        # A worker thread may be about to finish: give it a moment of real time first.
        ready = self._real.select(min(timeout, 0.002))
        if not ready:
            self._advance(timeout)
        return ready

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_VirtualSelector(self._advance))  # type: ignore[arg-type]

    def _advance(self, seconds: float) -> None:
        self.now += seconds

    def time(self) -> float:
        return self.now


def run_virtual(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(coro)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[float]]:
    """The loop time of every request each scripted model gets, by model name."""
    seen: dict[str, list[float]] = defaultdict(list)
    chat = ScriptedTarget.chat

    async def timed(self: ScriptedTarget, messages: Sequence[Message], params: GenParams) -> Any:
        seen[self.model].append(asyncio.get_running_loop().time())
        return await chat(self, messages, params)

    monkeypatch.setattr(ScriptedTarget, "chat", timed)
    return seen


def _cfg(**kw: Any) -> RunConfig:
    base: dict[str, Any] = {
        "target": "atk:never",
        "attacks": ["crescendo"],
        "attack_options": {"crescendo": {"max_turns": 3}},
        "attacker": "atk:attacker",
        "judge_model": "atk:judge",
        "rps": 5.0,
        "attacker_rps": 20.0,
        "judge_rps": 10.0,
        "concurrency": 3,
        "timeout": 5.0,
        "backoff_base": 0.0,
        "backoff_cap": 0.0,
    }
    return RunConfig(**{**base, **kw})


def _gaps(times: list[float]) -> list[float]:
    ts = sorted(times)
    return [b - a for a, b in itertools.pairwise(ts)]


def _assert_spaced(times: list[float], rps: float) -> None:
    assert len(times) >= 2
    assert min(_gaps(times)) >= 1 / rps - 1e-9, (rps, sorted(times))


# -- the roles, as the engine builds them --------------------------------------------------------


def test_each_role_gets_its_own_limiter_from_the_config(kit: dict[str, str]) -> None:
    roles = service.build_roles(_cfg())
    assert roles["attacker"].limiter.interval == pytest.approx(1 / 20)
    assert roles["judge"].limiter.interval == pytest.approx(1 / 10)
    assert roles["attacker"].limiter is not roles["judge"].limiter
    # No --attacker-rps / --judge-rps: those roles are not limited (as --rps is not by default).
    free = service.build_roles(_cfg(attacker_rps=None, judge_rps=None))
    assert free["attacker"].limiter.interval == 0 and free["judge"].limiter.interval == 0


def test_conversations_are_limited_per_role_not_together(
    kit: dict[str, str], calls: dict[str, list[float]]
) -> None:
    """Three crescendo conversations at once, through the engine's roles: each role's requests
    are at least 1/rps apart, and the roles do not wait for one another (the first attacker,
    target and judge requests go out at the same instant)."""
    cfg = _cfg()
    policy = RetryPolicy(0, 0.0, 0.0)

    async def go() -> None:
        roles = service.build_roles(cfg)
        target = ScriptedTarget("atk:never")
        roles["target"] = RoleModel(
            "target", "atk:never", lambda: target, RateLimiter(cfg.rps), policy, 5.0, target
        )
        attack = get_attack("crescendo")

        async def one(i: int) -> None:
            prompt = f"explain the harmful thing {i}"
            attempt = Attempt(
                id=f"a{i}",
                prompt=prompt,
                original_prompt=prompt,
                lang="en",
                category="cyber",
                options={"max_turns": 3},
            )
            episode = Episode(attempt, budget=Budget())
            ctx = EngineContext(
                episode,
                tools=None,
                params=GenParams(),
                options=attempt.options,
                detectors=[get_detector("refusal")],
                rng=random.Random(i),
                models=roles,
            )
            await attack.run(episode, ctx)

        await asyncio.gather(*(one(i) for i in range(3)))

    run_virtual(go())
    # 3 conversations x 3 turns: one request per role per turn.
    assert [len(calls[m]) for m in ("attacker", "never", "judge")] == [9, 9, 9]
    _assert_spaced(calls["attacker"], 20.0)
    _assert_spaced(calls["never"], 5.0)
    _assert_spaced(calls["judge"], 10.0)
    # Separate limiters: the first request of each role at t=0, which one limiter shared by the
    # three roles could not allow; and the attacker is not held to the target's 0.2 s.
    assert min(calls["attacker"]) == min(calls["never"]) == min(calls["judge"]) == 0.0
    assert min(_gaps(calls["attacker"])) < 1 / 5.0
    # The slowest role sets the pace: 9 target requests at 5/s take at least 1.6 s.
    assert max(calls["never"]) >= 8 / 5.0 - 1e-9


def test_a_scan_limits_each_role_and_resume_restores_the_limits(
    kit: dict[str, str],
    calls: dict[str, list[float]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole engine (store, plan, workers): each role spaced by its own limit; a stopped
    run resumed gets the same limits back from the stored config, or the ones resume gives."""
    built: list[dict[str, RoleModel]] = []
    real_build = service.build_roles

    def spy(cfg: RunConfig) -> dict[str, RoleModel]:
        roles = real_build(cfg)
        built.append(roles)
        return roles

    monkeypatch.setattr(service, "build_roles", spy)
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    probes = [
        Probe(id=f"p{i}", prompt=f"explain the harmful thing {i}", lang="en", category="cyber")
        for i in range(6)
    ]

    async def stopped_after_two() -> Any:
        stop = asyncio.Event()

        class Sink:
            def update(self, c: Any) -> None:
                if c.done >= 2:
                    stop.set()

        return await start_run(store, _cfg(), probes, progress=Sink(), stop=stop)

    s1 = run_virtual(stopped_after_two())
    assert s1.status == "interrupted" and 0 < s1.totals.pending < 6
    stored = store.get_run(s1.run_id)["config"]
    assert (stored["rps"], stored["attacker_rps"], stored["judge_rps"]) == (5.0, 20.0, 10.0)
    _assert_spaced(calls["attacker"], 20.0)
    _assert_spaced(calls["never"], 5.0)
    _assert_spaced(calls["judge"], 10.0)
    # Resume: the limits come back from the stored config ...
    calls.clear()
    s2 = run_virtual(resume_run(store, s1.run_id))
    assert s2.status == "done" and s2.totals.pending == 0
    roles = built[-1]
    assert roles["attacker"].limiter.interval == pytest.approx(1 / 20)
    assert roles["judge"].limiter.interval == pytest.approx(1 / 10)
    if len(calls["attacker"]) >= 2:
        _assert_spaced(calls["attacker"], 20.0)
        _assert_spaced(calls["judge"], 10.0)
    # ... and a resume may change them (how fast, never what is sent).
    store.reset_errors(s1.run_id)
    run_virtual(resume_run(store, s1.run_id, overrides={"attacker_rps": 2.0, "judge_rps": 4.0}))
    roles = built[-1]
    assert roles["attacker"].limiter.interval == pytest.approx(1 / 2)
    assert roles["judge"].limiter.interval == pytest.approx(1 / 4)


def test_the_judge_detector_shares_the_judge_roles_limiter(
    kit: dict[str, str], calls: dict[str, list[float]]
) -> None:
    """``--judge SPEC`` makes the judge detector and the attacks' judge role one model: its
    requests from both are spaced by ``--judge-rps`` together."""
    from suho.detectors import DetectInput

    cfg = _cfg(
        detectors=["refusal", "judge"],
        detector_options={"judge": {"target": "atk:judge", "mode": "always"}},
        judge_model=None,
    )
    detectors = service.build_detectors(cfg)
    roles = service.build_roles(cfg)
    service.share_judge_limiter(detectors, roles)
    judge = next(d for d in detectors if d.name == "judge")

    async def go() -> None:
        items = [DetectInput(text=f"Here is an answer {i}.", prompt="q") for i in range(3)]
        await asyncio.gather(*(judge.detect(it) for it in items))
        # The attack's judge role, on the same limiter, waits behind the detector's requests.
        await roles["judge"].send(
            [Message(role="user", content="The system's answer: x")], GenParams(), random.Random()
        )

    run_virtual(go())
    assert len(calls["judge"]) >= 4
    _assert_spaced(calls["judge"], 10.0)


def test_role_limits_need_their_roles() -> None:
    with pytest.raises(ValueError, match="attacker_rps"):
        RunConfig(attacker_rps=3.0)
    with pytest.raises(ValueError, match="judge_rps"):
        RunConfig(judge_rps=3.0)
    # Old runs' stored config (and its hash) is unchanged when the limits are not set.
    stored = _cfg(attacker_rps=None, judge_rps=None).stored()
    assert "attacker_rps" not in stored and "judge_rps" not in stored


def test_resume_refuses_a_limit_for_a_role_the_run_lacks(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    cfg = RunConfig(target="openai:fake", base_url="http://127.0.0.1:9/v1")
    store.create_run(
        {
            "id": "r1",
            "suho_version": "0",
            "target": {},
            "suite": None,
            "config": cfg.stored(),
            "config_hash": cfg.hash(),
            "seed": 0,
            "status": "done",
        }
    )
    for key in ("attacker_rps", "judge_rps"):
        with pytest.raises(SuhoInputError, match="has no"):
            asyncio.run(resume_run(store, "r1", overrides={key: 1.0}))


# -- the command line ----------------------------------------------------------------------------


def _probes_file(tmp_path: Path) -> Path:
    path = tmp_path / "p.jsonl"
    rows = [
        {"id": "e1", "intent_id": "i1", "lang": "en", "prompt": "explain the harmful thing one"},
        {"id": "k1", "intent_id": "i1", "lang": "ko", "prompt": "해로운 일 하나를 설명해 주세요"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_scan_and_resume_take_the_role_limits(kit: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "reports"
    db = str(tmp_path / "s.db")
    r = run_cli(
        "scan", "--target", "atk:givein-2", "--probes", str(_probes_file(tmp_path)),
        "--attacks", "crescendo", "--attacker", "atk:attacker", "--judge", "atk:judge",
        "--attacker-rps", "40", "--judge-rps", "30", "--rps", "50",
        "--db", db, "--out", str(out), "-q",
        env=kit,
    )  # fmt: skip
    assert r.returncode in (0, 1), r.stderr
    (path,) = out.glob("*/report.json")
    report = json.loads(path.read_text("utf-8"))
    config = report["config"]
    assert (config["rps"], config["attacker_rps"], config["judge_rps"]) == (50.0, 40.0, 30.0)
    assert all(a["status"] == "done" for a in report["attempts"])
    r = run_cli(
        "resume", "latest", "--attacker-rps", "5", "--judge-rps", "5", "--db", db,
        "--out", str(out), "-q", env=kit,
    )  # fmt: skip
    assert r.returncode in (0, 1), r.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--attacker-rps", "2"), "--attacker-rps needs an attacker model"),
        (("--judge-rps", "2"), "--judge-rps needs a judge model"),
    ],
)
def test_a_role_limit_without_the_role_is_a_one_line_input_error(
    tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    r = run_cli(
        "scan", "--target", "openai:fake", "--base-url", "http://127.0.0.1:9/v1",
        "--probes", str(_probes_file(tmp_path)), "--db", str(tmp_path / "s.db"),
        "--out", str(tmp_path / "o"), "-q", *extra,
    )  # fmt: skip
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
