from __future__ import annotations

from pathlib import Path

MODELS = {
    "echo": "rtlib.echo",
    "slow": "rtlib.slow_echo",
    "failing": "rtlib.failing",
    "inspector": "rtlib.inspector",
    "counter": "rtlib.counter",
    "summer": "rtlib.summer",
    "running": "rtlib.running",
    "describer": "rtlib.describer",
    "shouter": "rtlib.shouter",
}


def write_models(models_dir: Path, models: dict[str, str]) -> Path:
    for model_id, module_id in models.items():
        folder = models_dir / model_id
        folder.mkdir(parents=True)
        (folder / "config.yml").write_text(f"module_id: {module_id}\n")
    return models_dir


def on(model_id: str) -> list[tuple[str, str]]:
    """Call metadata that picks a model."""
    return [("mm-model-id", model_id)]
