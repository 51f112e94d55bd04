"""The ``modelwire`` command line: ``generate``, ``serve`` and ``train``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from modelwire.core.errors import SchemaError
from modelwire.core.library import LibraryImportError

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
    models: Annotated[
        Path | None,
        typer.Option(
            help="Folder of model folders to load (optional with --modelmesh)."
        ),
    ] = None,
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
    modelmesh: Annotated[
        bool, typer.Option(help="Serve KServe ModelMesh's model-runtime API.")
    ] = False,
    modelmesh_capacity: Annotated[
        int, typer.Option(help="Bytes of memory offered to ModelMesh for models.")
    ] = 2 << 30,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of training data files train RPCs may name."),
    ] = None,
    lazy: Annotated[
        bool, typer.Option(help="Load each model on its first call.")
    ] = False,
    sync_interval: Annotated[
        float, typer.Option(help="Seconds between scans of --models (0: never).")
    ] = 0.0,
    app_dir: AppDir = None,
    verbose: bool = False,
) -> None:
    """Serve LIBRARY's services over gRPC with the models found in --models."""
    from modelwire.runtime.executors import BatchSettings
    from modelwire.runtime.gateway import HttpGateway
    from modelwire.runtime.lifecycle import LifecycleSettings
    from modelwire.runtime.modelmesh import ModelMeshApi, ModelMeshSettings
    from modelwire.runtime.server import (
        RuntimeExtension,
        ServerSettings,
        create_runtime,
        serve_forever,
    )

    _setup_logging(verbose)
    if models is None and not modelmesh:
        typer.echo("error: --models is needed unless --modelmesh loads them", err=True)
        raise typer.Exit(2)
    if models is not None and not models.is_dir():
        typer.echo(f"error: --models {models} is not a folder", err=True)
        raise typer.Exit(2)
    if modelmesh_capacity < 1:
        typer.echo("error: --modelmesh-capacity must be a number of bytes", err=True)
        raise typer.Exit(2)
    if batch_size < 1 or batch_wait_ms < 0:
        typer.echo(
            "error: --batch-size must be >= 1 and --batch-wait-ms >= 0", err=True
        )
        raise typer.Exit(2)
    batch = BatchSettings(batching, batch_size, batch_wait_ms / 1000)
    settings = ServerSettings(host=host, port=port, workers=workers, batching=batch)
    if data_dir is not None and not data_dir.is_dir():
        typer.echo(f"error: --data-dir {data_dir} is not a folder", err=True)
        raise typer.Exit(2)
    lifecycle = LifecycleSettings(
        data_dir=data_dir, lazy=lazy, sync_interval=max(sync_interval, 0.0)
    )
    try:
        extensions: list[RuntimeExtension] = []
        if http:
            extensions.append(HttpGateway(host, http_port))
        if modelmesh:
            mesh = ModelMeshSettings(
                capacity_bytes=modelmesh_capacity, models_root=models
            )
            extensions.append(ModelMeshApi(mesh))
        runtime = create_runtime(
            library, models, settings, app_dir, extensions, lifecycle
        )
    except (SchemaError, LibraryImportError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    serve_forever(runtime)


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


def main() -> None:
    app()
