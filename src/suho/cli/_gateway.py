"""``suho gateway``: serve the trusted-access gateway, manage its keys, check its audit log,
and measure what it blocks. FastAPI and uvicorn are imported only by ``serve``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from suho.cli._common import DbOpt
from suho.errors import SuhoInputError

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _engine(db: str | None, *, create: bool) -> Engine:
    from suho.cli._common import open_store
    from suho.gateway import ensure_schema

    store = open_store(db, create=create)
    ensure_schema(store.engine)
    engine: Engine = store.engine
    return engine


def serve(
    upstream: Annotated[
        str | None,
        typer.Option(
            "--upstream",
            help="Target behind the gateway, PROVIDER:MODEL (default: the embedded local model).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Base URL of the upstream's OpenAI-compatible API."),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy TOML file (default: the shipped policy)."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8088,
    db: DbOpt = None,
    api_key_env: Annotated[
        str | None,
        typer.Option("--api-key-env", help="Environment variable holding the upstream's API key."),
    ] = None,
    key_refresh: Annotated[
        float,
        typer.Option(
            "--key-refresh", help="Seconds between re-reads of the key table (revocations)."
        ),
    ] = 2.0,
) -> None:
    """Serve the OpenAI-compatible gateway (/v1/chat/completions, /v1/models, /healthz, /metrics)."""
    from suho.gateway._policy import load_policy
    from suho.targets import DEFAULT_TARGET

    pol = load_policy(policy)
    try:
        import uvicorn

        from suho.gateway._app import GatewayConfig, create_app
    except ImportError as e:
        raise SuhoInputError(
            "the gateway needs FastAPI and uvicorn: pip install 'suho[gateway]'"
        ) from e
    spec = upstream or DEFAULT_TARGET
    from suho.targets import TargetSpec

    TargetSpec.parse(spec)
    _engine(db, create=True)  # bad --db is a one-line error before the server starts
    cfg = GatewayConfig(
        upstream=spec,
        policy=pol,
        db=db,
        base_url=base_url,
        api_key_env=api_key_env,
        key_refresh_s=key_refresh,
    )
    sys.stderr.write(f"suho gateway: {spec} on http://{host}:{port} (policy {pol.source})\n")
    uvicorn.run(
        create_app(cfg),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=5,
        # a last-resort cap on open connections (uvicorn answers a bare 503 past it); the
        # gateway sheds with its own 503 + Retry-After well before that
        limit_concurrency=pol.settings.max_in_flight * 4 + 256,
        h11_max_incomplete_event_size=64 * 1024,
    )


def keys_add(
    tier: Annotated[
        str,
        typer.Option(
            "--tier", help="T0 standard, T1 verified, T2 defender with scope, T3 internal."
        ),
    ],
    owner: Annotated[str, typer.Option("--owner", help="Who the key is for.")],
    scope: Annotated[
        str | None,
        typer.Option(
            "--scope", help="T2 engagement scope: hosts, *.domains, CIDRs, comma-separated."
        ),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="When the key stops working: 30d, 12h, 45m or an ISO date."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Create a key. It is printed once, alone on the last line, and stored only as a hash."""
    from suho.gateway._keys import KeyStore, parse_expires, parse_scope

    engine = _engine(db, create=True)
    key, rec = KeyStore(engine).add(
        tier=tier.upper(), owner=owner, scope=parse_scope(scope), expires_at=parse_expires(expires)
    )
    typer.echo(
        f"key id {rec.key_id}, tier {rec.tier}, owner {rec.owner}"
        + (f", scope {','.join(rec.scope)}" if rec.scope else "")
    )
    typer.echo("store this key now: it is shown only once")
    typer.echo(key)


def keys_list(
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List keys (ids, owners, tiers, state; never the keys)."""
    import datetime as dt
    import json

    from suho.gateway._keys import KeyStore

    recs = KeyStore(_engine(db, create=False)).all()
    if as_json:
        typer.echo(json.dumps([r.public() for r in recs], ensure_ascii=False, indent=2))
        return
    if not recs:
        typer.echo("no keys (create one with `suho gateway keys add`)")
        return

    def when(ts: float | None) -> str:
        return (
            "-" if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M")
        )

    typer.echo(f"{'key id':14} {'tier':4} {'state':8} {'expires':16} {'owner':20} scope")
    for r in recs:
        state = "revoked" if r.revoked else ("expired" if r.expired() else "active")
        typer.echo(
            f"{r.key_id:14} {r.tier:4} {state:8} {when(r.expires_at):16} {r.owner[:20]:20} {','.join(r.scope)}"
        )


def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (from `keys list`), not the key.")],
    db: DbOpt = None,
) -> None:
    """Revoke a key; a running gateway refuses it within its key-refresh interval."""
    from suho.gateway._keys import KeyStore, split_key

    parts = split_key(key_id)
    kid = parts[0] if parts else key_id
    rec = KeyStore(_engine(db, create=False)).revoke(kid)
    typer.echo(f"revoked key {rec.key_id} ({rec.tier}, {rec.owner})")


def verify_log(db: DbOpt = None) -> None:
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first bad entry."""
    from suho.gateway._audit import verify

    v = verify(_engine(db, create=False))
    if v.ok:
        typer.echo(f"audit log intact: {v.entries} entries, head {v.head}")
        return
    typer.echo(
        f"audit log BROKEN at entry {v.bad_seq}: {v.reason} ({v.entries} entries verified before it)"
    )
    raise typer.Exit(1)


def evaluate(
    gateway: Annotated[
        str,
        typer.Option(
            "--gateway", help="Base URL of a running gateway, e.g. http://127.0.0.1:8088/v1."
        ),
    ],
    keys: Annotated[
        str,
        typer.Option(
            "--keys",
            help="Keys per tier: T0=KEY,T1=KEY,... (or T0=env:VAR to read one from the environment).",
        ),
    ],
    direct: Annotated[
        str | None,
        typer.Option(
            "--direct", help="The upstream, called directly for the baseline: PROVIDER:MODEL."
        ),
    ] = None,
    direct_base_url: Annotated[
        str | None, typer.Option("--direct-base-url", help="Base URL of the direct upstream.")
    ] = None,
    suites: Annotated[
        str, typer.Option("--suites", help="Suites to send (comma-separated).")
    ] = "cyber,over-refusal",
    transforms: Annotated[
        str,
        typer.Option(
            "--transforms",
            help="Korean obfuscations applied to the Korean harmful probes as extra attacks.",
        ),
    ] = "jamo,zwsp,spacing",
    lang: Annotated[
        str | None, typer.Option("--lang", help="Only these languages (ko,en).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many probes per suite.")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests at once.")] = 4,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the JSON report here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
) -> None:
    """Send suho suites through the gateway per tier and directly; report attack-success reduction
    and benign requests wrongly blocked, per tier and language, with 95% Wilson intervals."""
    import asyncio
    import json

    from suho.cli._common import split_csv
    from suho.gateway._evaluate import EvalPlan, parse_keys, render_text, run_evaluation

    plan = EvalPlan(
        gateway=gateway.rstrip("/"),
        keys=parse_keys(keys),
        direct=direct,
        direct_base_url=direct_base_url,
        suites=tuple(split_csv(suites)),
        transforms=tuple(split_csv(transforms)),
        langs=tuple(split_csv(lang)),
        limit=limit,
        concurrency=max(1, concurrency),
    )
    report = asyncio.run(run_evaluation(plan))
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n" if as_json else render_text(report))
