"""The on-disk form of a model: a folder whose ``config.yml`` names its module.

``config.yml`` holds ``module_id`` and ``module_version``, plus whatever keys
the module's ``save()`` returned. A folder without a complete ``config.yml``
is not a model (it may still be being copied), so it is never loaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = "config.yml"


class ModelConfigError(ValueError):
    """A model folder has no usable ``config.yml``."""


@dataclass(frozen=True)
class ModelConfig:
    module_id: str
    module_version: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


def read_config(model_path: Path) -> ModelConfig:
    """Reads ``config.yml`` of a model folder; every problem is a ``ModelConfigError``."""
    path = Path(model_path) / CONFIG_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelConfigError(f"{path} is missing") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ModelConfigError(f"{path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("module_id"), str):
        raise ModelConfigError(f"{path} must be a mapping with a string 'module_id'")
    settings = {
        k: v for k, v in data.items() if k not in ("module_id", "module_version")
    }
    return ModelConfig(data["module_id"], str(data.get("module_version", "")), settings)


def save_model(instance: Any, model_path: Path) -> Path:
    """Writes a module instance to ``model_path`` atomically.

    The module saves into a temporary sibling folder, the config is written
    last, and the folder is renamed into place, so readers never see half a
    model. An existing model at ``model_path`` is replaced.
    """
    spec = type(instance).__mw_module__
    target = Path(model_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        extra = instance.save(tmp) or {}
        config = {"module_id": spec.id, "module_version": spec.version, **extra}
        (tmp / CONFIG_FILE).write_text(
            yaml.safe_dump(config, sort_keys=True), encoding="utf-8"
        )
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _replace_dir(new: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)
