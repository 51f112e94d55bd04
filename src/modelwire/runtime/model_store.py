"""Loaded models, keyed by model id (the folder name under the models directory)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelwire.core.model_dir import ModelConfigError, read_config
from modelwire.core.modules import ModuleSpec
from modelwire.core.registry import Registry
from modelwire.runtime.executors import BatchSettings, Executor, make_executor

logger = logging.getLogger(__name__)
MAX_MODEL_ID_LENGTH = 128


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
        self._write_lock = threading.Lock()

    def get(self, model_id: str) -> LoadedModel | None:
        return self._models.get(model_id)

    def ids(self) -> list[str]:
        return sorted(self._models)

    def load_directory(self, models_dir: Path) -> list[str]:
        """Loads every complete model folder; a bad one is logged and skipped."""
        loaded = []
        for folder in sorted(Path(models_dir).iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                self.load(folder.name, folder)
            except (ModelConfigError, KeyError, ValueError, OSError) as exc:
                logger.error("model %s not loaded: %s", folder.name, exc)
            except Exception:
                logger.exception("model %s not loaded: its module failed", folder.name)
            else:
                loaded.append(folder.name)
        return loaded

    def load(self, model_id: str, path: Path) -> LoadedModel:
        check_model_id(model_id)
        config = read_config(path)
        spec = self._registry.module(config.module_id)
        if self._module_ids is not None and spec.id not in self._module_ids:
            raise ValueError(
                f"module {spec.id!r} does not belong to the served library"
            )
        started = time.perf_counter()
        instance = spec.cls.load(Path(path))
        seconds = time.perf_counter() - started
        model = self._install(model_id, spec, instance, Path(path), seconds)
        logger.info("loaded model %s (%s) in %.2f s", model_id, spec.id, seconds)
        return model

    def add(self, model_id: str, instance: Any) -> LoadedModel:
        """Serves an instance that is already in memory (tests, embedding)."""
        check_model_id(model_id)
        return self._install(
            model_id, type(instance).__mw_module__, instance, Path(), 0.0
        )

    def close(self) -> None:
        """Stops the batch workers; call after the server has drained."""
        for model in self._models.values():
            model.executor.close()

    def _install(
        self, model_id: str, spec: ModuleSpec, instance: Any, path: Path, seconds: float
    ) -> LoadedModel:
        accepted = frozenset(p.py_name for p in spec.params)
        executor = make_executor(instance, spec, self._batching, model_id)
        model = LoadedModel(model_id, spec, instance, path, seconds, accepted, executor)
        with self._write_lock:
            old = self._models.get(model_id)
            # Readers take the dictionary without a lock, so it is replaced whole.
            self._models = {**self._models, model_id: model}
        if old is not None:
            old.executor.close()
        return model


def check_model_id(model_id: str) -> None:
    """Model ids name folders, so anything that could leave the folder is refused."""
    bad = (
        not model_id
        or len(model_id) > MAX_MODEL_ID_LENGTH
        or model_id in (".", "..")
        or any(ch in model_id for ch in "/\\\0")
        or not model_id.isprintable()
    )
    if bad:
        raise ValueError(
            f"invalid model id {model_id!r}: use 1-{MAX_MODEL_ID_LENGTH} printable "
            "characters without path separators"
        )
