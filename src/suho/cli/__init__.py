"""The ``suho`` command line (Typer). One module per command group; heavy imports are lazy."""

from __future__ import annotations

import sys

import typer

from suho import __version__
from suho.cli import (
    _agent,
    _compare,
    _cyber,
    _detectors,
    _export,
    _gateway,
    _import,
    _korean,
    _models,
    _probes,
    _runs,
    _scan,
    _text,
)
from suho.cli._errors import EXIT_INPUT, SuhoGroup
from suho.cli._i18n import UI_LANGS, localize, set_ui, split_ui, t, ui_from_env
from suho.errors import SuhoInputError

app = typer.Typer(
    name="suho",
    help="suho (수호): Korean-first AI security evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=SuhoGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"suho {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        help="Print the traceback of an error too (also SUHO_DEBUG=1). Exit codes: 0 ok, "
        "1 gate failed, 2 bad input or environment, 3 internal error, 130 interrupted.",
    ),
    ui: str | None = typer.Option(
        None,
        "--ui",
        metavar="ko|en",
        help="Language of help and messages: ko or en (default: SUHO_UI, else the locale).",
    ),
) -> None:
    """suho (수호): red-team LLMs and agents in Korean and English, and measure the gap."""


app.command()(_scan.scan)
app.command()(_scan.resume)
app.command()(_runs.runs)
app.command()(_runs.report)
app.command()(_compare.compare)
app.command()(_export.export)
app.command()(_text.detect)
app.command()(_text.transform)
app.command()(_text.transforms)
app.command()(_korean.normalize)

detectors_app = typer.Typer(
    help="Detectors: list them, measure their accuracy.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
detectors_app.command(name="list")(_text.detectors)
detectors_app.command(name="eval")(_detectors.eval_cmd)
app.add_typer(detectors_app, name="detectors")
app.command()(_probes.probes)
app.command()(_probes.suites)
app.add_typer(_import.import_app, name="import")

models_app = typer.Typer(
    help="Embedded local models: install, list and serve them.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
models_app.command(name="install")(_models.install)
models_app.command(name="list")(_models.list_models)
models_app.command(name="serve")(_models.serve)
app.add_typer(models_app, name="models")
app.add_typer(_agent.agent_app, name="agent")

cyber_app = typer.Typer(
    help="The cyber range: sandboxed offense tasks and their defense twins.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
cyber_app.command(name="list")(_cyber.list_cmd)
cyber_app.command(name="run")(_cyber.run_cmd)
cyber_app.command(name="check")(_cyber.check_cmd)
cyber_app.command(name="sandbox-check")(_cyber.sandbox_check)
app.add_typer(cyber_app, name="cyber")

gateway_app = typer.Typer(
    help="The trusted-access gateway: serve it, manage keys, verify the audit log, evaluate it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
gateway_app.command(name="serve")(_gateway.serve)
gateway_app.command(name="verify-log")(_gateway.verify_log)
gateway_app.command(name="evaluate")(_gateway.evaluate)
gateway_keys_app = typer.Typer(
    help="API keys: add (printed once), list, revoke.", no_args_is_help=True, rich_markup_mode=None
)
gateway_keys_app.command(name="add")(_gateway.keys_add)
gateway_keys_app.command(name="list")(_gateway.keys_list)
gateway_keys_app.command(name="revoke")(_gateway.keys_revoke)
gateway_app.add_typer(gateway_keys_app, name="keys")
app.add_typer(gateway_app, name="gateway")


def main() -> None:
    """Run the command line in this process: bad input or configuration prints one clear line
    and exits 2 (``SystemExit``, like any Click program); see ``suho.cli._errors`` for the
    other codes. The commands run inside ``SuhoGroup``'s error boundary; this catches what
    fails outside any command."""
    try:
        _run(sys.argv[1:])
    except SuhoInputError as e:
        sys.stderr.write(t("error", msg=e) + "\n")
        sys.exit(EXIT_INPUT)
    except BrokenPipeError:  # `suho probes | head`
        sys.stderr.close()
        sys.exit(0)


def _run(argv: list[str]) -> None:
    """Choose the language (``--ui``, ``SUHO_UI``, the locale), build the command tree in it,
    and run ``argv``. ``--ui`` is taken out first, so it works anywhere on the line."""
    chosen, args = split_ui(argv)
    if chosen is not None and chosen not in UI_LANGS:
        raise SuhoInputError(f"--ui {chosen!r}: choose one of {', '.join(UI_LANGS)}")
    lang = chosen or ui_from_env()
    set_ui(lang)
    cmd = typer.main.get_command(app)
    if lang == "ko":
        localize(cmd)
    cmd.main(args)


def entry() -> None:
    """The ``suho`` program (console script and ``python -m suho``): ``main``, then a fast exit.

    When the command is over, the process ends without tearing the interpreter down module by
    module: stores are closed and output is flushed first. Measured (docs/benchmarks.md, "Start-up
    tricks", bench/bench_tricks.py): the teardown costs 0.14-0.24 s of CPU after a scan, and
    skipping it saves 6.0-10.6% of the 300-prompt spine scan's wall time, over the 5% a trick
    must earn to stay (issue 14).
    ``SUHO_SLOW_EXIT=1`` keeps the normal exit (for profilers and coverage), as do a code that
    is not a number and threads still running. Only for a process of its own: code that calls
    ``main`` in-process keeps its interpreter.
    """
    code: int | str | None = 0
    try:
        main()
    except SystemExit as e:
        code = e.code
    _exit(code)


def _exit(code: int | str | None) -> None:
    import os
    import threading

    from suho.cli._common import close_stores

    close_stores()
    slow = os.environ.get("SUHO_SLOW_EXIT", "") not in ("", "0")
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if slow or others or not isinstance(code, int | None):
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a closed pipe or stream: nothing more to say
        pass
    import logging

    logging.shutdown()
    os._exit(code or 0)
