"""The ``modelwire`` command line: ``generate``, ``serve`` and ``train``."""

from __future__ import annotations

import inspect
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from modelwire.core.errors import SchemaError
from modelwire.core.library import LibraryImportError
from modelwire.runtime.config import settings_table

app = typer.Typer(
    help="Typed Python model wrappers served as versioned gRPC contracts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

AppDir = Annotated[
    Path | None,
    typer.Option(help="Folder to put first on the import path (where LIBRARY lives)."),
]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def generate(
    library: Annotated[
        str, typer.Argument(help="Python package that declares the API.")
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the API into.")],
    app_dir: AppDir = None,
    lock: Annotated[
        Path | None,
        typer.Option(help="Field-number lock (default: in the library's folder)."),
    ] = None,
    allow_breaking: Annotated[
        list[str] | None,
        typer.Option(help="Type.field whose number or type may change ('*' for all)."),
    ] = None,
    clients: Annotated[
        str,
        typer.Option(
            help="Client flavours to write under OUT/clients, comma-separated."
        ),
    ] = "",
    client_name: Annotated[
        str | None, typer.Option(help="Client package name (default: derived).")
    ] = None,
    client_version: Annotated[
        str | None,
        typer.Option(help="Client package version (default: the library's)."),
    ] = None,
    go_module: Annotated[
        str | None, typer.Option(help="Module path of the go client.")
    ] = None,
    verbose: bool = False,
) -> None:
    """Write versioned .proto files and buf.yaml for LIBRARY; update its field lock."""
    from modelwire.generator import generate as run_generate
    from modelwire.generator.clients import ClientSettings, ToolchainMissing

    _setup_logging(verbose)
    try:
        result = run_generate(
            library,
            out,
            app_dir=app_dir,
            lock_path=lock,
            allow_breaking=frozenset(allow_breaking or ()),
            clients=[c.strip() for c in clients.split(",") if c.strip()],
            client_settings=ClientSettings(client_name, client_version, go_module),
        )
    except (SchemaError, LibraryImportError, ToolchainMissing, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for path in result.written:
        typer.echo(f"wrote {path}")
    for path in result.removed:
        typer.echo(f"removed {path}")
    typer.echo(f"field lock: {result.lock_path}")


def serve(**params: Any) -> None:
    """Serve LIBRARY over gRPC (and HTTP/JSON) with the models in --models.

    Every setting comes from --config FILE (or $MODELWIRE_CONFIG), then
    MODELWIRE_<SECTION>_<KEY> variables, then these flags; see
    docs/configuration.md.
    """
    from modelwire.runtime.config import ConfigError, load_config, render
    from modelwire.runtime.launch import build_runtime
    from modelwire.runtime.ops.logs import configure_logging
    from modelwire.runtime.server import serve_forever

    flags = {row.name: params.get(row.param) for row in settings_table()}
    if params.get("verbose") and flags["logging.level"] is None:
        flags["logging.level"] = "DEBUG"
    try:
        loaded = load_config(params.get("config"), os.environ, flags)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if params.get("print_config"):
        typer.echo(render(loaded).rstrip("\n"))
        return
    configure_logging(loaded.config.logging.level, loaded.config.logging.format)
    try:
        runtime = build_runtime(loaded.config)
    except (SchemaError, LibraryImportError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    serve_forever(runtime)


def _serve_parameters() -> list[inspect.Parameter]:
    """One flag per setting (settings_table), plus --config and --print-config."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = []
    for row in settings_table():
        help_text = f"{row.meta.help} [{row.env}; default: {row.default}]"
        kind = row.type | None
        if row.flag == "":
            info: Any = typer.Argument(help=help_text, show_default=False)
        elif row.type is bool:
            negative = "--no-" + row.flag.removeprefix("--")
            info = typer.Option(
                f"{row.flag}/{negative}", help=help_text, show_default=False
            )
        else:
            info = typer.Option(row.flag, help=help_text, show_default=False)
        annotation = Annotated[kind, info]  # type: ignore[valid-type]
        parameters.append(
            inspect.Parameter(row.param, keyword, default=None, annotation=annotation)
        )
    extra = {
        "config": (Path | None, typer.Option(help="YAML configuration file.")),
        "print_config": (
            bool,
            typer.Option(help="Print the merged configuration and exit."),
        ),
        "verbose": (bool, typer.Option(help="Same as --log-level DEBUG.")),
    }
    for name, (kind, info) in extra.items():
        default = False if kind is bool else None
        annotation = Annotated[kind, info]  # type: ignore[valid-type]
        parameters.append(
            inspect.Parameter(name, keyword, default=default, annotation=annotation)
        )
    return parameters


serve.__signature__ = inspect.Signature(_serve_parameters())  # type: ignore[attr-defined]
serve.__annotations__ = {}
app.command()(serve)


@app.command()
def train(
    library: Annotated[
        str, typer.Argument(help="Python package that declares the API.")
    ],
    module: Annotated[
        str, typer.Argument(help="Module id or class name of a module with train().")
    ],
    data: Annotated[Path, typer.Option(help="Training examples, .jsonl or .csv.")],
    out: Annotated[Path, typer.Option(help="Model folder to write (replaced).")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="A train() parameter as NAME=VALUE (JSON value); repeatable."
        ),
    ] = None,
    app_dir: AppDir = None,
    verbose: bool = False,
) -> None:
    """Train a model of MODULE on --data and save it to --out, with a progress bar."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from modelwire.core.library import import_library
    from modelwire.core.registry import REGISTRY
    from modelwire.runtime.training import local

    _setup_logging(verbose)
    try:
        import_library(library, app_dir)
        built = REGISTRY.build()
        method = local.find_train_method(built, library, module)
        params = local.parse_params(method, built, param or [])
    except (SchemaError, LibraryImportError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        job = bar.add_task(f"training {method.module.id}", total=1.0)

        def show(fraction: float, note: str) -> None:
            bar.update(job, completed=fraction, description=note or "training")

        try:
            saved = local.train_to_folder(method, data, out, params, show)
        except Exception as exc:
            typer.echo(f"error: training failed: {type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(1) from None
        bar.update(job, completed=1.0, description="trained")
    typer.echo(f"saved the model to {saved}")


@app.command()
def health(
    config: Annotated[
        Path | None, typer.Option(help="The server's YAML configuration file.")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="host:port to check (default: from the configuration)."),
    ] = None,
    service: Annotated[
        str, typer.Option(help="Service to check ('' for the whole server).")
    ] = "",
    tls_ca: Annotated[
        Path | None,
        typer.Option(help="PEM CA that signed the server's certificate; uses TLS."),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM client certificate, for mTLS.")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="PEM key of the client certificate.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 5.0,
) -> None:
    """Exit 0 when the server reports SERVING (for container health checks)."""
    from modelwire.runtime.config import ConfigError, load_config
    from modelwire.runtime.ops.probe import ClientTls, check_health

    try:
        loaded = load_config(config, os.environ)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    tls = None
    if tls_ca or tls_cert or loaded.config.tls.cert_file is not None:
        tls = ClientTls(tls_ca, tls_cert, tls_key)
    status = check_health(loaded.config, address, service, timeout, tls)
    typer.echo(status)
    raise typer.Exit(0 if status == "SERVING" else 1)


def main() -> None:
    app()
