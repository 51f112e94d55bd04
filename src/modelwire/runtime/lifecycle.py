"""The lifecycle API served: training, model management, info, and directory sync.

``create_runtime`` installs ``LifecycleExtension`` whenever the library's
schema has the lifecycle services, so every RPC the generated
``*_management.proto`` declares is served; and ``ModelSync`` when a sync
interval is set.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelwire.core.lifecycle import LifecycleInfo
from modelwire.runtime.management import ModelManager, management_methods
from modelwire.runtime.server import RuntimeExtension

if TYPE_CHECKING:
    from modelwire.runtime.model_store import ModelStore
    from modelwire.runtime.server import Runtime
    from modelwire.runtime.training.manager import TrainingManager

logger = logging.getLogger(__name__)
#: Where the training records live, under the models directory by default.
STATE_DIR = ".modelwire"
TRAININGS_DB = "trainings.sqlite3"


@dataclass(frozen=True)
class LifecycleSettings:
    #: folder whose JSON Lines / CSV files train requests may name
    data_dir: Path | None = None
    #: load a model on its first call instead of at start
    lazy: bool = False
    #: seconds between scans of the models directory; 0 scans only at start
    sync_interval: float = 0.0
    #: SQLite file of the training records (default: in the models directory)
    trainings_db: Path | None = None
    #: trainings that run at once; later ones wait QUEUED
    max_trainings: int = 1


class LifecycleExtension(RuntimeExtension):
    """Serves the training, model management and info services of one library."""

    def __init__(
        self,
        lifecycle: LifecycleInfo,
        models_dir: Path | None,
        settings: LifecycleSettings,
        app_dir: Path | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.models_dir = Path(models_dir) if models_dir is not None else None
        self.settings = settings
        self.app_dir = app_dir
        self.trainings: TrainingManager | None = None
        self.models: ModelManager | None = None

    def install(self, runtime: Runtime) -> None:
        from modelwire.runtime.training.service import training_methods

        self.trainings = self._training_manager(runtime)
        if self.trainings is not None:
            _report_training_jobs(runtime, self.trainings)
        trained = self.trainings.trained_path if self.trainings else None
        self.models = ModelManager(runtime.store, self.models_dir, trained)
        runtime.add_unary_methods(
            training_methods(
                self.lifecycle, runtime.built, self.trainings, self.settings.data_dir
            )
        )
        runtime.add_unary_methods(
            management_methods(self.lifecycle, runtime, self.models)
        )

    def stop(self) -> None:
        if self.trainings is not None:
            self.trainings.close()

    def _training_manager(self, runtime: Runtime) -> TrainingManager | None:
        from modelwire.runtime.training.manager import TrainingManager
        from modelwire.runtime.training.records import JobStore

        if self.models_dir is None:
            return None
        db = self.settings.trainings_db or self.models_dir / STATE_DIR / TRAININGS_DB
        try:
            jobs = JobStore.open(db)
        except (OSError, sqlite3.Error) as exc:
            # A read-only models directory still serves its models.
            logger.warning("training is off: cannot open %s (%s)", db, exc)
            return None
        return TrainingManager(
            jobs,
            runtime.store,
            self.models_dir,
            runtime.library,
            self.app_dir,
            self.settings.max_trainings,
        )


def _report_training_jobs(runtime: Runtime, trainings: TrainingManager) -> None:
    """Training jobs by state in the metrics, when the runtime exports metrics."""
    from modelwire.runtime.ops.metrics import metrics_of

    metrics = metrics_of(runtime)
    if metrics is not None:
        metrics.watch_training_jobs(
            lambda: Counter(record.state.name for record in trainings.list())
        )


class ModelSync(RuntimeExtension):
    """Brings the model store in line with its models directory every few seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._store: ModelStore | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def install(self, runtime: Runtime) -> None:
        self._store = runtime.store

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="model-sync", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        assert self._store is not None
        sync: Callable[[], Any] = self._store.sync
        while not self._stop.wait(self.interval):
            try:
                loaded, unloaded = sync()
            except Exception:
                logger.exception("syncing the models directory failed")
                continue
            if loaded or unloaded:
                logger.info("sync: loaded %s, unloaded %s", loaded, unloaded)


def lifecycle_extensions(
    lifecycle: LifecycleInfo | None,
    models_dir: Path | None,
    settings: LifecycleSettings,
    app_dir: Path | None,
) -> list[RuntimeExtension]:
    """What ``create_runtime`` installs beside the library's own services."""
    extensions: list[RuntimeExtension] = []
    if lifecycle is not None:
        extensions.append(LifecycleExtension(lifecycle, models_dir, settings, app_dir))
    if models_dir is not None and settings.sync_interval > 0:
        extensions.append(ModelSync(settings.sync_interval))
    return extensions
