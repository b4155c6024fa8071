"""Starting and resuming runs: the lifecycle around the Executor.

``start_run`` checks the target before anything is stored, plans the attempts and executes them,
sending the first while a ``PlanWriter`` thread opens the store and writes the plan; ``resume_run`` rebuilds the same target and detectors from the stored config and
executes only what is still pending. Both hold the run's lease while they work, so a run is
executed by one process at a time, and both finish by recomputing the run's findings.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from suho import __version__, _registry
from suho.attacks import ROLES, attack_needs, get_attack
from suho.detectors import Detector, get_detector
from suho.engine._config import RunConfig
from suho.engine._context import RoleModel
from suho.engine._execute import Counters, ExecutionResult, Executor, ProgressSink
from suho.engine._limits import RateLimiter, RetryPolicy
from suho.engine._plan import (
    PlanStats,
    pending_rows,
    plan_attempts,
    resolve_transforms,
    validate_attacks,
)
from suho.engine._planwriter import PlanWriter, begin_execution
from suho.episode import Attempt, Capabilities, EnvironmentProvider
from suho.errors import SuhoInputError
from suho.probes import Probe
from suho.stats._findings import compute_findings
from suho.store import Totals, lease_owner_id
from suho.targets import Target, TargetOptions, create_target

if TYPE_CHECKING:
    from suho.store import Store


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    status: str  # done / interrupted / aborted
    totals: Totals
    reason: str | None
    error_kinds: dict[str, int]
    seconds: float


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def build_target(cfg: RunConfig, *, overrides: dict[str, Any] | None = None) -> Target:
    opts = TargetOptions(
        base_url=cfg.base_url,
        api_key_env=cfg.api_key_env,
        timeout=cfg.timeout,
        max_connections=max(cfg.concurrency, 1),
        **(overrides or {}),
    )
    return create_target(cfg.target, opts)


def target_capabilities(target: Target) -> Capabilities:
    """What ``target`` declares it can do (a target that declares nothing: plain chat)."""
    caps = getattr(target, "capabilities", None)
    return caps() if callable(caps) else Capabilities()


def role_specs(cfg: RunConfig) -> dict[str, dict[str, Any]]:
    """The run's other model roles and where they come from (``--attacker``, ``--judge``)."""
    out: dict[str, dict[str, Any]] = {}
    if cfg.attacker:
        out["attacker"] = {
            "target": cfg.attacker,
            "base_url": cfg.attacker_base_url,
            "api_key_env": cfg.attacker_api_key_env,
        }
    judge = cfg.judge_role()
    if judge is not None:
        out["judge"] = judge
    return out


def build_roles(cfg: RunConfig) -> dict[str, RoleModel]:
    """One ``RoleModel`` per configured role, each with its own rate limiter; each model is
    opened on first use, so a role no attack calls costs nothing."""
    policy = RetryPolicy(cfg.retries, cfg.backoff_base, cfg.backoff_cap, cfg.max_retry_after)
    roles: dict[str, RoleModel] = {}
    for role, spec in role_specs(cfg).items():
        opts = TargetOptions(
            base_url=spec.get("base_url"),
            api_key_env=spec.get("api_key_env"),
            timeout=cfg.timeout,
            max_connections=max(cfg.concurrency, 1),
        )
        name = str(spec["target"])

        def open_target(name: str = name, opts: TargetOptions = opts) -> Target:
            return create_target(name, opts)

        rps = cfg.attacker_rps if role == "attacker" else cfg.judge_rps
        roles[role] = RoleModel(role, name, open_target, RateLimiter(rps), policy, cfg.timeout)
    return roles


def share_judge_limiter(detectors: Sequence[Detector], roles: Mapping[str, RoleModel]) -> None:
    """Send the judge detector's calls through the judge role's limiter: they go to the same
    model, so ``--judge-rps`` bounds both together (a detector without ``use_limiter``, or a run
    without a judge role, is left alone)."""
    judge = roles.get("judge")
    if judge is None:
        return
    for d in detectors:
        use = getattr(d, "use_limiter", None)
        if callable(use):
            use(judge.limiter.acquire)


def check_needs(cfg: RunConfig, target: Target) -> None:
    """Refuse a run whose attacks need a capability the target lacks or a role the run has
    not configured (exit 2 at preflight, before anything is sent)."""
    caps = target_capabilities(target)
    roles = set(role_specs(cfg))
    problems: list[str] = []
    for name in cfg.attacks:
        needs = attack_needs(get_attack(name))
        missing_caps = caps.missing(needs - ROLES)
        if missing_caps:
            problems.append(
                f"attack {name!r} needs {', '.join(missing_caps)}, which target "
                f"{cfg.target} does not support"
            )
        for role in sorted((needs & ROLES) - roles):
            flag = "--attacker SPEC" if role == "attacker" else "--judge SPEC"
            article = "an" if role[0] in "aeiou" else "a"
            problems.append(f"attack {name!r} needs {article} {role} model ({flag})")
        unknown = needs - ROLES - {"tools", "json_mode", "system_prompt"}
        if unknown:
            problems.append(f"attack {name!r} needs {', '.join(sorted(unknown))}, unknown to suho")
    if problems:
        raise SuhoInputError("; ".join(problems))


async def preflight_roles(cfg: RunConfig, roles: dict[str, RoleModel]) -> None:
    """Check the roles the run's attacks need are reachable, before anything is sent."""
    needed: set[str] = set()
    for name in cfg.attacks:
        needed |= attack_needs(get_attack(name)) & ROLES
    for role in sorted(needed):
        if role in roles:
            try:
                await roles[role].target.preflight()
            except SuhoInputError as e:  # say which role's model is the problem
                raise SuhoInputError(f"the {role} model ({roles[role].spec}): {e}") from e


def build_environments(cfg: RunConfig) -> EnvironmentProvider | None:
    """The run's environment provider: the ``suho.environments`` plugin named in the config,
    called with the config to build the provider."""
    if not cfg.environment:
        return None
    factory = _registry.load("suho.environments", cfg.environment)
    provider: EnvironmentProvider = factory(cfg)
    return provider


async def close_roles(roles: dict[str, RoleModel]) -> None:
    for r in roles.values():
        await r.aclose()


def build_detectors(cfg: RunConfig) -> list[Detector]:
    if not cfg.detectors:
        raise SuhoInputError("at least one detector is needed (--detectors)")
    return [get_detector(name, **cfg.detector_options.get(name, {})) for name in cfg.detectors]


async def start_run(
    store: Store | Callable[[], Store],
    cfg: RunConfig,
    probes: Iterable[Probe],
    *,
    progress: ProgressSink | None = None,
    stop: asyncio.Event | None = None,
    on_planned: Callable[[str], None] | None = None,
    plan_stats: PlanStats | None = None,
    environments: EnvironmentProvider | None = None,
    plan: Callable[[str], Iterable[Attempt]] | None = None,
) -> RunSummary:
    """Plan and execute a new run. Bad input raises ``SuhoInputError`` before anything is sent.

    ``store`` is an open store, or a function that opens one: it is then called in a background
    thread, and the first requests go out while the store loads (SQLAlchemy's import alone is a
    quarter of a second) and the plan is written. The whole plan is generated, and so checked,
    before anything is sent; no answer is recorded before the plan is stored. ``plan`` replaces
    the probe plan with attempts planned elsewhere (an agent scan's episodes), given the run id.
    """
    resolve_transforms(cfg)  # local checks first, before the target is contacted
    validate_attacks(cfg)
    detectors = build_detectors(cfg)
    target = build_target(cfg)
    roles: dict[str, RoleModel] = {}
    try:
        check_needs(cfg, target)
        environments = environments or build_environments(cfg)
        roles = build_roles(cfg)
        share_judge_limiter(detectors, roles)
        await target.preflight()
        await preflight_roles(cfg, roles)
        run_id = new_run_id()
        owner = lease_owner_id()
        writer = PlanWriter(
            store,
            {
                "id": run_id,
                "suho_version": __version__,
                "target": target.describe(),
                "suite": cfg.suite
                or (f"file:{cfg.probes_file}" if cfg.probes_file else None)
                or (f"dataset:{cfg.dataset}" if cfg.dataset else None),
                "config": cfg.stored(),
                "config_hash": cfg.hash(),
                "seed": cfg.seed,
                "status": "planning",
            },
            owner,
        )
        try:
            rows = (
                pending_rows(plan(run_id))
                if plan is not None
                else plan_attempts(run_id, probes, cfg, plan_stats)
            )
            head = await asyncio.to_thread(writer.feed, rows)
        except BaseException:
            writer.abort()
            with contextlib.suppress(BaseException):
                await asyncio.wrap_future(writer.future)
            raise
        return await _execute(
            asyncio.wrap_future(writer.future),
            run_id,
            cfg,
            target,
            detectors,
            owner=owner,
            head=head,
            on_sending=writer.start,
            progress=progress,
            stop=stop,
            on_ready=on_planned,
            environments=environments,
            roles=roles,
        )
    finally:
        await target.aclose()
        await close_roles(roles)
        await close_detectors(detectors)


async def resume_run(
    store: Store,
    run_id: str,
    *,
    retry_errors: bool = False,
    overrides: dict[str, Any] | None = None,
    progress: ProgressSink | None = None,
    stop: asyncio.Event | None = None,
    environments: EnvironmentProvider | None = None,
) -> RunSummary:
    """Finish the pending attempts of ``run_id``; a done attempt is never sent again, and an
    episode that was checkpointed continues from its last checkpoint (see ``_context``).

    ``overrides`` may change how the run executes (concurrency, timeout, retries, rps,
    attacker_rps, judge_rps, base_url, judge_base_url) but never what it sends; what is not
    overridden (the role rate limits included) comes from the stored config. A URL stored without its credentials or query
    string (``RunConfig.redacted``) must be given again.
    """
    run = store.get_run(run_id)
    run_id = run["id"]
    cfg = RunConfig.model_validate(run["config"])
    allowed = {
        "concurrency",
        "timeout",
        "retries",
        "rps",
        "attacker_rps",
        "judge_rps",
        "base_url",
        "judge_base_url",
    }
    extra = set(overrides or {}) - allowed
    if extra:
        raise SuhoInputError(f"cannot override {sorted(extra)} on resume")
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    t = store.totals(run_id)
    cfg = _with_urls_again(
        cfg,
        run_id,
        given.pop("judge_base_url", None),
        has_base_url="base_url" in given,
        needed=bool(t.pending or (retry_errors and t.errors)),
    )
    for key, flag, has in (
        ("attacker_rps", "--attacker-rps", bool(cfg.attacker)),
        ("judge_rps", "--judge-rps", cfg.judge_role() is not None),
    ):
        if key in given and not has:
            raise SuhoInputError(f"run {run_id} has no {key.split('_')[0]} model ({flag})")
    if given:
        cfg = cfg.model_copy(update=given)
    if run["status"] == "planning":
        raise SuhoInputError(
            f"run {run_id} was stopped while its plan was being written, so its attempts are "
            "incomplete and no answer of it was recorded; start a new scan instead"
        )
    if retry_errors:
        store.reset_errors(run_id)
    target = build_target(cfg)
    detectors: list[Detector] = []
    roles: dict[str, RoleModel] = {}
    try:
        detectors = build_detectors(cfg)
        check_needs(cfg, target)
        environments = environments or build_environments(cfg)
        roles = build_roles(cfg)
        share_judge_limiter(detectors, roles)
        if store.totals(run_id).pending:
            await target.preflight()
            await preflight_roles(cfg, roles)
        owner = lease_owner_id()
        ready: asyncio.Future[tuple[Store, Totals]] = asyncio.get_running_loop().create_future()
        ready.set_result((store, begin_execution(store, run_id, owner)))
        return await _execute(
            ready,
            run_id,
            cfg,
            target,
            detectors,
            owner=owner,
            progress=progress,
            stop=stop,
            environments=environments,
            roles=roles,
            checkpointed=store.checkpointed_ids(run_id),
        )
    finally:
        await target.aclose()
        await close_roles(roles)
        await close_detectors(detectors)


def _with_urls_again(
    cfg: RunConfig, run_id: str, judge_base_url: str | None, *, has_base_url: bool, needed: bool
) -> RunConfig:
    """The stored config with the judge's URL given again; an input error when a URL that lost
    its credentials or query string when stored is not given again (it would not work) and
    something is still to be sent (``needed``)."""
    redacted = set(cfg.redacted)
    if judge_base_url is not None:
        if "judge" not in cfg.detector_options:
            raise SuhoInputError(f"run {run_id} has no judge (--judge-base-url)")
        options = {**cfg.detector_options}
        options["judge"] = {**options["judge"], "base_url": judge_base_url}
        cfg = cfg.model_copy(update={"detector_options": options})
        redacted.discard("detector_options.judge.base_url")
    if has_base_url:
        redacted.discard("base_url")
    missing = sorted(redacted)
    if missing and needed:
        flags = ", ".join(
            "--base-url" if m == "base_url" else f"--{m.split('.')[1]}-base-url" for m in missing
        )
        raise SuhoInputError(
            f"run {run_id} was sent to a URL with credentials or a query string, which are never "
            f"stored: give it again with {flags} to resume"
        )
    return cfg


async def close_detectors(detectors: list[Detector]) -> None:
    """Close what detectors hold (a judge's own target), for those that have ``aclose``."""
    for d in detectors:
        close = getattr(d, "aclose", None)
        if close is not None:
            await close()


async def _execute(
    ready: asyncio.Future[tuple[Store, Totals]],
    run_id: str,
    cfg: RunConfig,
    target: Target,
    detectors: list[Detector],
    *,
    owner: str,
    head: Sequence[dict[str, Any]] = (),
    on_sending: Callable[[], None] | None = None,
    progress: ProgressSink | None,
    stop: asyncio.Event | None,
    on_ready: Callable[[str], None] | None = None,
    environments: EnvironmentProvider | None = None,
    roles: dict[str, RoleModel] | None = None,
    checkpointed: frozenset[str] = frozenset(),
) -> RunSummary:
    """Execute the run once ``ready`` gives its store (leased, running) and its totals; the
    ``head`` rows of a new plan are sent before that."""
    t0 = time.perf_counter()
    counters = Counters()

    async def store_ready() -> Store:
        store, t = await ready
        counters.total = t.attempts
        counters.done, counters.errors, counters.hits = t.done, t.errors, t.hits
        counters.judged, counters.over_refusals, counters.benign = (
            t.judged,
            t.over_refusals,
            t.benign,
        )
        counters.done_at_start = t.done + t.errors
        if on_ready is not None:
            on_ready(run_id)
        if progress is not None:
            progress.update(counters)
        return store

    executor = Executor(
        asyncio.ensure_future(store_ready()),
        run_id,
        cfg,
        target,
        detectors,
        counters=counters,
        head=head,
        on_sending=on_sending,
        progress=progress,
        stop=stop,
        lease_owner=owner,
        environments=environments,
        roles=roles,
        checkpointed=checkpointed,
    )
    status = "failed"
    result: ExecutionResult | None = None
    try:
        result = await executor.run()
        status = result.status
        store = await asyncio.shield(executor.ready)
        store.replace_findings(run_id, compute_findings(store, run_id))
    finally:
        # The lease is released whatever happened, once the store is there to release it in. A
        # store that never opened holds no run and no lease; its error is the one that propagates.
        try:
            opened: Store | None = (await asyncio.shield(ready))[0]
        except Exception:
            opened = None
        if opened is not None:
            if result is not None and result.reason:
                opened.update_run(run_id, note=result.reason)
            opened.release_lease(run_id, owner, status)
    assert result is not None
    totals = store.totals(run_id)
    return RunSummary(
        run_id=run_id,
        status=status,
        totals=totals,
        reason=result.reason,
        error_kinds=result.error_kinds,
        seconds=time.perf_counter() - t0,
    )
