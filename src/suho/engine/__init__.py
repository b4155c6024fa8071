"""The engine: plans attempts, executes them async with bounded concurrency, resumes exactly once."""

from suho.engine._config import RunConfig
from suho.engine._execute import Counters, ExecutionResult, Executor, ProgressSink
from suho.engine._limits import RateLimiter, RetryPolicy
from suho.engine._plan import (
    PlanStats,
    attempt_id,
    not_applicable_counts,
    plan_attempts,
    sample_probes,
    select_probes,
)
from suho.engine._service import (
    RunSummary,
    build_detectors,
    build_target,
    new_run_id,
    resume_run,
    start_run,
)

__all__ = [
    "Counters",
    "ExecutionResult",
    "Executor",
    "PlanStats",
    "ProgressSink",
    "RateLimiter",
    "RetryPolicy",
    "RunConfig",
    "RunSummary",
    "attempt_id",
    "build_detectors",
    "build_target",
    "new_run_id",
    "not_applicable_counts",
    "plan_attempts",
    "resume_run",
    "sample_probes",
    "select_probes",
    "start_run",
]
