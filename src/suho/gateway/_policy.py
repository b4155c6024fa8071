"""The gateway policy: per tier, which detector results lead to which action.

Read from TOML (``tomllib``); mistakes are reported with the file and line (``SuhoInputError``,
exit 2): an unknown tier, action, detector, label, scope or setting, or a route to an upstream
that is not defined. The shipped default is ``suho/data/gateway/default-policy.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from suho.errors import SuhoInputError
from suho.gateway._keys import TIERS

ACTIONS = ("allow", "block", "route", "step-up")
SEVERITY = {"allow": 0, "route": 1, "step-up": 2, "block": 3}
DETECTORS = ("cyber-offense", "pii-kr", "prompt-injection", "session")
CYBER_LABELS = ("offensive", "dual-use", "benign")
SCOPES = ("in", "out", "none")
SIDES = ("request", "response")
_SETTINGS: dict[str, type] = {
    "max_body_bytes": int,
    "max_in_flight": int,
    "max_queue_ms": float,
    "upstream_timeout_s": float,
    "body_timeout_s": float,
    "session_half_life_s": float,
    "session_threshold": float,
    "audit_prompts": bool,
    "redact_pii": bool,
    "classify_max_chars": int,
}
#: Settings where 0 means "off".
_MAY_BE_ZERO = ("max_queue_ms",)
_TIER_KEYS = ("rate_per_s", "burst", "daily_requests", "rules")
_RULE_KEYS = (
    "detector",
    "on",
    "label",
    "min_score",
    "scope",
    "action",
    "upstream",
    "message_ko",
    "message_en",
)


@dataclass(frozen=True, slots=True)
class Settings:
    max_body_bytes: int = 262144
    max_in_flight: int = 256
    max_queue_ms: float = 100.0
    upstream_timeout_s: float = 120.0
    body_timeout_s: float = 10.0
    session_half_life_s: float = 900.0
    session_threshold: float = 2.0
    audit_prompts: bool = True
    redact_pii: bool = True
    classify_max_chars: int = 20000


@dataclass(frozen=True, slots=True)
class Rule:
    detector: str
    action: str
    on: str = "request"
    label: str | None = None
    min_score: float | None = None
    scope: str | None = None
    upstream: str | None = None
    message_ko: str | None = None
    message_en: str | None = None


@dataclass(frozen=True, slots=True)
class TierPolicy:
    rate_per_s: float = 1.0
    burst: int = 10
    daily_requests: int = 1000
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class Upstream:
    target: str
    base_url: str | None = None
    api_key_env: str | None = None


@dataclass(frozen=True, slots=True)
class ModelEntry:
    upstream: str
    tiers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    source: str
    settings: Settings = field(default_factory=Settings)
    tiers: dict[str, TierPolicy] = field(default_factory=dict)
    upstreams: dict[str, Upstream] = field(default_factory=dict)
    models: dict[str, ModelEntry] = field(default_factory=dict)

    def tier(self, name: str) -> TierPolicy:
        return self.tiers.get(name, TierPolicy())


class _Lines:
    """Finds the line of a key or value, for file:line errors (tomllib gives no positions)."""

    def __init__(self, raw: str, path: str) -> None:
        self.lines = raw.splitlines()
        self.path = path

    def find(self, *needles: str, after: int = 0) -> int | None:
        for i in range(after, len(self.lines)):
            line = self.lines[i].split("#", 1)[0]
            if all(n in line for n in needles):
                return i + 1
        return None

    def error(self, msg: str, *needles: str, after: int = 0) -> SuhoInputError:
        return SuhoInputError(msg, path=self.path, line=self.find(*needles, after=after))


def default_policy_text() -> str:
    return (
        resources.files("suho")
        .joinpath("data", "gateway", "default-policy.toml")
        .read_text(encoding="utf-8")
    )


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy at ``path``, or the shipped default."""
    if path is None:
        return parse_policy(default_policy_text(), "default-policy.toml")
    p = Path(path)
    if not p.is_file():
        raise SuhoInputError("policy file not found", path=str(p))
    return parse_policy(p.read_text(encoding="utf-8"), str(p))


def parse_policy(raw: str, source: str) -> Policy:
    lines = _Lines(raw, source)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        if line is None:
            import re

            m = re.search(r"line (\d+)", str(e))
            line = int(m.group(1)) if m else None
        raise SuhoInputError(f"not valid TOML ({e})", path=source, line=line) from e
    for key in data:
        if key not in ("settings", "tiers", "upstreams", "models"):
            raise lines.error(
                f"unknown section {key!r} (expected settings, tiers, upstreams, models)", key
            )
    settings = _settings(data.get("settings", {}), lines)
    upstreams = {
        name: _upstream(name, v, lines) for name, v in _table(data, "upstreams", lines).items()
    }
    known_up = {"main", *upstreams}
    tiers: dict[str, TierPolicy] = {}
    for name, v in _table(data, "tiers", lines).items():
        if name not in TIERS:
            raise lines.error(f"unknown tier {name!r} (tiers are {', '.join(TIERS)})", name)
        tiers[name] = _tier(name, v, lines, known_up)
    models: dict[str, ModelEntry] = {}
    for name, v in _table(data, "models", lines).items():
        models[name] = _model(name, v, lines, known_up)
    return Policy(source, settings, tiers, upstreams, models)


def _table(data: dict[str, Any], key: str, lines: _Lines) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise lines.error(f"{key} must be a table", key)
    return v


def _settings(v: Any, lines: _Lines) -> Settings:
    if not isinstance(v, dict):
        raise lines.error("settings must be a table", "settings")
    out: dict[str, Any] = {}
    for k, val in v.items():
        typ = _SETTINGS.get(k)
        if typ is None:
            raise lines.error(f"unknown setting {k!r} (known: {', '.join(_SETTINGS)})", k)
        ok = (
            isinstance(val, bool)
            if typ is bool
            else (
                isinstance(val, int | float)
                and not isinstance(val, bool)
                and (val > 0 or (val == 0 and k in _MAY_BE_ZERO))
            )
        )
        if not ok:
            want = "true or false" if typ is bool else "a positive number"
            raise lines.error(
                f"setting {k} must be {want}{' or 0 (off)' if k in _MAY_BE_ZERO else ''}", k
            )
        out[k] = typ(val)
    return Settings(**out)


def _upstream(name: str, v: Any, lines: _Lines) -> Upstream:
    if not isinstance(v, dict) or not isinstance(v.get("target"), str):
        raise lines.error(f'upstream {name!r} needs target = "PROVIDER:MODEL"', name)
    for k in v:
        if k not in ("target", "base_url", "api_key_env"):
            raise lines.error(f"unknown key {k!r} in upstream {name!r}", k)
    return Upstream(v["target"], v.get("base_url"), v.get("api_key_env"))


def _model(name: str, v: Any, lines: _Lines, known_up: set[str]) -> ModelEntry:
    if not isinstance(v, dict):
        raise lines.error(f"model {name!r} must be a table", name)
    up = v.get("upstream", "main")
    if up not in known_up:
        raise lines.error(f"model {name!r} routes to unknown upstream {up!r}", str(up))
    tiers = v.get("tiers", list(TIERS))
    for t in tiers:
        if t not in TIERS:
            raise lines.error(
                f"unknown tier {t!r} in model {name!r} (tiers are {', '.join(TIERS)})", f'"{t}"'
            )
    return ModelEntry(up, tuple(tiers))


def _tier(name: str, v: Any, lines: _Lines, known_up: set[str]) -> TierPolicy:
    if not isinstance(v, dict):
        raise lines.error(f"tier {name!r} must be a table", name)
    start = (lines.find(f"tiers.{name}") or 1) - 1
    for k in v:
        if k not in _TIER_KEYS:
            raise lines.error(f"unknown key {k!r} in tier {name}", k, after=start)
    rules = []
    for r in v.get("rules", []):
        rules.append(_rule(name, r, lines, known_up, start))
    rate = v.get("rate_per_s", 1.0)
    burst = v.get("burst", 10)
    daily = v.get("daily_requests", 1000)
    for k, val in (("rate_per_s", rate), ("burst", burst), ("daily_requests", daily)):
        if not isinstance(val, int | float) or isinstance(val, bool) or val <= 0:
            raise lines.error(f"{k} in tier {name} must be a positive number", k, after=start)
    return TierPolicy(float(rate), int(burst), int(daily), tuple(rules))


def _rule(tier: str, r: Any, lines: _Lines, known_up: set[str], start: int) -> Rule:
    if not isinstance(r, dict):
        raise lines.error(f"a rule of tier {tier} must be a table", "rules", after=start)
    for k in r:
        if k not in _RULE_KEYS:
            raise lines.error(f"unknown key {k!r} in a rule of tier {tier}", k, after=start)
    det, action = r.get("detector"), r.get("action")
    if det not in DETECTORS:
        raise lines.error(
            f"unknown detector {det!r} in tier {tier} (detectors: {', '.join(DETECTORS)})",
            f'"{det}"',
            after=start,
        )
    if action not in ACTIONS:
        raise lines.error(
            f"unknown action {action!r} in tier {tier} (actions: {', '.join(ACTIONS)})",
            f'"{action}"',
            after=start,
        )
    on = r.get("on", "request")
    if on not in SIDES:
        raise lines.error(f"on must be request or response, not {on!r}", f'"{on}"', after=start)
    label = r.get("label")
    if label is not None and (det != "cyber-offense" or label not in CYBER_LABELS):
        raise lines.error(
            f"label {label!r} is not one of {', '.join(CYBER_LABELS)} (cyber-offense only)",
            f'"{label}"',
            after=start,
        )
    scope = r.get("scope")
    if scope is not None and (det != "cyber-offense" or scope not in SCOPES):
        raise lines.error(
            f"scope must be one of {', '.join(SCOPES)} (cyber-offense only)", "scope", after=start
        )
    up = r.get("upstream")
    if action == "route" and up not in known_up:
        raise lines.error(
            f"route needs upstream = one of {', '.join(sorted(known_up))}", "route", after=start
        )
    ms = r.get("min_score")
    if ms is not None and (not isinstance(ms, int | float) or isinstance(ms, bool)):
        raise lines.error("min_score must be a number", "min_score", after=start)
    return Rule(
        det,
        action,
        on,
        label,
        None if ms is None else float(ms),
        scope,
        up,
        r.get("message_ko"),
        r.get("message_en"),
    )


__all__ = [
    "ACTIONS",
    "DETECTORS",
    "SEVERITY",
    "ModelEntry",
    "Policy",
    "Rule",
    "Settings",
    "TierPolicy",
    "Upstream",
    "default_policy_text",
    "load_policy",
    "parse_policy",
]
