"""Seccomp filters for the sandbox, built as classic BPF with ``struct`` (no libseccomp binding).

bubblewrap loads a filter from a file descriptor (``--add-seccomp-fd FD``) right before it runs
the sandboxed command. A filter is a list of ``struct sock_filter {u16 code; u8 jt; u8 jf;
u32 k}`` instructions run by the kernel on ``struct seccomp_data {int nr; u32 arch; u64 ip;
u64 args[6]}`` for every system call:

1. load ``arch``; a call from another ABI than the one we built for is killed (a 32-bit
   ``int 0x80`` call would otherwise dodge the numbers below);
2. load ``nr``; on x86-64, numbers with the x32 bit (``0x40000000``) are refused;
3. each refused number jumps to ``return ERRNO(EPERM)``; ``clone3`` returns ``ENOSYS`` so libc
   falls back to ``clone``, whose flags (``args[0]``, low word) are checked for namespace bits;
4. everything else is allowed.

Two filters: ``POD`` for the task's pod (it must still create the nested sandboxes, so mount,
unshare and namespace clones are allowed there) and ``INNER`` for every command run in it (the
agent's shell, services, graders), which also refuses mounts, namespaces and ``chroot``.
What it misses: seccomp cannot look inside pointers, so it cannot tell a harmless ``ioctl`` or
``prctl`` from another; the namespaces, read-only root and rlimits carry the rest.
"""

from __future__ import annotations

import errno
import platform
import struct
from dataclasses import dataclass

# BPF opcodes (linux/filter.h, linux/bpf_common.h)
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
_X32_BIT = 0x40000000
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
_CLONE_NS_MASK = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
_CLONE_NS_MASK |= 0x20000000 | 0x40000000 | 0x00000080


@dataclass(frozen=True, slots=True)
class _Arch:
    audit: int  # AUDIT_ARCH_*
    x32: bool  # refuse the x32 bit
    nr: dict[str, int]


_X86_64 = _Arch(
    0xC000003E,
    True,
    {
        "ptrace": 101, "syslog": 103, "mount": 165, "umount2": 166, "pivot_root": 155,
        "chroot": 161, "acct": 163, "settimeofday": 164, "swapon": 167, "swapoff": 168,
        "reboot": 169, "iopl": 172, "ioperm": 173, "init_module": 175, "delete_module": 176,
        "quotactl": 179, "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250,
        "unshare": 272, "perf_event_open": 298, "name_to_handle_at": 303,
        "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310,
        "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320, "bpf": 321,
        "userfaultfd": 323, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
        "fsmount": 432, "fspick": 433, "clone3": 435, "mount_setattr": 442, "clone": 56,
    },
)  # fmt: skip
_AARCH64 = _Arch(
    0xC00000B7,
    False,
    {
        "ptrace": 117, "syslog": 116, "mount": 40, "umount2": 39, "pivot_root": 41,
        "chroot": 51, "acct": 89, "settimeofday": 170, "swapon": 224, "swapoff": 225,
        "reboot": 142, "init_module": 105, "delete_module": 106, "quotactl": 60,
        "kexec_load": 104, "add_key": 217, "request_key": 218, "keyctl": 219, "unshare": 97,
        "perf_event_open": 241, "name_to_handle_at": 264, "open_by_handle_at": 265,
        "setns": 268, "process_vm_readv": 270, "process_vm_writev": 271, "finit_module": 273,
        "kexec_file_load": 294, "bpf": 280, "userfaultfd": 282, "open_tree": 428,
        "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "clone3": 435, "mount_setattr": 442, "clone": 220,
    },
)  # fmt: skip

# Refused everywhere: tracing other processes, loading kernel code, keyrings, BPF, ...
ALWAYS_DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load", "bpf",
    "keyctl", "add_key", "request_key", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "syslog", "acct", "settimeofday", "quotactl",
    "perf_event_open", "userfaultfd", "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm",
)  # fmt: skip
# Refused in commands (allowed in the pod, which must build the nested sandboxes).
INNER_DENIED = (
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
)  # fmt: skip


def _arch() -> _Arch:
    m = platform.machine()
    if m in ("x86_64", "AMD64"):
        return _X86_64
    if m in ("aarch64", "arm64"):
        return _AARCH64
    raise OSError(f"no seccomp syscall table for this CPU ({m}); supported: x86_64, aarch64")


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def build_filter(*, inner: bool) -> bytes:
    """The filter program (``INNER`` when ``inner``, else ``POD``) as bytes for bwrap."""
    arch = _arch()
    names = list(ALWAYS_DENIED) + (list(INNER_DENIED) if inner else [])
    denied = [arch.nr[n] for n in names if n in arch.nr]
    # Layout: header, one JEQ per refused number, [clone3 + clone checks], ALLOW, tails.
    prog: list[tuple[int, int, int, int]] = []
    prog.append(_ins(_LD_W_ABS, 4))  # arch
    prog.append(_ins(_JEQ_K, arch.audit, 1, 0))
    prog.append(_ins(_RET_K, _RET_KILL_PROCESS))
    prog.append(_ins(_LD_W_ABS, 0))  # nr
    deny_jumps: list[int] = []  # indexes of jumps whose jt must reach DENY
    if arch.x32:
        deny_jumps.append(len(prog))
        prog.append(_ins(_JGE_K, _X32_BIT))
    for nr in denied:
        deny_jumps.append(len(prog))
        prog.append(_ins(_JEQ_K, nr))
    enosys_jump = clone_jump = -1
    if inner:
        enosys_jump = len(prog)
        prog.append(_ins(_JEQ_K, arch.nr["clone3"]))
        clone_jump = len(prog)
        prog.append(_ins(_JEQ_K, arch.nr["clone"]))
    prog.append(_ins(_RET_K, _RET_ALLOW))
    clone_at = len(prog)
    if inner:
        prog.append(_ins(_LD_W_ABS, 16))  # args[0], low 32 bits (little-endian)
        deny_jumps.append(len(prog))
        prog.append(_ins(_JSET_K, _CLONE_NS_MASK))
        prog.append(_ins(_RET_K, _RET_ALLOW))
    deny_at = len(prog)
    prog.append(_ins(_RET_K, _RET_ERRNO | errno.EPERM))
    enosys_at = len(prog)
    prog.append(_ins(_RET_K, _RET_ERRNO | errno.ENOSYS))

    def patch(i: int, target: int) -> None:
        code, _, jf, k = prog[i]
        off = target - i - 1
        if not 0 <= off <= 255:
            raise AssertionError("seccomp jump out of range")
        prog[i] = (code, off, jf, k)

    for i in deny_jumps:
        patch(i, deny_at)
    if inner:
        patch(enosys_jump, enosys_at)
        patch(clone_jump, clone_at)
    return b"".join(struct.pack("<HBBI", *ins) for ins in prog)
