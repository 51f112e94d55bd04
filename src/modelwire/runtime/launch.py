"""A runtime assembled from the configuration: the server, its operations
extensions (health, reflection, limits, metrics, tracing), the gateway, the
lifecycle services and, when asked, ModelMesh's model-runtime API."""

from __future__ import annotations

from collections.abc import Sequence

from modelwire.runtime.config import Config, ConfigError
from modelwire.runtime.executors import BatchSettings
from modelwire.runtime.lifecycle import LifecycleSettings
from modelwire.runtime.modelmesh import ModelMeshApi, ModelMeshSettings
from modelwire.runtime.ops.calls import CallObserver
from modelwire.runtime.ops.health import HealthExtension
from modelwire.runtime.ops.limits import LimitSettings
from modelwire.runtime.ops.metrics import MetricsExtension, RuntimeMetrics
from modelwire.runtime.ops.reflection import ReflectionExtension
from modelwire.runtime.ops.tls import TlsSettings
from modelwire.runtime.ops.tracing import TracingSettings, make_tracer
from modelwire.runtime.server import (
    Runtime,
    RuntimeExtension,
    ServerSettings,
    create_runtime,
)


def server_settings(config: Config) -> ServerSettings:
    batching = config.batching
    return ServerSettings(
        host=config.server.host,
        port=config.server.port,
        workers=config.server.workers,
        grace=config.server.grace_s,
        batching=BatchSettings(
            batching.enabled, batching.max_size, batching.max_wait_ms / 1000
        ),
        drain_delay=config.server.drain_delay_s,
        max_message_bytes=config.limits.max_message_bytes,
        tls=tls_settings(config),
    )


def tls_settings(config: Config) -> TlsSettings | None:
    tls = config.tls
    if tls.cert_file is None or tls.key_file is None:
        return None
    settings = TlsSettings(tls.cert_file, tls.key_file, tls.client_ca_file)
    settings.check()
    return settings


def ops_extensions(config: Config) -> list[RuntimeExtension]:
    """Health, reflection, limits, metrics, tracing and the gateway, as configured."""
    metrics = RuntimeMetrics() if config.metrics.enabled else None
    tracer = None
    if config.tracing.enabled:
        tracing = config.tracing
        tracer = make_tracer(
            TracingSettings(tracing.service_name, tracing.exporter, tracing.endpoint)
        )
    limits = config.limits
    observer = CallObserver(
        LimitSettings(
            limits.max_message_bytes,
            limits.max_concurrent_requests,
            limits.default_deadline_s,
        ),
        metrics,
        tracer,
    )
    extensions: list[RuntimeExtension] = [HealthExtension(), observer]
    if config.server.reflection:
        extensions.append(ReflectionExtension())
    if metrics is not None:
        extensions.append(
            MetricsExtension(metrics, config.server.host, config.metrics.port)
        )
    if config.http.enabled:
        # Imported only when asked for: uvicorn and Starlette would add a fifth
        # of a second to every gRPC-only start.
        from modelwire.runtime.gateway import HttpGateway

        extensions.append(HttpGateway(config.server.host, config.http.port, observer))
    return extensions


def build_runtime(
    config: Config, extensions: Sequence[RuntimeExtension] = ()
) -> Runtime:
    """The runtime ``config`` describes; ``extensions`` are served beside the ops ones."""
    library = config.library.name
    if not library:
        raise ConfigError(
            "no library to serve: name it (modelwire serve LIBRARY), or set "
            "library.name in the configuration file or MODELWIRE_LIBRARY_NAME"
        )
    models = config.models.dir
    if models is None and not config.modelmesh.enabled:
        raise ConfigError(
            "no models to serve: set models.dir (--models), or modelmesh.enabled "
            "(--modelmesh) to let ModelMesh load them"
        )
    if models is not None and not models.is_dir():
        raise ConfigError(f"models.dir {models} is not a folder")
    data_dir = config.training.data_dir
    if data_dir is not None and not data_dir.is_dir():
        raise ConfigError(f"training.data_dir {data_dir} is not a folder")
    settings = server_settings(config)
    everything = [*ops_extensions(config), *modelmesh_extensions(config), *extensions]
    return create_runtime(
        library,
        models,
        settings,
        config.library.app_dir,
        everything,
        lifecycle_settings(config),
    )


def lifecycle_settings(config: Config) -> LifecycleSettings:
    return LifecycleSettings(
        data_dir=config.training.data_dir,
        lazy=config.models.lazy,
        sync_interval=config.models.sync_interval_s,
        max_trainings=config.training.max_running,
    )


def modelmesh_extensions(config: Config) -> list[RuntimeExtension]:
    if not config.modelmesh.enabled:
        return []
    mesh = ModelMeshSettings(
        capacity_bytes=config.modelmesh.capacity_bytes, models_root=config.models.dir
    )
    return [ModelMeshApi(mesh)]
