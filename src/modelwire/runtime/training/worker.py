"""What runs inside a training's worker process.

The server starts one process per training (``spawn``: a fresh interpreter,
so no lock or thread of the server's is copied into it). The process imports
the library, calls the module's ``train()``, saves the result with
``save_model`` and reports over a one-way pipe: ``("progress", fraction,
note)`` as often as the module reports, then ``("done", "")`` or
``("error", reason)``. If the process dies without a last word, the server
reads end-of-file on the pipe and knows it crashed.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
#: Seconds between the worker's checks that the server is still alive.
ORPHAN_CHECK_INTERVAL = 0.5


@dataclass(frozen=True)
class TrainingOrder:
    """Everything a worker needs; crosses the process boundary by pickling."""

    training_id: str
    library: str
    app_dir: str | None
    module_id: str
    #: inline examples, each in the proto3 JSON form of the data object
    examples_json: tuple[str, ...]
    #: or a JSON Lines / CSV file the server already checked
    data_file: str | None
    params: dict[str, Any]
    #: folder to save the trained model to; it must not exist yet
    out_dir: str


def run_training(order: TrainingOrder, pipe: Connection) -> None:
    """The worker process's entry point."""
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s %(levelname)s training {order.training_id}: %(message)s",
    )
    _exit_with_parent()
    try:
        instance = _train(order, pipe)
        _save(instance, Path(order.out_dir))
    except BaseException as exc:
        logger.exception("training failed")
        pipe.send(("error", _reason(exc)))
        pipe.close()
        sys.exit(1)
    pipe.send(("done", ""))
    pipe.close()


def _exit_with_parent() -> None:
    """Ends this worker when the server that started it dies (it is re-parented).

    A server killed outright cannot stop its workers; without this check a
    long training would run on with nobody to report to.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_INTERVAL)
        os._exit(3)

    threading.Thread(target=watch, name="orphan-check", daemon=True).start()


def _train(order: TrainingOrder, pipe: Connection) -> Any:
    from modelwire.core.library import import_library
    from modelwire.core.registry import REGISTRY
    from modelwire.runtime.training.local import train_model

    import_library(order.library, Path(order.app_dir) if order.app_dir else None)
    spec = REGISTRY.module(order.module_id)
    assert spec.training is not None
    examples = _examples(order, spec.training.data_type)
    logger.info("training %s on %d examples", spec.id, len(examples))

    def send_progress(fraction: float, note: str) -> None:
        pipe.send(("progress", fraction, note))

    return train_model(spec, examples, order.params, send_progress)


def _examples(order: TrainingOrder, data_type: type) -> list[Any]:
    if order.data_file is not None:
        from modelwire.runtime.training.data import read_examples

        return read_examples(Path(order.data_file), data_type)
    return [data_type.from_json(text) for text in order.examples_json]  # type: ignore[attr-defined]


def _save(instance: Any, out_dir: Path) -> None:
    from modelwire.core.model_dir import save_model

    save_model(instance, out_dir)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"train() called sys.exit({exc.code!r})"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
