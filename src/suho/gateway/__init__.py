"""The trusted-access gateway: tiered, audited, Korean-aware access to any suho target.

``create_app`` builds the FastAPI server; ``KeyStore`` manages API keys; ``AuditLog`` and
``verify`` keep and check the hash-chained audit log; ``load_policy`` reads a policy file.
FastAPI and uvicorn are needed only to serve (the ``gateway`` extra).
"""

from typing import TYPE_CHECKING

from suho._lazy import lazy_attributes

if TYPE_CHECKING:
    from suho.gateway._app import Gateway, GatewayConfig, create_app
    from suho.gateway._audit import AuditLog, Verification, verify
    from suho.gateway._keys import TIERS, KeyRecord, KeyStore
    from suho.gateway._policy import Policy, load_policy, parse_policy
    from suho.gateway._schema import ensure_schema

_LAZY = {
    "Gateway": "suho.gateway._app",
    "GatewayConfig": "suho.gateway._app",
    "create_app": "suho.gateway._app",
    "AuditLog": "suho.gateway._audit",
    "Verification": "suho.gateway._audit",
    "verify": "suho.gateway._audit",
    "TIERS": "suho.gateway._keys",
    "KeyRecord": "suho.gateway._keys",
    "KeyStore": "suho.gateway._keys",
    "Policy": "suho.gateway._policy",
    "load_policy": "suho.gateway._policy",
    "parse_policy": "suho.gateway._policy",
    "ensure_schema": "suho.gateway._schema",
}

__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "TIERS",
    "AuditLog",
    "Gateway",
    "GatewayConfig",
    "KeyRecord",
    "KeyStore",
    "Policy",
    "Verification",
    "create_app",
    "ensure_schema",
    "load_policy",
    "parse_policy",
    "verify",
]
