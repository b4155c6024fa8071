"""RunConfig: everything that determines what a run sends and how, stored with the run.

It never stores a secret: API keys stay in the environment, named by ``api_key_env``, and URLs
are stored without credentials or query string (``stored``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from suho.targets import DEFAULT_TARGET, BaseUrl, public_url


class RunConfig(BaseModel):
    """What to send, to whom, and how hard to push."""

    model_config = ConfigDict(extra="forbid")

    target: str = DEFAULT_TARGET
    base_url: str | None = None
    api_key_env: str | None = None
    system_prompt: str | None = None
    suite: str | None = None
    probes_file: str | None = None
    dataset: str | None = None  # KIND:PATH of a public dataset file (suho.probes.load_dataset)
    dataset_map: dict[str, str] = Field(default_factory=dict)  # suho field -> dataset column
    encoding: str | None = None  # of the probes file or dataset; None: UTF-8
    langs: list[str] = Field(default_factory=list)  # empty: every language
    categories: list[str] = Field(default_factory=list)  # empty: every category
    limit: int | None = Field(default=None, ge=1)  # at most this many probes
    transforms: list[str] = Field(default_factory=list)
    baseline: bool = True  # also send each probe untransformed ("none")
    attacks: list[str] = Field(default_factory=lambda: ["single"])
    repeats: int = Field(default=1, ge=1, le=1000)
    detectors: list[str] = Field(default_factory=lambda: ["refusal"])
    # Constructor options per detector, e.g. {"judge": {"target": "local:qwen2.5-1.5b"}}.
    detector_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Options per attack, e.g. {"crescendo": {"max_turns": 5}} (``--attack-option``).
    attack_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # The attacker model role (PROVIDER:MODEL) for attacks that need one; None: no attacker.
    attacker: str | None = None
    attacker_base_url: str | None = None
    attacker_api_key_env: str | None = None
    # The judge model role when no ``--judge`` names one (attacks that need a judge; the judge
    # detector's own target, when there is one, is the judge role instead).
    judge_model: str | None = None
    # The environment provider (a ``suho.environments`` plugin) for attempts that need one.
    environment: str | None = None
    # Per-episode budget: target calls, target tokens, seconds (None: unlimited).
    max_steps: int | None = Field(default=None, ge=1)
    max_episode_tokens: int | None = Field(default=None, ge=1)
    max_episode_seconds: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=16, ge=1, le=4096)
    rps: float | None = Field(default=None, gt=0)  # requests per second to the target
    # Requests per second to the attacker and to the judge model (``--attacker-rps``,
    # ``--judge-rps``): each role has its own limiter, apart from the target's.
    attacker_rps: float | None = Field(default=None, gt=0)
    judge_rps: float | None = Field(default=None, gt=0)
    timeout: float = Field(default=60.0, gt=0)  # per request, seconds
    retries: int = Field(default=3, ge=0, le=50)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_cap: float = Field(default=30.0, ge=0)
    max_retry_after: float = Field(default=300.0, ge=0)
    max_tokens: int | None = Field(default=512, ge=1)
    temperature: float | None = 0.0
    seed: int = 0
    # Which URLs above had credentials or a query string taken out when the config was stored
    # ("base_url", "detector_options.judge.base_url"): a resume must be given them again.
    redacted: list[str] = Field(default_factory=list)

    @field_validator("langs", "categories", "transforms", "attacks", "detectors")
    @classmethod
    def _strip(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for x in v:
            x = x.strip()
            if x and x not in out:
                out.append(x)
        return out

    @model_validator(mode="after")
    def _options_for_known_attacks(self) -> RunConfig:
        extra = sorted(set(self.attack_options) - set(self.attacks))
        if extra:
            raise ValueError(
                f"attack_options for {', '.join(extra)}, which this run does not use "
                f"(attacks: {', '.join(self.attacks)})"
            )
        return self

    @model_validator(mode="after")
    def _role_limits_need_roles(self) -> RunConfig:
        if self.attacker_rps is not None and not self.attacker:
            raise ValueError("attacker_rps (--attacker-rps) needs an attacker model (--attacker)")
        if self.judge_rps is not None and self.judge_role() is None:
            raise ValueError("judge_rps (--judge-rps) needs a judge model (--judge)")
        return self

    def transform_names(self) -> list[str]:
        names = list(self.transforms)
        if self.baseline and "none" not in names:
            names.insert(0, "none")
        return names or ["none"]

    def judge_role(self) -> dict[str, Any] | None:
        """Where the judge model role comes from: the judge's target in ``detector_options``
        (``--judge SPEC``), else ``judge_model``, or None when the run names no judge model."""
        opts = self.detector_options.get("judge")
        if not opts or not opts.get("target"):
            return {"target": self.judge_model} if self.judge_model else None
        return {k: opts[k] for k in ("target", "base_url", "api_key_env") if opts.get(k)}

    def stored(self) -> dict[str, Any]:
        """The config as stored and reported: URLs without credentials or query string (they
        may hold keys), and ``redacted`` naming the URLs that lost something. The episode fields
        (issue 14) are left out while they hold their defaults, so a single-turn scan's stored
        config, its hash and its report are what they were before them (and so are the role
        rate limits, issue 19)."""
        data = self.model_dump(mode="json")
        redacted = set(self.redacted)
        if self.base_url is not None and BaseUrl.parse(self.base_url).redacted:
            redacted.add("base_url")
        data["base_url"] = public_url(self.base_url)
        if self.attacker_base_url is not None:
            if BaseUrl.parse(self.attacker_base_url).redacted:
                redacted.add("attacker_base_url")
            data["attacker_base_url"] = public_url(self.attacker_base_url)
        for name, opts in data["detector_options"].items():
            url = opts.get("base_url")
            if isinstance(url, str):
                if BaseUrl.parse(url).redacted:
                    redacted.add(f"detector_options.{name}.base_url")
                opts["base_url"] = public_url(url)
        if redacted:
            data["redacted"] = sorted(redacted)
        else:
            del data["redacted"]  # the usual case: stored exactly as before this field existed
        for name in _EPISODE_FIELDS:
            if data.get(name) == _DEFAULTS[name]:
                data.pop(name, None)
        return data

    def hash(self) -> str:
        blob = json.dumps(self.stored(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


_EPISODE_FIELDS = (
    "attack_options",
    "attacker",
    "attacker_base_url",
    "attacker_api_key_env",
    "judge_model",
    "environment",
    "max_steps",
    "max_episode_tokens",
    "max_episode_seconds",
    "attacker_rps",
    "judge_rps",
)
_DEFAULTS: dict[str, Any] = RunConfig().model_dump(mode="json")
