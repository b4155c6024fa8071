"""The cyber range: sandboxed offense tasks and their defense twins on the same weakness.

See docs/cyber.md.
"""

from suho.cyber._check import Check, Escape, escape_battery, probe
from suho.cyber._sandbox import (
    ExecResult,
    Sandbox,
    SandboxError,
    SandboxLimits,
    SandboxUnavailable,
)

__all__ = [
    "Check",
    "Escape",
    "ExecResult",
    "Sandbox",
    "SandboxError",
    "SandboxLimits",
    "SandboxUnavailable",
    "escape_battery",
    "probe",
]
