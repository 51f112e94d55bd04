"""Loaded models, keyed by model id (the folder name under the models directory).

Reads stay lock-free dictionary lookups. A store that watches a models
directory can also load lazily (on a model's first call) and sync (load new
folders, drop vanished ones). A folder that cannot be loaded yet, typically
because it is still being copied, is remembered with the reason and a
fingerprint of its files; it is tried again once the files change, and calls
to it meanwhile get UNAVAILABLE rather than a fault.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

from modelwire.core.model_dir import CONFIG_FILE, ModelConfigError, read_config
from modelwire.core.modules import ModuleSpec
from modelwire.core.registry import Registry
from modelwire.runtime.executors import (
    BatchSettings,
    Executor,
    make_executor,
)
from modelwire.runtime.status import Failure

logger = logging.getLogger(__name__)
MAX_MODEL_ID_LENGTH = 128
#: What a folder that cannot be loaded may raise; anything else is logged in full.
_NOT_READY = (ModelConfigError, KeyError, ValueError, OSError)


class ModelState(enum.Enum):
    """Names match the lifecycle API's ``ModelState`` values."""

    NOT_LOADED = "NOT_LOADED"
    LOADING = "LOADING"
    LOADED = "LOADED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    module: ModuleSpec
    instance: Any
    path: Path
    load_seconds: float
    #: py_names of request fields this module's run() accepts
    accepted: frozenset[str]
    executor: Executor


@dataclass(frozen=True)
class ModelRecord:
    """What the store knows about one model, loaded or not."""

    model_id: str
    path: Path | None
    state: ModelState
    module_id: str = ""
    error: str = ""
    loaded_at: datetime | None = None
    load_seconds: float | None = None
    #: the folder's files when it was last tried, see ``folder_fingerprint``
    fingerprint: tuple[int, int, int] | None = None


class ModelStore:
    """Holds the ready models; reads are lock-free dictionary lookups."""

    def __init__(
        self,
        registry: Registry,
        module_ids: set[str] | None = None,
        batching: BatchSettings | None = None,
    ) -> None:
        self._registry = registry
        self._module_ids = module_ids
        self._batching = batching or BatchSettings()
        self._models: dict[str, LoadedModel] = {}
        self._records: dict[str, ModelRecord] = {}
        self._write_lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}
        self.models_dir: Path | None = None
        self.lazy = False

    # ------------------------------------------------------------- reading

    def get(self, model_id: str) -> LoadedModel | None:
        model = self._models.get(model_id)
        if model is not None or not self.lazy:
            return model
        return self._load_on_call(model_id)

    def ids(self) -> list[str]:
        return sorted(self._models)

    def record(self, model_id: str) -> ModelRecord | None:
        """What is known about ``model_id``; lazily served folders count too."""
        record = self._records.get(model_id)
        if record is None and self.lazy and self._folder(model_id) is not None:
            return ModelRecord(model_id, self._folder(model_id), ModelState.NOT_LOADED)
        return record

    def records(self) -> list[ModelRecord]:
        return [self._records[key] for key in sorted(self._records)]

    # ------------------------------------------------------------- loading

    def load(self, model_id: str, path: Path) -> LoadedModel:
        check_model_id(model_id)
        path = Path(path)
        fingerprint = folder_fingerprint(path)
        self._note(ModelRecord(model_id, path, ModelState.LOADING))
        try:
            model = self._load(model_id, path)
        except BaseException as exc:
            self._note(
                ModelRecord(
                    model_id,
                    path,
                    ModelState.FAILED,
                    error=_reason(exc),
                    fingerprint=fingerprint,
                )
            )
            raise
        self._note(
            ModelRecord(
                model_id,
                path,
                ModelState.LOADED,
                module_id=model.module.id,
                loaded_at=datetime.now(UTC),
                load_seconds=model.load_seconds,
                fingerprint=fingerprint,
            )
        )
        return model

    def _load(self, model_id: str, path: Path) -> LoadedModel:
        config = read_config(path)
        spec = self.check_module(config.module_id)
        started = time.perf_counter()
        instance = spec.cls.load(path)
        seconds = time.perf_counter() - started
        model = self._install(model_id, spec, instance, path, seconds)
        logger.info("loaded model %s (%s) in %.2f s", model_id, spec.id, seconds)
        return model

    def check_module(self, module_id: str) -> ModuleSpec:
        """The module named by a model's config, if this store may serve it.

        Raises KeyError for an unknown module, ValueError for one of another
        library.
        """
        spec = self._registry.module(module_id)
        if self._module_ids is not None and spec.id not in self._module_ids:
            raise ValueError(
                f"module {spec.id!r} does not belong to the served library"
            )
        return spec

    def add(self, model_id: str, instance: Any) -> LoadedModel:
        """Serves an instance that is already in memory (tests, embedding)."""
        check_model_id(model_id)
        spec = type(instance).__mw_module__
        model = self._install(model_id, spec, instance, Path(), 0.0)
        self._note(
            ModelRecord(
                model_id, None, ModelState.LOADED, spec.id, loaded_at=datetime.now(UTC)
            )
        )
        return model

    def unload(self, model_id: str) -> bool:
        """Stops serving ``model_id``; calls already holding it finish normally.

        Returns whether the model was loaded.
        """
        with self._write_lock:
            old = self._models.get(model_id)
            self._models = {k: v for k, v in self._models.items() if k != model_id}
            self._records.pop(model_id, None)
        if old is None:
            return False
        old.executor.close()
        logger.info("unloaded model %s", model_id)
        return True

    def close(self) -> None:
        """Stops the batch workers; call after the server has drained."""
        for model in self._models.values():
            model.executor.close()

    def _install(
        self, model_id: str, spec: ModuleSpec, instance: Any, path: Path, seconds: float
    ) -> LoadedModel:
        accepted = frozenset(p.py_name for p in spec.params)
        executor = _Retiring(
            make_executor(instance, spec, self._batching, model_id), instance
        )
        model = LoadedModel(model_id, spec, instance, path, seconds, accepted, executor)
        with self._write_lock:
            old = self._models.get(model_id)
            # Readers take the dictionary without a lock, so it is replaced whole.
            self._models = {**self._models, model_id: model}
        if old is not None:
            old.executor.close()
        return model

    def _note(self, record: ModelRecord) -> None:
        with self._write_lock:
            self._records[record.model_id] = record

    # ---------------------------------------------------- watched directory

    def attach(self, models_dir: Path, lazy: bool = False) -> None:
        """Makes ``models_dir`` this store's folder; ``sync()`` then serves it."""
        self.models_dir = Path(models_dir)
        self.lazy = lazy

    def sync(self) -> tuple[list[str], list[str]]:
        """Brings the store in line with the models directory.

        New complete folders are loaded (or, when lazy, listed as not loaded),
        folders whose ``config.yml`` changed are reloaded, and models whose
        folder vanished are unloaded. Returns the ids loaded and unloaded.
        """
        if self.models_dir is None or not self.models_dir.is_dir():
            return [], []
        folders = {f.name: f for f in _model_folders(self.models_dir)}
        loaded = [
            model_id
            for model_id, folder in folders.items()
            if self._sync_folder(model_id, folder)
        ]
        gone = [
            model_id
            for model_id, model in self._models.items()
            if model_id not in folders and model.path.parent == self.models_dir
        ]
        for model_id in gone:
            self.unload(model_id)
        with self._write_lock:
            for model_id in [k for k in self._records if k not in folders]:
                if model_id not in self._models:
                    del self._records[model_id]
        return loaded, gone

    def _sync_folder(self, model_id: str, folder: Path) -> bool:
        try:
            check_model_id(model_id)
        except ValueError:
            return False
        record = self._records.get(model_id)
        if not self._worth_trying(record, folder):
            return False
        if self.lazy and model_id not in self._models:
            self._note(ModelRecord(model_id, folder, ModelState.NOT_LOADED))
            return False
        try:
            with self._load_lock(model_id):
                self.load(model_id, folder)
        except _NOT_READY as exc:
            logger.warning("model %s not loaded yet: %s", model_id, exc)
            return False
        except Exception:
            logger.exception("model %s not loaded: its module failed", model_id)
            return False
        return True

    def _worth_trying(self, record: ModelRecord | None, folder: Path) -> bool:
        """A folder is (re)loaded when new, changed since it failed, or reconfigured."""
        if record is None:
            return True
        if record.state is ModelState.NOT_LOADED:
            return False
        if record.state is ModelState.LOADING:
            return False
        return record.fingerprint != folder_fingerprint(folder)

    def _load_on_call(self, model_id: str) -> LoadedModel | None:
        folder = self._folder(model_id)
        if folder is None:
            return None
        with self._load_lock(model_id):
            model = self._models.get(model_id)
            if model is not None:
                return model
            record = self._records.get(model_id)
            failed = record is not None and record.state is ModelState.FAILED
            if failed and record.fingerprint == folder_fingerprint(folder):
                raise _unavailable(model_id, record.error)
            try:
                return self.load(model_id, folder)
            except Exception as exc:
                # A folder still being written must not look like a model fault.
                raise _unavailable(model_id, _reason(exc)) from None

    def _folder(self, model_id: str) -> Path | None:
        if self.models_dir is None:
            return None
        try:
            check_model_id(model_id)
        except ValueError:
            return None
        folder = self.models_dir / model_id
        return folder if folder.is_dir() else None

    def _load_lock(self, model_id: str) -> threading.Lock:
        with self._write_lock:
            return self._load_locks.setdefault(model_id, threading.Lock())


class _Retiring:
    """An executor that, once closed, closes its inner one after the last call.

    Unloading a model closes its executor while calls that already hold the
    model may still be about to use it; those calls finish (through ``run``
    directly, if the inner executor has already gone).
    """

    def __init__(self, inner: Executor, instance: Any) -> None:
        self._inner = inner
        self._instance = instance
        self._lock = threading.Lock()
        self._active = 0
        self._retired = False
        self._closed = False

    def call(self, kwargs: dict[str, Any]) -> Any:
        with self._lock:
            closed = self._closed
            if not closed:
                self._active += 1
        if closed:
            return self._instance.run(**kwargs)
        try:
            return self._inner.call(kwargs)
        finally:
            with self._lock:
                self._active -= 1
                close_now = self._retired and self._active == 0 and not self._closed
                self._closed = self._closed or close_now
            if close_now:
                self._inner.close()

    def close(self) -> None:
        with self._lock:
            self._retired = True
            close_now = self._active == 0 and not self._closed
            self._closed = self._closed or close_now
        if close_now:
            self._inner.close()


def check_model_id(model_id: str) -> None:
    """Model ids name folders, so anything that could leave the folder is refused."""
    bad = (
        not model_id
        or len(model_id) > MAX_MODEL_ID_LENGTH
        or model_id in (".", "..")
        or model_id.startswith(".")
        or any(ch in model_id for ch in "/\\\0")
        or not model_id.isprintable()
    )
    if bad:
        raise ValueError(
            f"invalid model id {model_id!r}: use 1-{MAX_MODEL_ID_LENGTH} printable "
            "characters without path separators, not starting with '.'"
        )


def folder_fingerprint(folder: Path) -> tuple[int, int, int]:
    """File count, total size and newest change of a folder's files.

    A copy in progress changes it; a finished folder keeps it, so a folder
    that failed to load is retried only once something in it changed.
    """
    count = size = newest = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:
                continue
            count += 1
            size += stat.st_size
            newest = max(newest, stat.st_mtime_ns)
    return count, size, newest


def folder_size(folder: Path) -> int:
    return folder_fingerprint(folder)[1]


def _model_folders(models_dir: Path) -> list[Path]:
    # Dot folders are work in progress (save_model's and training's temp folders).
    return [
        folder
        for folder in sorted(models_dir.iterdir())
        if folder.is_dir() and not folder.name.startswith(".")
    ]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


def _unavailable(model_id: str, reason: str) -> Failure:
    return Failure(
        grpc.StatusCode.UNAVAILABLE,
        f"model {model_id!r} cannot be loaded yet ({reason}); it is tried again "
        f"once its folder changes, e.g. when {CONFIG_FILE} is complete",
    )
