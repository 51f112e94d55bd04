"""The ``modelwire`` command line: ``generate`` and ``serve``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelwire.core.errors import SchemaError
from modelwire.core.library import LibraryImportError

if TYPE_CHECKING:
    from modelwire.runtime.server import RuntimeExtension

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


@app.command()
def serve(
    library: Annotated[
        str, typer.Argument(help="Python package that declares the API.")
    ],
    models: Annotated[Path, typer.Option(help="Folder of model folders to load.")],
    port: Annotated[int, typer.Option(help="gRPC port (0 picks a free one).")] = 8085,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    http: Annotated[bool, typer.Option(help="Also serve HTTP/JSON.")] = True,
    http_port: Annotated[
        int, typer.Option(help="HTTP/JSON port (0 picks a free one).")
    ] = 8080,
    workers: Annotated[int, typer.Option(help="Threads serving calls.")] = 8,
    batching: Annotated[
        bool, typer.Option(help="Gather concurrent calls of modules with run_batch.")
    ] = True,
    batch_size: Annotated[int, typer.Option(help="Most calls in one batch.")] = 32,
    batch_wait_ms: Annotated[
        float, typer.Option(help="Longest wait for a batch to fill, in ms.")
    ] = 5.0,
    app_dir: AppDir = None,
    verbose: bool = False,
) -> None:
    """Serve LIBRARY's services over gRPC with the models found in --models."""
    from modelwire.runtime.executors import BatchSettings
    from modelwire.runtime.server import ServerSettings, create_runtime, serve_forever

    _setup_logging(verbose)
    if not models.is_dir():
        typer.echo(f"error: --models {models} is not a folder", err=True)
        raise typer.Exit(2)
    if batch_size < 1 or batch_wait_ms < 0:
        typer.echo(
            "error: --batch-size must be >= 1 and --batch-wait-ms >= 0", err=True
        )
        raise typer.Exit(2)
    batch = BatchSettings(batching, batch_size, batch_wait_ms / 1000)
    settings = ServerSettings(host=host, port=port, workers=workers, batching=batch)
    try:
        extensions = _http_gateway(host, http_port) if http else []
        runtime = create_runtime(library, models, settings, app_dir, extensions)
    except (SchemaError, LibraryImportError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    serve_forever(runtime)


def _http_gateway(host: str, port: int) -> list[RuntimeExtension]:
    # Imported only when asked for: uvicorn and Starlette would add a fifth
    # of a second to every gRPC-only start.
    from modelwire.runtime.gateway import HttpGateway

    return [HttpGateway(host, port)]


def main() -> None:
    app()
