"""The pod supervisor: runs INSIDE a task's outer sandbox (stdlib only, ``python3 -I``).

The outer bubblewrap sandbox is the task's pod: its own network namespace (loopback only), its
own pids, a size-limited ``/task`` and ``/tmp``. This script is its only long-lived process. It
reads one JSON request a line on stdin and answers one JSON line on stdout:

- ``{"op": "init"}`` copies ``/suho/stage/task`` to ``/task`` and ``/suho/stage/srv`` to ``/srv``;
- ``{"op": "exec", ...}`` runs one shell command in a NESTED sandbox (new user, pid, ipc, uts
  namespaces; the pod's network; ``/srv`` absent unless asked for; the strict seccomp filter;
  rlimits) and returns its exit status and output, killing the whole nested namespace on timeout;
- ``{"op": "service", ...}`` starts a long-running command the same way and waits until its port
  answers on loopback; ``{"op": "stop"}`` stops every service;
- ``{"op": "read"|"write", ...}`` moves a file in or out of ``/task`` (for graders).

Services and the agent's commands never share a pid namespace or a mount view, so the agent can
neither read a service's data in ``/srv`` nor signal or trace it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

BASE = [
    "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
    "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--ro-bind", "/etc", "/etc",
    "--proc", "/proc", "--dev", "/dev", "--unshare-user", "--unshare-pid", "--unshare-ipc",
    "--unshare-uts", "--unshare-cgroup-try", "--disable-userns", "--die-with-parent",
    "--new-session", "--uid", "1000", "--gid", "1000", "--hostname", "task", "--clearenv",
]  # fmt: skip
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/task", "LANG": "C.UTF-8", "TERM": "dumb"}
Req = dict[str, Any]
SERVICES: dict[str, tuple[subprocess.Popen[bytes], str, int]] = {}


def limits(req: Req) -> Callable[[], None]:
    lim = req.get("limits") or {}

    def apply() -> None:
        os.setsid()
        for name, key in (
            ("cpu", resource.RLIMIT_CPU),
            ("mem", resource.RLIMIT_AS),
            ("nproc", resource.RLIMIT_NPROC),
            ("fsize", resource.RLIMIT_FSIZE),
            ("nofile", resource.RLIMIT_NOFILE),
        ):
            if lim.get(name):
                resource.setrlimit(key, (int(lim[name]), int(lim[name])))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def argv(req: Req, seccomp_fd: int) -> list[str]:
    a = ["bwrap", *BASE]
    for mode, src, dst in req.get("binds", []):
        a += ["--bind" if mode == "rw" else "--ro-bind", src, dst]
    a += ["--remount-ro", "/"]
    for k, v in {**ENV, **(req.get("env") or {})}.items():
        a += ["--setenv", k, v]
    a += ["--chdir", req.get("cwd", "/task"), "--add-seccomp-fd", str(seccomp_fd)]
    return [*a, "--", "/bin/sh", "-c", req["cmd"]]


def spawn(req: Req, **kw: Any) -> subprocess.Popen[bytes]:
    fd = os.open("/suho/bin/inner.bpf", os.O_RDONLY)
    try:
        return subprocess.Popen(
            argv(req, fd), pass_fds=(fd,), preexec_fn=limits(req), stdin=subprocess.DEVNULL, **kw
        )
    finally:
        os.close(fd)


def kill(p: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)
    p.wait()


def op_exec(req: Req) -> Req:
    cap = int(req.get("max_output", 65536))
    p = spawn(req, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timed_out = False
    try:
        out, _ = p.communicate(timeout=float(req.get("timeout", 30)))
    except subprocess.TimeoutExpired:
        timed_out = True
        kill(p)
        out = p.stdout.read() if p.stdout else b""
    truncated = len(out) > cap
    text = out[:cap].decode("utf-8", "replace")
    return {"rc": p.returncode, "output": text, "timed_out": timed_out, "truncated": truncated}


def ready(host: str, port: int, until: float) -> bool:
    while time.monotonic() < until:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def op_service(req: Req) -> Req:
    log = open(f"/tmp/.svc-{req['name']}.log", "wb")  # noqa: SIM115 - kept open by the child
    p = spawn(req, stdout=log, stderr=subprocess.STDOUT)
    SERVICES[req["name"]] = (p, req["host"], int(req["port"]))
    ok = ready(req["host"], int(req["port"]), time.monotonic() + float(req.get("timeout", 5)))
    if ok and p.poll() is None:
        return {"ok": True}
    kill(p)
    with open(f"/tmp/.svc-{req['name']}.log", "rb") as f:
        tail = f.read()[-2000:].decode("utf-8", "replace")
    return {"ok": False, "rc": p.returncode, "log": tail}


def closed(host: str, port: int, until: float) -> bool:
    """Wait until nothing answers on host:port (a killed service's namespace dies async)."""
    while time.monotonic() < until:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                time.sleep(0.02)
        except OSError:
            return True
    return False


def op_stop(req: Req) -> Req:
    for p, _, _ in SERVICES.values():
        kill(p)
    for _, host, port in SERVICES.values():
        closed(host, port, time.monotonic() + 3)
    SERVICES.clear()
    return {"ok": True}


def op_init(req: Req) -> Req:
    for src, dst in (("/suho/stage/task", "/task"), ("/suho/stage/srv", "/srv")):
        if os.path.isdir(src):
            shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=True)
    return {"ok": True}


def inside(path: str) -> str:
    real = os.path.realpath(path)
    if not (real == "/task" or real.startswith("/task/")):
        raise ValueError(f"{path} is outside /task")
    return real


def op_read(req: Req) -> Req:
    path = inside(req["path"])
    if not os.path.isfile(path):
        return {"ok": False, "data": None}
    with open(path, "rb") as f:
        return {"ok": True, "data": base64.b64encode(f.read(int(req.get("max", 1 << 20)))).decode()}


def op_write(req: Req) -> Req:
    path = inside(req["path"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(req["data"]))
    return {"ok": True}


OPS: dict[str, Callable[[Req], Req]] = {
    "init": op_init, "exec": op_exec, "service": op_service, "stop": op_stop,
    "read": op_read, "write": op_write,
}  # fmt: skip


def main() -> None:
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        req = json.loads(line)
        try:
            res = OPS[req["op"]](req)
        except Exception as e:  # the host turns this into a sandbox error
            res = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(res).encode() + b"\n")
        out.flush()
    op_stop({})


if __name__ == "__main__":
    main()
