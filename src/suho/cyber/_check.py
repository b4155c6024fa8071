"""What this machine can do to contain a task (``suho cyber sandbox-check``), and the escape
battery: real escape attempts run inside a real pod, each reported contained or not.

Probes are cheap subprocess runs of bubblewrap; the battery starts one pod and tries, as the
agent would: network egress, reading host files and the parent's environment, writing outside
the task, a fork bomb, a memory bomb, filling the disk, leaving a process behind, tracing the
parent, forbidden system calls, and a symlink planted for the grader to follow.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ._seccomp import build_filter


@dataclass(frozen=True, slots=True)
class Check:
    """One capability probe: ok, what was seen, how to fix it, and whether tasks need it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    essential: bool = True


def _run(
    argv: list[str], *, pass_fds: tuple[int, ...] = (), timeout: float = 10, user: int | None = None
) -> tuple[int, str]:
    """Run a probe (as ``user`` when given: root checks what an unprivileged pod can do)."""
    try:
        if user is None:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                               pass_fds=pass_fds, check=False)  # fmt: skip
        else:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                               pass_fds=pass_fds, check=False, user=user, group=user,
                               extra_groups=[])  # fmt: skip
    except FileNotFoundError as e:
        return 127, str(e)
    except subprocess.TimeoutExpired:
        return 124, "timed out"
    return p.returncode, (p.stdout + p.stderr).strip()


_MIN = [
    "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
    "/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
]  # fmt: skip
_USERNS_FIX = (
    "allow unprivileged user namespaces (sysctl user.max_user_namespaces=15000; on Debian/Ubuntu "
    "kernel.unprivileged_userns_clone=1 and, with AppArmor, "
    "kernel.apparmor_restrict_unprivileged_userns=0); in a container, run it with "
    "--security-opt seccomp=unconfined or a profile allowing unshare/clone(CLONE_NEWUSER)"
)


def probe() -> list[Check]:
    """Every capability the sandbox uses, in order; the first failure explains the rest."""
    checks: list[Check] = []
    root = os.geteuid() == 0
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return [Check("bubblewrap", False, "bwrap not found on PATH", "apt-get install bubblewrap")]
    rc, out = _run([bwrap, "--version"])
    checks.append(Check("bubblewrap", rc == 0, out or f"exit {rc}", "apt-get install bubblewrap"))
    py = os.path.exists("/usr/bin/python3")
    checks.append(
        Check("python3", py, "/usr/bin/python3" if py else "no /usr/bin/python3",
              "apt-get install python3 (the pod's supervisor and task services use it)")
    )  # fmt: skip
    rc, out = _run([bwrap, *_MIN, "--unshare-user", "true"])
    checks.append(Check("user namespace", rc == 0, "ok" if rc == 0 else out, _USERNS_FIX))
    net = (
        "import socket;s=socket.socket();s.bind(('127.0.0.2',0));s.listen();"
        "c=socket.create_connection(s.getsockname(),1);print('loopback-ok')"
    )
    rc, out = _run([bwrap, *_MIN, "--unshare-all", "/usr/bin/python3", "-I", "-c", net])
    checks.append(
        Check("all namespaces + private loopback", rc == 0 and "loopback-ok" in out,
              "user, pid, ipc, uts, cgroup, net; 127.0.0.0/8 up" if rc == 0 else out,
              "the kernel must allow network and pid namespaces inside user namespaces; "
              + _USERNS_FIX)
    )  # fmt: skip
    with tempfile.TemporaryFile() as f:
        f.write(build_filter(inner=True))
        f.seek(0)
        code = "import ctypes;l=ctypes.CDLL(None,use_errno=True);print(l.ptrace(16,1,0,0),ctypes.get_errno())"
        rc, out = _run(
            [bwrap, *_MIN, "--unshare-all", "--add-seccomp-fd", str(f.fileno()),
             "/usr/bin/python3", "-I", "-c", code],
            pass_fds=(f.fileno(),),
        )  # fmt: skip
    checks.append(
        Check("seccomp filter", rc == 0 and out.endswith("-1 1"),
              "ptrace, mount, kexec, bpf, keyctl, unshare refused (EPERM)" if rc == 0 else out,
              "a kernel with CONFIG_SECCOMP_FILTER and a bubblewrap that supports --add-seccomp-fd")
    )  # fmt: skip
    rc, out = _run([bwrap, *_MIN, "--tmpfs", "/tmp", "--unshare-all", bwrap, *_MIN, "--unshare-user",
                    "--unshare-pid", "--disable-userns", "true"], user=200998 if root else None)  # fmt: skip
    checks.append(
        Check("nested sandbox", rc == 0, "commands get their own sandbox inside the pod"
              if rc == 0 else out, "user.max_user_namespaces must allow nesting (>= 3); "
              + _USERNS_FIX)
    )  # fmt: skip
    if os.geteuid() == 0:
        rc, out = _run([bwrap, *_MIN, "--unshare-all", "true"], user=200999)
        checks.append(
            Check("unprivileged uid", rc == 0, "root here: each pod runs as a fresh uid "
                  ">= 200000" if rc == 0 else out,
                  "unprivileged user namespaces must work for a non-root uid (see above)")
        )  # fmt: skip
    else:
        checks.append(Check("unprivileged uid", True, f"running as uid {os.geteuid()}"))
    cc = shutil.which("cc")
    checks.append(
        Check("C compiler (cc)", cc is not None, cc or "not found",
              "apt-get install gcc (reversing challenges compile their programs at set-up)",
              essential=False)
    )  # fmt: skip
    return checks


@functools.lru_cache(maxsize=1)
def _essential_cached() -> tuple[Check, ...]:
    return tuple(c for c in probe() if c.essential and not c.ok)


def essential_failures() -> list[Check]:
    """Missing essentials (probed once a process: a machine does not change under a run)."""
    return list(_essential_cached())


@dataclass(frozen=True, slots=True)
class Escape:
    """One escape attempt: contained or not, and what was seen."""

    name: str
    contained: bool
    evidence: str


_EGRESS = """
import socket
for host in ("10.255.255.1", "192.0.2.1", "1.1.1.1", "8.8.8.8"):
    try:
        socket.create_connection((host, 53), timeout=1); print("CONNECTED", host)
    except OSError as e:
        print(host, type(e).__name__, e.errno)
"""
_FORK = """
import os, time
n = 0
try:
    while n < 4000:
        if os.fork() == 0:
            time.sleep(2); os._exit(0)
        n += 1
except OSError as e:
    print("fork refused after", n, e.strerror)
else:
    print("FORKED", n)
"""
_MEM = """
try:
    b = bytearray(3 << 30); print("ALLOCATED", len(b))
except MemoryError:
    print("MemoryError")
"""
_PTRACE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for pid in (os.getppid(), 1):
    print(pid, libc.ptrace(16, pid, 0, 0), ctypes.get_errno())
for name, nr in (("mount", 165), ("unshare", 272), ("keyctl", 250), ("bpf", 321), ("kexec_load", 246)):
    print(name, libc.syscall(nr, 0, 0, 0, 0, 0), ctypes.get_errno())
"""


async def escape_battery(host_dir: Path | None = None) -> list[Escape]:
    """Run every escape attempt in one real pod; ``host_dir`` holds canary files the agent must
    not reach (a temporary directory by default)."""
    from ._sandbox import MiB, Sandbox, SandboxLimits

    own_dir = host_dir is None
    base = Path(tempfile.mkdtemp(prefix="suho-canary-")) if host_dir is None else host_dir
    canary = "suho-canary-" + secrets.token_hex(8)
    home = base / "home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    (home / ".ssh" / "id_ed25519").write_text(canary)
    (base / "store.db").write_text(canary)
    env_canary = "suho-env-" + secrets.token_hex(8)
    limits = SandboxLimits(
        cpu_seconds=5, memory_bytes=512 * MiB, processes=64, file_bytes=8 * MiB,
        task_bytes=16 * MiB, tmp_bytes=16 * MiB, command_timeout=8,
    )  # fmt: skip
    out: list[Escape] = []
    try:
        box = await Sandbox.start(
            {"README": b"escape battery"}, limits=limits,
            parent_env={**os.environ, "SUHO_ESCAPE_CANARY": env_canary},
        )  # fmt: skip
    except BaseException:
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)
        raise
    try:
        r = await box.exec(f"/usr/bin/python3 -I -c '{_EGRESS}'")
        out.append(
            Escape("network egress", "CONNECTED" not in r.output and r.rc == 0, _one(r.output))
        )
        paths = _host_paths(home, base)
        r = await box.exec(" ; ".join(f"cat {p} 2>&1; ls {p} 2>&1" for p in paths))
        shadow = _host_shadow_line()
        leaked = canary in r.output or (shadow is not None and shadow in r.output)
        out.append(Escape("read host files", not leaked, _one(r.output)))
        r = await box.exec("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'")
        out.append(Escape("parent environment", env_canary not in r.output, "canary not visible"
                          if env_canary not in r.output else "canary visible"))  # fmt: skip
        r = await box.exec(
            "for p in /usr/x /etc/x /x /suho/bin/x /proc/sys/kernel/x /lib/x; do "
            "touch $p 2>/dev/null && echo WROTE $p; done; echo done"
        )
        out.append(Escape("write outside the task", "WROTE" not in r.output, _one(r.output)))
        r = await box.exec(f"/usr/bin/python3 -I -c '{_FORK}'", timeout=8)
        alive = await box.exec("echo alive")
        out.append(Escape("fork bomb", "FORKED" not in r.output and alive.output.strip() == "alive",
                          _one(r.output) or ("timed out" if r.timed_out else "")))  # fmt: skip
        r = await box.exec(f"/usr/bin/python3 -I -c '{_MEM}'")
        out.append(Escape("memory bomb", "ALLOCATED" not in r.output, _one(r.output)))
        r = await box.exec(
            "i=0; while [ $i -lt 12 ]; do head -c 4000000 /dev/zero > /task/fill$i || break; "
            "i=$((i+1)); done; head -c 40000000 /dev/zero > /tmp/big; du -sk /task /tmp"
        )
        sizes = [
            int(x.split()[0]) for x in r.output.splitlines() if x.split() and x.split()[0].isdigit()
        ]
        out.append(Escape("disk fill", bool(sizes) and max(sizes) <= limits.task_bytes // 1024,
                          _one(r.output)))  # fmt: skip
        marker = f"3{secrets.randbelow(10**6)}.5"
        await box.exec(f"(setsid nohup sleep {marker} >/dev/null 2>&1 &) ; echo started")
        left = await _procs_gone(marker, 2.0)
        out.append(Escape("process left behind", not left,
                          f"{len(left)} left 2 s after the command (its namespace is torn down)"))  # fmt: skip
        r = await box.exec(f"/usr/bin/python3 -I -c '{_PTRACE}'")
        bad = [ln for ln in r.output.splitlines() if ln.split()[1:2] and ln.split()[1] != "-1"]
        out.append(
            Escape("ptrace parent / forbidden syscalls", r.rc == 0 and not bad, _one(r.output))
        )
        await box.exec("ln -s /etc/shadow /task/answer.txt; ln -s / /task/rootlink")
        try:
            data = await box.read("/task/answer.txt")
            ok = data is None
            ev = "grader refused nothing, read " + repr((data or b"")[:40])
        except Exception as e:
            ok, ev = True, f"grader refused: {e}"
        out.append(Escape("symlink planted in the task", ok, ev))
    finally:
        await box.close()
        left = _host_procs_with(marker) if "marker" in locals() else []
        if left and out:
            out.append(Escape("process left after close", False, f"{len(left)} left"))
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)
    return out


def _host_paths(home: Path, base: Path) -> list[str]:
    """Host paths the agent must not read: shadow, planted keys and store, our home, caches."""
    return [
        "/etc/shadow",
        str(home / ".ssh" / "id_ed25519"),
        str(base / "store.db"),
        "/root/.ssh",
        str(Path.home()),
        os.path.expanduser("~/.cache/suho"),
    ]


def _one(text: str, n: int = 160) -> str:
    return " | ".join(ln.strip() for ln in text.strip().splitlines() if ln.strip())[:n]


def _host_shadow_line() -> str | None:
    try:
        first = Path("/etc/shadow").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return first if len(first) > 8 else None


async def _procs_gone(marker: str, within: float) -> list[int]:
    """Host processes still carrying ``marker`` after ``within`` seconds (the kernel kills a
    pid namespace's processes when its init exits, asynchronously)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + within
    while (left := _host_procs_with(marker)) and loop.time() < until:
        await asyncio.sleep(0.05)
    return left


def _host_procs_with(marker: str) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "cmdline").read_bytes():
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids
