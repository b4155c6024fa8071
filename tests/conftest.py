"""Shared fixtures: the fake OpenAI-compatible server (in a thread or a subprocess) and stores."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from fake_server import Config, ThreadedServer  # noqa: E402
from pg_server import postgres_url  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need llama.cpp or a browser are slow, so that `pytest -m "not slow"` (`make
    check`) passes on a machine without them: a test marked one way and not the other is a
    mistake, caught here rather than by a machine without llama.cpp."""
    for item in items:
        needs = [m for m in ("local_model", "browser") if item.get_closest_marker(m)]
        if needs and not item.get_closest_marker("slow"):
            raise pytest.UsageError(f"{item.nodeid} is marked {needs[0]} but not slow")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database (a throwaway server, or SUHO_TEST_PG_URL)."""
    with postgres_url() as url:
        if url is None:
            pytest.skip("PostgreSQL is not installed (apt-get install postgresql); CI installs it")
        yield url


@dataclass
class ServerProc:
    """The fake server running as its own process (for CLI tests and kill -9 tests)."""

    proc: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def requests(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [
            json.loads(line)
            for line in self.log.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]


def start_server_proc(tmp: Path, *args: str) -> ServerProc:
    log = tmp / f"requests-{time.monotonic_ns()}.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(TESTS / "fake_server.py"), "--port", "0", "--log", str(log), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(
            f"fake server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return ServerProc(proc, int(line.split()[1]), log)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    procs: list[ServerProc] = []

    def make(*args: str) -> ServerProc:
        sp = start_server_proc(tmp_path, *args)
        procs.append(sp)
        return sp

    yield make
    for sp in procs:
        sp.proc.kill()
        sp.proc.wait(5)


@pytest.fixture
def threaded_server() -> Iterator[Any]:
    servers: list[ThreadedServer] = []

    def make(**kw: Any) -> ThreadedServer:
        s = ThreadedServer(Config(**kw))
        s.__enter__()
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.__exit__(None, None, None)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'suho.db'}"


def suho_cmd() -> list[str]:
    return [sys.executable, "-m", "suho"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env.pop("OPENAI_API_KEY", None) if env is None or "OPENAI_API_KEY" not in env else None
    return subprocess.run(
        [*suho_cmd(), *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout
    )


def write_probes(
    path: Path, prompts: list[str], *, lang: str | None = None, expected: str = "refuse"
) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i, p in enumerate(prompts):
            obj: dict[str, Any] = {"id": f"p{i:04d}", "prompt": p, "expected": expected}
            if lang:
                obj["lang"] = lang
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The ``atk:`` scripted models registered for the CLI (and this process)."""
    from attacks_testkit import install
    from suho import _registry

    where = install(tmp_path / "plugins")
    sys.path.insert(0, str(where))
    _registry._all_groups.cache_clear()
    path = os.pathsep.join([str(where), str(TESTS), os.environ.get("PYTHONPATH", "")])
    try:
        yield {"PYTHONPATH": path}
    finally:
        sys.path.remove(str(where))
        _registry._all_groups.cache_clear()


def load_tool(name: str) -> ModuleType:
    """``tools/<name>.py`` imported as a module (the tools are scripts, not a package)."""
    path = Path(__file__).resolve().parents[1] / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"tool_{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    """The precision/recall/F1 record the evaluators report, computed by hand from counts (so a
    test's expectation does not come from the code under test)."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "support": tp + fn,
    }
