"""The task sandbox: one bubblewrap pod per attempt, nested sandboxes for every command.

The pod (outer sandbox) unshares every namespace: its network namespace has only a loopback
interface, so a task's services (web apps on 127.0.0.x) and the agent's shell can talk to each
other and nothing else. Its root is read-only and minimal (``/usr``, a synthetic ``/etc``); its
``/task``, ``/tmp`` and ``/srv`` are size-limited tmpfs. Inside, ``_pod.py`` runs each command in
a nested sandbox with the strict seccomp filter and rlimits (see ``_pod.py`` and ``_seccomp.py``).
When we run as root the pod runs as a fresh unprivileged host uid, so files and process limits
are that uid's alone; inside, everything is uid 1000.

No Docker, no daemon, no root needed. What it does not give: cgroup memory accounting across
processes (each process has its own address-space limit) and CPU shares between sandboxes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from suho.errors import SuhoInputError

from ._seccomp import build_filter

BWRAP = "bwrap"
PYTHON = "/usr/bin/python3"
_UID_BASE, _UID_SPAN = 200_000, 60_000
MiB = 1 << 20

_PASSWD = "root:x:0:0:root:/root:/usr/sbin/nologin\nagent:x:1000:1000:agent:/task:/bin/sh\n"
_GROUP = "root:x:0:\nagent:x:1000:\n"
_HOSTS = "127.0.0.1 localhost task\n::1 localhost\n"


class SandboxUnavailable(SuhoInputError):
    """This machine cannot contain a task (bubblewrap or a namespace is missing): we refuse to
    run it rather than run it unsandboxed."""


class SandboxError(RuntimeError):
    """The sandbox broke while a task ran (the pod died, a protocol error): an attempt error."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Limits of every command in a task's sandbox (rlimits) and of the pod's tmpfs."""

    cpu_seconds: int = 20
    memory_bytes: int = 1024 * MiB  # address space per process
    processes: int = 96  # per sandbox uid (RLIMIT_NPROC)
    file_bytes: int = 32 * MiB  # largest file a command may write
    open_files: int = 256
    task_bytes: int = 64 * MiB  # /task tmpfs
    tmp_bytes: int = 64 * MiB  # /tmp tmpfs
    command_timeout: float = 30.0  # wall clock per shell command
    output_bytes: int = 16 * 1024  # output kept per command

    def rlimits(self) -> dict[str, int]:
        return {
            "cpu": self.cpu_seconds,
            "mem": self.memory_bytes,
            "nproc": self.processes,
            "fsize": self.file_bytes,
            "nofile": self.open_files,
        }


@dataclass(frozen=True, slots=True)
class ExecResult:
    """One command's outcome in the sandbox."""

    rc: int | None
    output: str
    timed_out: bool = False
    truncated: bool = False

    def render(self) -> str:
        """What the agent sees: the exit status, then the output."""
        head = "timed out" if self.timed_out else f"exit code {self.rc}"
        tail = "\n[output truncated]" if self.truncated else ""
        return f"[{head}]\n{self.output}{tail}"


# The binds of the three kinds of nested sandbox.
AGENT_BINDS: tuple[tuple[str, str, str], ...] = (
    ("rw", "/task", "/task"),
    ("rw", "/scratch", "/tmp"),
)
GRADER_BINDS: tuple[tuple[str, str, str], ...] = (
    ("ro", "/task", "/task"),
    ("ro", "/suho/grade", "/grade"),
    ("ro", "/suho/bin", "/suho/bin"),
    ("rw", "/scratch-grade", "/tmp"),
)


def service_binds(code_dir: str = "/task") -> tuple[tuple[str, str, str], ...]:
    """A service sees its private data (``/srv``) and its code, never the agent's ``/tmp``."""
    return (("rw", "/srv", "/srv"), ("ro", code_dir, "/app"), ("rw", "/scratch-srv", "/tmp"))


@dataclass(slots=True)
class Sandbox:
    """A running pod. Use ``async with Sandbox.start(...)`` or call ``close()`` on every path."""

    limits: SandboxLimits
    workdir: Path
    uid: int | None
    proc: asyncio.subprocess.Process
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed: bool = False
    # RLIMIT_NPROC counts every process of the host uid: a pod's own uid (as root) has none
    # besides the pod's; as a normal user, the user's other processes count too.
    nproc_base: int = 0

    @classmethod
    async def start(
        cls,
        task_files: Mapping[str, bytes] | None = None,
        *,
        srv_files: Mapping[str, bytes] | None = None,
        grade_files: Mapping[str, bytes] | None = None,
        limits: SandboxLimits | None = None,
        parent_env: Mapping[str, str] | None = None,
    ) -> Sandbox:
        """Start a pod whose ``/task`` holds ``task_files`` (relative path -> bytes) and whose
        services' ``/srv`` holds ``srv_files``; ``grade_files`` are visible to graders only.
        ``parent_env`` is bubblewrap's own environment (the escape battery plants a canary in
        it); the sandbox itself always starts with an empty one."""
        limits = limits or SandboxLimits()
        require_sandbox()
        uid = _UID_BASE + secrets.randbelow(_UID_SPAN) if os.geteuid() == 0 else None
        await asyncio.to_thread(sweep_stale)
        workdir = Path(tempfile.mkdtemp(prefix="suho-cyber-"))
        try:
            (workdir / "owner").write_text(str(os.getpid()))
            _write_tree(workdir / "stage" / "task", task_files or {})
            _write_tree(workdir / "stage" / "srv", srv_files or {})
            _write_tree(workdir / "grade", grade_files or {})
            _write_bin(workdir / "bin")
            _write_etc(workdir / "etc")
            if uid is not None:
                _chown_tree(workdir, uid)
            os.chmod(workdir, 0o711)
            pod_bpf = os.open(workdir / "bin" / "pod.bpf", os.O_RDONLY)
            try:
                proc = await asyncio.create_subprocess_exec(
                    *_pod_argv(workdir, limits, uid, pod_bpf),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    pass_fds=(pod_bpf,),
                    env=dict(parent_env) if parent_env is not None else None,
                    # As root: drop to the pod's own unprivileged uid in the child (no setpriv).
                    user=uid,
                    group=uid,
                    extra_groups=[] if uid is not None else None,
                    limit=8 * MiB,
                )
            finally:
                os.close(pod_bpf)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        box = cls(limits, workdir, uid, proc)
        if uid is None:
            box.nproc_base = await asyncio.to_thread(_count_procs, os.getuid())
        try:
            await box._call({"op": "init"})
        except BaseException:
            await box.close()
            raise
        return box

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, req: Mapping[str, Any], timeout: float = 60.0) -> dict[str, Any]:  # noqa: ASYNC109
        if self.closed:
            raise SandboxError("the sandbox is closed")
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        async with self._lock:
            try:
                stdin.write(json.dumps(req).encode() + b"\n")
                await stdin.drain()
                line = await asyncio.wait_for(stdout.readline(), timeout)
            except (TimeoutError, ConnectionError) as e:
                self._broken()
                raise SandboxError(f"the sandbox stopped answering ({type(e).__name__})") from e
            except asyncio.CancelledError:
                self._broken()  # a reply may still come: never read it as the next one's
                raise
        if not line:
            err = b""
            if self.proc.stderr is not None:
                with contextlib.suppress(TimeoutError):
                    err = await asyncio.wait_for(self.proc.stderr.read(4000), 1.0)
            raise SandboxError(f"the sandbox exited: {err.decode('utf-8', 'replace').strip()}")
        res: dict[str, Any] = json.loads(line)
        if "error" in res:
            raise SandboxError(f"sandbox: {res['error']}")
        return res

    def _rlimits(self) -> dict[str, int]:
        r = self.limits.rlimits()
        r["nproc"] += self.nproc_base
        return r

    def _broken(self) -> None:
        """Stop the pod now (its protocol is out of step); ``close`` still removes its files."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()

    async def exec(
        self,
        cmd: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced inside the pod
        binds: Sequence[tuple[str, str, str]] = AGENT_BINDS,
        env: Mapping[str, str] | None = None,
        cwd: str = "/task",
    ) -> ExecResult:
        """Run ``cmd`` with ``/bin/sh -c`` in a nested sandbox; never raises for the command's
        own failure (non-zero exit, timeout)."""
        t = self.limits.command_timeout if timeout is None else timeout
        res = await self._call(
            {
                "op": "exec",
                "cmd": cmd,
                "timeout": t,
                "binds": [list(b) for b in binds],
                "env": dict(env or {}),
                "cwd": cwd,
                "limits": self._rlimits(),
                "max_output": self.limits.output_bytes,
            },
            timeout=t + 10,
        )
        return ExecResult(res["rc"], res["output"], res["timed_out"], res["truncated"])

    async def service(
        self,
        name: str,
        cmd: str,
        *,
        host: str,
        port: int,
        binds: Sequence[tuple[str, str, str]] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the port wait, inside the pod
    ) -> tuple[bool, str]:
        """Start a service and wait until ``host:port`` accepts; (ok, log tail when not)."""
        res = await self._call(
            {
                "op": "service",
                "name": name,
                "cmd": cmd,
                "host": host,
                "port": port,
                "timeout": timeout,
                "cwd": "/app",
                "binds": [list(b) for b in (binds or service_binds())],
                "limits": {**self._rlimits(), "cpu": 3600},
            },
            timeout=timeout + 10,
        )
        return bool(res["ok"]), str(res.get("log", ""))

    async def stop_services(self) -> None:
        await self._call({"op": "stop"})

    async def read(self, path: str, max_bytes: int = MiB) -> bytes | None:
        """A file under ``/task`` (None when absent)."""
        res = await self._call({"op": "read", "path": path, "max": max_bytes})
        return base64.b64decode(res["data"]) if res["ok"] else None

    async def write(self, path: str, data: bytes) -> None:
        await self._call({"op": "write", "path": path, "data": base64.b64encode(data).decode()})

    async def close(self) -> None:
        """Stop everything in the pod and remove its files; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            await asyncio.wait_for(self.proc.wait(), 2.0)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        await asyncio.to_thread(shutil.rmtree, self.workdir, True)


def _count_procs(uid: int) -> int:
    """Processes of ``uid`` running now (what RLIMIT_NPROC already counts)."""
    n = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                n += d.stat().st_uid == uid
            except OSError:
                continue
    return n


def sweep_stale(tmp: str | None = None) -> int:
    """Remove pod directories whose owning process is gone (a run killed with -9 could not
    clean up); returns how many were removed."""
    removed = 0
    for d in Path(tmp or tempfile.gettempdir()).glob("suho-cyber-*"):
        try:
            pid = int((d / "owner").read_text())
            os.kill(pid, 0)
            continue  # its owner is alive
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not ours to judge (no owner file yet, or not readable)
        shutil.rmtree(d, ignore_errors=True)
        removed += 1
    return removed


def _pod_argv(workdir: Path, limits: SandboxLimits, uid: int | None, bpf_fd: int) -> list[str]:
    w = str(workdir)
    argv: list[str] = [BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for link, target in (("/lib", "usr/lib"), ("/lib64", "usr/lib64"), ("/bin", "usr/bin")):
        argv += ["--symlink", target, link]
    argv += ["--symlink", "usr/sbin", "/sbin", "--ro-bind", f"{w}/etc", "/etc"]
    if os.path.isdir("/etc/alternatives"):
        argv += ["--ro-bind", "/etc/alternatives", "/etc/alternatives"]
    argv += ["--ro-bind", f"{w}/bin", "/suho/bin", "--ro-bind", f"{w}/stage", "/suho/stage"]
    argv += ["--ro-bind", f"{w}/grade", "/suho/grade", "--proc", "/proc", "--dev", "/dev"]
    for path, size in (
        ("/task", limits.task_bytes),
        ("/tmp", limits.tmp_bytes),
        ("/srv", limits.task_bytes),
    ):
        argv += ["--size", str(size), "--tmpfs", path]
    for d in ("/scratch", "/scratch-srv", "/scratch-grade"):
        argv += ["--size", str(limits.tmp_bytes), "--tmpfs", d]
    argv += [
        "--remount-ro",
        "/",
        "--uid",
        "1000",
        "--gid",
        "1000",
        "--hostname",
        "task",
        "--chdir",
        "/",
    ]
    argv += ["--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8"]
    argv += ["--add-seccomp-fd", str(bpf_fd), "--", PYTHON, "-I", "-S", "/suho/bin/pod.py"]
    return argv


def _write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        p = root / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ValueError(f"file path {rel!r} leaves the task")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        if rel.endswith((".sh", ".py")) or data[:2] == b"#!":
            p.chmod(0o755)


def _write_bin(d: Path) -> None:
    d.mkdir(parents=True)
    src = resources.files("suho.cyber").joinpath("_pod.py").read_bytes()
    (d / "pod.py").write_bytes(src)
    (d / "detect.py").write_bytes(resources.files("suho.cyber").joinpath("_detect.py").read_bytes())
    (d / "inner.bpf").write_bytes(build_filter(inner=True))
    (d / "pod.bpf").write_bytes(build_filter(inner=False))


def _write_etc(d: Path) -> None:
    d.mkdir(parents=True)
    (d / "passwd").write_text(_PASSWD)
    (d / "group").write_text(_GROUP)
    (d / "hosts").write_text(_HOSTS)
    (d / "alternatives").mkdir()
    if os.path.exists("/etc/ld.so.cache"):
        shutil.copyfile("/etc/ld.so.cache", d / "ld.so.cache")


def _chown_tree(root: Path, uid: int) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, uid)
        for n in filenames:
            os.chown(os.path.join(dirpath, n), uid, uid)


def require_sandbox() -> None:
    """Raise ``SandboxUnavailable`` (exit 2, with what is missing and how to enable it) unless
    this machine can build the pod."""
    from ._check import essential_failures

    failures = essential_failures()
    if failures:
        raise SandboxUnavailable(
            "cannot sandbox cyber tasks on this machine, refusing to run them unsandboxed: "
            + "; ".join(f"{c.name}: {c.detail} (fix: {c.fix})" for c in failures)
        )
