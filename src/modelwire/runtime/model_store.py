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


class ModelStore:
    """Holds the ready models; reads are lock-free dictionary lookups."""

    def __init__(self, registry: Registry, module_ids: set[str] | None = None) -> None:
        self._registry = registry
        self._module_ids = module_ids
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
        accepted = frozenset(p.py_name for p in spec.params)
        model = LoadedModel(model_id, spec, instance, Path(path), seconds, accepted)
        with self._write_lock:
            self._models = {**self._models, model_id: model}
        logger.info("loaded model %s (%s) in %.2f s", model_id, spec.id, seconds)
        return model

    def add(self, model_id: str, instance: Any) -> LoadedModel:
        """Serves an instance that is already in memory (tests, embedding)."""
        check_model_id(model_id)
        spec = type(instance).__mw_module__
        accepted = frozenset(p.py_name for p in spec.params)
        model = LoadedModel(model_id, spec, instance, Path(), 0.0, accepted)
        with self._write_lock:
            self._models = {**self._models, model_id: model}
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
