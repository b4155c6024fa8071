"""The report warm-up thread of `suho scan`: it waits for the run to start, and a failed scan
cancels it without leaving a thread behind."""

from __future__ import annotations

import subprocess
import sys

from suho.cli._common import ReportWarmUp, RichProgress


def test_warm_up_waits_for_start_then_compiles_the_template() -> None:
    code = (
        "import sys\n"
        "from suho.cli._common import ReportWarmUp, RichProgress\n"
        "w = ReportWarmUp(delay=0)\n"
        "w.thread.join(0.3)\n"
        "assert w.thread.is_alive() and 'suho.report._html' not in sys.modules\n"
        "bar = RichProgress(enabled=False, on_start=w.start)\n"
        "bar.update(None)\n"
        "w.join()\n"
        "from suho.report import _html\n"
        "assert _html._env.cache_info().currsize == 1\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_failed_scan_cancels_the_warm_up() -> None:
    try:
        with ReportWarmUp(delay=0) as warm:
            raise RuntimeError("preflight failed")
    except RuntimeError:
        pass
    warm.thread.join(5)
    assert not warm.thread.is_alive()


def test_on_start_is_called_once() -> None:
    calls: list[int] = []
    bar = RichProgress(enabled=False, on_start=lambda: calls.append(1))
    for _ in range(3):
        bar.update(None)
    assert calls == [1]
