"""Writing a new run's plan in a background thread while its first requests go out.

A scan's start-up is mostly imports, and the store's (SQLAlchemy) is the biggest. The
``PlanWriter`` opens the store, creates the run and writes the planned attempts in its own thread;
meanwhile the event loop generates the whole plan (so bad input still fails before anything is
sent) and starts sending its first rows. The executor records no answer until the writer is done,
so a run is in the store, complete and leased, before any of its results are.

Kept because it pays for itself (issue 14 asks for >= 5% of the 300-prompt scan's wall time):
measured on 2026-12-03 with bench/bench_spine.py's scan (300 prompts, 200 ms latency,
concurrency 32, 3 interleaved rounds on a loaded 2-core machine), the same engine that opens the
store and writes the plan before sending took 5.85 s median wall against 4.90 s with this
writer (about 16% more), for the same CPU (1.09 s against 1.16 s for the whole scan).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from suho.store import Store, Totals

# Rows kept in memory to send before the store is ready; rows buffered between the planner and
# the writer (beyond that, planning waits for the writer, so memory stays bounded).
HEAD_ROWS = 512
PLAN_BUFFER = 4096
# The writer starts loading the store once the first requests are out (``start``), so its imports
# do not hold the interpreter lock while they are being sent; at the latest after this long.
START_AFTER_S = 0.5

_END = object()


def begin_execution(store: Store, run_id: str, owner: str) -> Totals:
    """Take the run's lease and mark it running; returns where it stands."""
    store.acquire_lease(run_id, owner)
    store.update_run(run_id, status="running")
    return store.totals(run_id)


class PlanAborted(Exception):
    """Planning failed (bad input) after the run was created: the writer deletes the run."""


class PlanWriter:
    """Opens ``store`` (or calls it to open one), creates ``run`` and writes the rows fed to it.

    ``future`` resolves to ``(store, totals)`` once the plan is stored and the run is leased to
    ``owner`` and marked running; it fails with the writer's exception otherwise, and a run it
    had created is then deleted.
    """

    def __init__(self, store: Store | Callable[[], Store], run: dict[str, Any], owner: str) -> None:
        self.source = store
        self.run = run
        self.owner = owner
        self.rows: queue.Queue[Any] = queue.Queue(maxsize=PLAN_BUFFER)
        self.aborted = threading.Event()
        self.go = threading.Event()
        self.future: concurrent.futures.Future[tuple[Store, Totals]] = concurrent.futures.Future()
        threading.Thread(target=self._work, name="suho-plan-writer", daemon=True).start()

    # -- the planning side (any thread but the writer's) ------------------------------------------

    def feed(self, plan: Iterable[dict[str, Any]], head: int = HEAD_ROWS) -> list[dict[str, Any]]:
        """Hand every planned row to the writer; returns the first ``head`` rows.

        Generating the plan here checks all of it (probe files, transforms) before a request is
        sent. Raises the writer's error if it failed first (say, the store could not be opened).
        """
        first: list[dict[str, Any]] = []
        for row in plan:
            if len(first) < head:
                first.append(row)
            self._put(row)
        self._put(_END)
        return first

    def start(self) -> None:
        """The first requests are out: load the store now."""
        self.go.set()

    def abort(self) -> None:
        """Planning failed: tell the writer to drop the run instead of waiting for more rows."""
        self.aborted.set()
        self.go.set()
        # Wakes a writer waiting on an empty queue; a full queue means it is not waiting, and it
        # sees ``aborted`` at its next row.
        with contextlib.suppress(queue.Full):
            self.rows.put_nowait(_END)

    def _put(self, item: object) -> None:
        while True:
            if self.future.done():  # the writer stopped early: it failed
                self.future.result()
                raise RuntimeError("the plan writer stopped before the plan was complete")
            try:
                self.rows.put(item, timeout=0.05)
                return
            except queue.Full:
                self.go.set()  # a plan bigger than the buffer: nothing is sent until it is stored
                continue

    # -- the writer thread ------------------------------------------------------------------------

    def _planned_rows(self) -> Iterator[dict[str, Any]]:
        while True:
            item = self.rows.get()
            if self.aborted.is_set():
                raise PlanAborted
            if item is _END:
                return
            yield item

    def _work(self) -> None:
        self.future.set_running_or_notify_cancel()  # from now on it cannot be cancelled
        run_id = self.run["id"]
        store: Store | None = None
        created = False
        try:
            self.go.wait(START_AFTER_S)
            store = self.source() if callable(self.source) else self.source
            if self.aborted.is_set():
                raise PlanAborted
            store.create_run(self.run)
            created = True
            store.add_attempts(run_id, self._planned_rows())
            totals = begin_execution(store, run_id, self.owner)
        except BaseException as e:
            if created and store is not None:
                try:
                    store.delete_run(run_id)
                except Exception as cleanup:  # report the first failure, keep the second
                    e.add_note(f"and the unfinished run {run_id} could not be deleted: {cleanup}")
            self.future.set_exception(e)
        else:
            self.future.set_result((store, totals))
