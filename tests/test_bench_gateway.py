"""bench/bench_gateway.py's own logic: percentiles with timeouts, the report with and without
LiteLLM, finding LiteLLM. (The benchmark itself is run by hand; see docs/benchmarks.md.)"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bg() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_gateway", ROOT / "bench/bench_gateway.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_gateway"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _res(bg: ModuleType, label: str, rate: float, **kw: Any) -> Any:
    base: dict[str, Any] = {
        "label": label,
        "rate": rate,
        "sent": int(rate * 3),
        "ok": int(rate * 3),
        "codes": {200: int(rate * 3)},
        "p50_ms": 1.0,
        "p99_ms": 3.0,
        "max_ms": 4.0,
        "shed": 0,
        "shed_retry_after": 0,
        "shed_p99_ms": None,
        "timeouts": 0,
        "errors": 0,
        "throughput": rate,
    }
    base.update(kw)
    return bg.Result(**base)


def _args(**kw: Any) -> argparse.Namespace:
    a = {"client_timeout": 10.0, "seconds": 3.0, "overload_rate": 1000.0, "rates": "30,500"}
    a.update(kw)
    return argparse.Namespace(**a)


def test_percentiles_count_a_timeout_as_infinite(bg: ModuleType) -> None:
    assert bg._pct([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert bg._pct([1.0] * 98 + [math.inf] * 2, 0.99) == math.inf
    assert math.isnan(bg._pct([], 0.5))
    assert bg._ms(math.inf) == "timeout" and bg._added(math.inf, 1.0) == "timeout"
    assert bg._ratio(30.0, 1.5) == "20.0x" and bg._ratio(math.inf, 1.0) == "LiteLLM timed out"
    assert bg._ratio(5.0, 0.01) == "n/a"  # a ratio over noise-level overhead means nothing


def test_report_side_by_side(bg: ModuleType) -> None:
    rows = []
    for rate in (30.0, 500.0, 1000.0):
        d = _res(bg, "upstream directly", rate)
        v = _res(bg, "suho gateway", rate, p50_ms=2.0, p99_ms=5.0, cpu_ms=1.0, cpu_share=0.4)
        w = _res(
            bg,
            "LiteLLM proxy",
            rate,
            p50_ms=31.0 if rate == 30 else math.inf,
            p99_ms=51.0 if rate == 30 else math.inf,
            cpu_ms=20.0,
            cpu_share=0.9,
            timeouts=0 if rate == 30 else int(rate * 2),
            throughput=30.0 if rate == 30 else 25.0,
        )
        rows.append((d, v, w))
    over = _res(bg, "suho, max_in_flight 16", 400.0, shed=700, shed_retry_after=700)
    no_key = {"suho": (401, ""), "LiteLLM": (500, "Internal Server Error")}
    out = bg.report(_args(), rows, over, 400.0, "", no_key, "1.108.7", "", Path("x"), 60.0)
    assert "LiteLLM 1.108.7" in out and "The machine was loaded" in out
    assert "| 30 | 30.0x | 24.0x | 20.0x | 1.0x | 0 / 0 |" in out
    assert "| 500 | LiteLLM timed out | LiteLLM timed out | 20.0x | 20.0x | 0 / 1000 |" in out
    assert "suho: HTTP 401; LiteLLM: HTTP 500" in out and "prisma" in out
    assert "not measured" not in out and "out of CPU" not in out
    rows[1][0].p50_ms = 900.0  # the direct path itself starved: flagged, not taken at face value
    out = bg.report(_args(), rows, over, 400.0, "", no_key, "1.108.7", "", Path("x"), 60.0)
    assert "upstream directly (slow: machine out of CPU)" in out and "In 1 row(s)" in out


def test_report_without_litellm_says_so(bg: ModuleType) -> None:
    rows = [
        (_res(bg, "upstream directly", r), _res(bg, "suho gateway", r, cpu_ms=1.0), None)
        for r in (30.0, 500.0)
    ]
    over = _res(bg, "suho, max_in_flight 16", 400.0)
    out = bg.report(_args(), rows, over, 400.0, "", {"suho": (401, "")}, None, "", None, 30.0)
    assert "LiteLLM was not measured" in out and "setup.sh litellm" in out
    assert "LiteLLM ÷ suho" not in out and "LiteLLM proxy" not in out


def test_find_litellm(bg: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUHO_BENCH_LITELLM", raising=False)
    exe = tmp_path / "litellm"
    exe.write_text("#!/bin/sh\n")
    assert bg.find_litellm(str(exe)) == exe
    monkeypatch.setenv("SUHO_BENCH_LITELLM", str(exe))
    assert bg.find_litellm(None) == exe
    with pytest.raises(SystemExit):
        bg.find_litellm(str(tmp_path / "missing"))
