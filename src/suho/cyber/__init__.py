"""The cyber range: sandboxed offense tasks and their defense twins on the same weakness.

See docs/cyber.md.
"""

from suho.cyber._attack import CyberTask
from suho.cyber._challenge import (
    FAMILIES,
    Challenge,
    builtin_challenges,
    load_challenge,
    load_dir,
    render,
    select,
)
from suho.cyber._check import Check, Escape, escape_battery, probe
from suho.cyber._env import CyberEnvironment, Grade
from suho.cyber._metrics import cyber_section, cyber_store_section
from suho.cyber._sandbox import (
    ExecResult,
    Sandbox,
    SandboxError,
    SandboxLimits,
    SandboxUnavailable,
)

__all__ = [
    "FAMILIES",
    "Challenge",
    "Check",
    "CyberEnvironment",
    "CyberTask",
    "Escape",
    "ExecResult",
    "Grade",
    "Sandbox",
    "SandboxError",
    "SandboxLimits",
    "SandboxUnavailable",
    "builtin_challenges",
    "cyber_section",
    "cyber_store_section",
    "escape_battery",
    "load_challenge",
    "load_dir",
    "probe",
    "render",
    "select",
]
