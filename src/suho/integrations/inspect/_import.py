"""An Inspect log of a suho task, read into suho's store as a new run.

The run gets one attempt per sample and epoch, with the prompt sent, the answer, the outcome and
every detector's verdict as the log's ``outcome`` score recorded them, so ``suho report``,
``compare`` and ``export`` work on it as on a scan. Inspect's own log reader reads the file
(``.eval`` or ``.json``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suho.errors import SuhoInputError

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog, EvalSample

    from suho.store import Store


def _read(path: Path) -> EvalLog:
    from inspect_ai.log import read_eval_log

    if not path.is_file():
        raise SuhoInputError("Inspect log not found", path=str(path))
    try:
        return read_eval_log(str(path))
    except Exception as e:  # Inspect raises several kinds for a file that is not a log
        raise SuhoInputError(
            f"not an Inspect log ({type(e).__name__}: {str(e)[:200]}); give a .eval or .json "
            "file from `inspect eval`",
            path=str(path),
        ) from e


def _epoch_time(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        from datetime import datetime

        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    ts = getattr(value, "timestamp", None)
    return float(ts()) if callable(ts) else None


def _prompt_and_system(sample: EvalSample) -> tuple[str, str | None]:
    system = None
    prompt = ""
    if isinstance(sample.input, str):
        return sample.input, None
    for m in sample.input:
        if m.role == "system":
            system = m.text
        elif m.role == "user":
            prompt = m.text
    return prompt, system


def import_log(store: Store, path: str | Path) -> tuple[str, int]:
    """Read the log at ``path`` into ``store`` as a new run; returns ``(run_id, attempts)``."""
    from suho import __version__
    from suho.engine import RunConfig, attempt_id
    from suho.engine._service import new_run_id
    from suho.store import AttemptResult
    from suho.targets import public_url

    p = Path(path).expanduser()
    log = _read(p)
    cfg_data = (log.eval.metadata or {}).get("suho_config")
    if not isinstance(cfg_data, dict):
        raise SuhoInputError(
            f"this log is of Inspect task {log.eval.task!r}, not a suho task (suho/korean_gap); "
            "only logs of suho tasks carry the probes' intents and languages",
            path=str(p),
        )
    if log.status not in ("success", "cancelled", "error") or not log.samples:
        raise SuhoInputError(f"the log has no samples (status {log.status})", path=str(p))
    model = str(log.eval.model)
    base_url = log.eval.model_base_url
    epochs = max(int(s.epoch) for s in log.samples)
    try:
        cfg = RunConfig.model_validate(
            {
                **cfg_data,
                "target": f"inspect:{model}",
                "base_url": base_url,
                "repeats": max(epochs, 1),
            }
        )
    except ValueError as e:
        raise SuhoInputError(f"the log's suho_config is not valid: {e}", path=str(p)) from e

    run_id = new_run_id()
    label = cfg.suite or (
        f"file:{cfg.probes_file}" if cfg.probes_file else f"dataset:{cfg.dataset}"
    )
    rows: list[dict[str, Any]] = []
    results: list[AttemptResult] = []
    for seq, s in enumerate(sorted(log.samples, key=lambda x: (str(x.id), x.epoch))):
        md = s.metadata or {}
        missing = [
            k for k in ("probe_id", "intent_id", "lang", "transform", "expected") if k not in md
        ]
        if missing:
            raise SuhoInputError(
                f"sample {s.id!r} has no {', '.join(missing)} in its metadata; "
                "was the log written by suho/korean_gap?",
                path=str(p),
            )
        prompt, system = _prompt_and_system(s)
        aid = attempt_id(run_id, str(md["probe_id"]), str(md["transform"]), "single", s.epoch - 1)
        rows.append(
            {
                "id": aid,
                "run_id": run_id,
                "seq": seq,
                "probe_id": md["probe_id"],
                "intent_id": md["intent_id"],
                "lang": md["lang"],
                "category": md.get("category") or "uncategorized",
                "expected": md["expected"],
                "variant": md.get("variant"),
                "transform": md["transform"],
                "attack": "single",
                "repeat": s.epoch - 1,
                "tags": md.get("tags") or {},
                "system_prompt": system,
                "original_prompt": md.get("original_prompt") or prompt,
                "prompt": prompt,
                "status": "pending",
                "tries": 0,
            }
        )
        started = _epoch_time(getattr(s, "started_at", None))
        finished = _epoch_time(getattr(s, "completed_at", None))
        score = (s.scores or {}).get("outcome")
        if s.error is not None or score is None or not score.metadata:
            detail = s.error.message if s.error is not None else "the sample has no outcome score"
            results.append(
                AttemptResult(
                    id=aid,
                    status="error",
                    tries=1,
                    error_kind="inspect",
                    error_detail=str(detail)[:2000],
                    started_at=started,
                    finished_at=finished,
                )
            )
            continue
        sm = score.metadata
        usage = s.output.usage if s.output else None
        results.append(
            AttemptResult(
                id=aid,
                status="done",
                tries=1,
                response=s.output.completion if s.output else "",
                finish_reason=s.output.stop_reason if s.output else None,
                outcome=sm.get("outcome"),
                success=bool(sm.get("success")),
                decided_by=sm.get("decided_by"),
                latency_ms=round(float(s.total_time) * 1000, 2) if s.total_time else None,
                prompt_tokens=usage.input_tokens if usage else None,
                completion_tokens=usage.output_tokens if usage else None,
                started_at=started,
                finished_at=finished,
                verdicts=list(sm.get("verdicts") or []),
            )
        )

    store.create_run(
        {
            "id": run_id,
            "suho_version": __version__,
            "target": {"provider": "inspect", "model": model, "base_url": public_url(base_url)},
            "suite": f"inspect:{label}",
            "config": cfg.stored(),
            "config_hash": cfg.hash(),
            "seed": cfg.seed,
            "status": "planning",
            "note": f"imported from Inspect log {p.name} (task {log.eval.task}, eval {log.eval.eval_id})",
        }
    )
    store.add_attempts(run_id, rows)
    store.record_results(run_id, results)
    store.update_run(run_id, status="done", finished_at=time.time())
    return run_id, len(rows)
