"""Every setting of ``modelwire serve``: one YAML file, environment variables
and command-line flags, in rising order of precedence.

The settings model below is the single source: each setting's type,
default, environment variable and flag come from it, and so do the flags of
``modelwire serve`` and the table in docs/configuration.md (a test keeps the
table true). Adding a setting means adding a field to a section; adding a
section means adding a dataclass to ``Config``.
"""

from __future__ import annotations

import difflib
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

ENV_PREFIX = "MODELWIRE_"
#: names the configuration file when --config is not given
CONFIG_ENV = "MODELWIRE_CONFIG"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and where it came from."""


@dataclass(frozen=True)
class Meta:
    help: str
    #: the command-line flag; None: --<section>-<key>; "" for the LIBRARY argument
    flag: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def setting(default: Any, help: str, **meta: Any) -> Any:
    """A ``dataclasses.field`` with the setting's documentation (ruff's RUF009
    cannot tell that it is one, hence the noqa where the default is None)."""
    return field(default=default, metadata={"meta": Meta(help, **meta)})


_PORT = {"minimum": 0, "maximum": 65535}


@dataclass(frozen=True)
class LibrarySection:
    name: str | None = setting(None, "Python package that declares the API.", flag="")
    app_dir: Path | None = setting(  # noqa: RUF009
        None,
        "Folder to put first on the import path (where the library lives).",
        flag="--app-dir",
    )


@dataclass(frozen=True)
class ServerSection:
    host: str = setting(
        "127.0.0.1",
        "Address every port listens on (gRPC, HTTP, metrics).",
        flag="--host",
    )
    port: int = setting(8085, "gRPC port (0 picks a free one).", flag="--port", **_PORT)
    workers: int = setting(
        8,
        "Threads serving calls (plus batch-size per core for calls awaiting "
        "a batch, when a module batches).",
        flag="--workers",
        minimum=1,
    )
    grace_s: float = setting(
        10.0,
        "Seconds in-flight calls get to finish on shutdown.",
        flag="--grace",
        minimum=0,
    )
    drain_delay_s: float = setting(
        0.0,
        "Seconds between reporting NOT_SERVING and closing the port on shutdown.",
        flag="--drain-delay",
        minimum=0,
    )
    reflection: bool = setting(
        True, "Serve gRPC reflection (v1 and v1alpha).", flag="--reflection"
    )


@dataclass(frozen=True)
class HttpSection:
    enabled: bool = setting(True, "Also serve HTTP/JSON.", flag="--http")
    port: int = setting(
        8080, "HTTP/JSON port (0 picks a free one).", flag="--http-port", **_PORT
    )


@dataclass(frozen=True)
class ModelsSection:
    dir: Path | None = setting(  # noqa: RUF009
        None, "Folder of model folders loaded at start.", flag="--models"
    )
    lazy: bool = setting(False, "Load each model on its first call.", flag="--lazy")
    sync_interval_s: float = setting(
        0.0,
        "Seconds between scans of models.dir for new, changed or removed "
        "models (0: only at start).",
        flag="--sync-interval",
        minimum=0,
    )


@dataclass(frozen=True)
class TrainingSection:
    data_dir: Path | None = setting(  # noqa: RUF009
        None,
        "Folder of training data files (JSON Lines, CSV) train calls may name.",
        flag="--data-dir",
    )
    max_running: int = setting(
        1,
        "Trainings that run at once; later ones wait QUEUED.",
        flag="--max-trainings",
        minimum=1,
    )


@dataclass(frozen=True)
class ModelMeshSection:
    enabled: bool = setting(
        False, "Serve KServe ModelMesh's model-runtime API.", flag="--modelmesh"
    )
    capacity_bytes: int = setting(
        2 << 30,
        "Bytes of memory offered to ModelMesh for models.",
        flag="--modelmesh-capacity",
        minimum=1,
    )


@dataclass(frozen=True)
class BatchingSection:
    enabled: bool = setting(
        True, "Gather concurrent calls of modules with run_batch.", flag="--batching"
    )
    max_size: int = setting(
        32, "Most calls in one batch.", flag="--batch-size", minimum=1
    )
    max_wait_ms: float = setting(
        5.0,
        "Longest wait for a batch to fill, in ms.",
        flag="--batch-wait-ms",
        minimum=0,
    )


@dataclass(frozen=True)
class LimitsSection:
    max_message_bytes: int = setting(
        4 * 1024 * 1024,
        "Largest request or response, in bytes (gRPC messages and HTTP bodies).",
        flag="--max-message-bytes",
        minimum=1,
    )
    max_concurrent_requests: int = setting(
        0,
        "Requests served at once before others get RESOURCE_EXHAUSTED (0: no limit).",
        flag="--max-concurrent-requests",
        minimum=0,
    )
    default_deadline_s: float = setting(
        0.0,
        "Seconds a call that sets no deadline may take (0: no default).",
        flag="--default-deadline",
        minimum=0,
    )


@dataclass(frozen=True)
class TlsSection:
    cert_file: Path | None = setting(  # noqa: RUF009
        None, "PEM server certificate (chain); turns TLS on.", flag="--tls-cert"
    )
    key_file: Path | None = setting(  # noqa: RUF009
        None, "PEM private key of the server certificate.", flag="--tls-key"
    )
    client_ca_file: Path | None = setting(  # noqa: RUF009
        None,
        "PEM CA bundle; clients must present a certificate it signed (mTLS).",
        flag="--tls-client-ca",
    )


@dataclass(frozen=True)
class MetricsSection:
    enabled: bool = setting(
        False, "Serve Prometheus metrics on their own port.", flag="--metrics"
    )
    port: int = setting(
        9095, "Metrics port (0 picks a free one).", flag="--metrics-port", **_PORT
    )


@dataclass(frozen=True)
class TracingSection:
    enabled: bool = setting(
        False,
        "OpenTelemetry span per request (needs modelwire[tracing]).",
        flag="--tracing",
    )
    exporter: str = setting(
        "console",
        "Where spans go: console, or otlp (needs the OTLP exporter package).",
        flag="--tracing-exporter",
        choices=("console", "otlp"),
    )
    endpoint: str | None = setting(
        None,
        "OTLP collector address (the exporter's default when unset).",
        flag="--tracing-endpoint",
    )
    service_name: str = setting(
        "modelwire", "service.name of the spans.", flag="--tracing-service-name"
    )


@dataclass(frozen=True)
class LoggingSection:
    level: str = setting(
        "INFO",
        "Lowest level logged.",
        flag="--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    )
    format: str = setting(
        "text",
        "text for a terminal, json for one JSON object per line.",
        flag="--log-format",
        choices=("text", "json"),
    )


@dataclass(frozen=True)
class Config:
    library: LibrarySection = field(default_factory=LibrarySection)
    server: ServerSection = field(default_factory=ServerSection)
    http: HttpSection = field(default_factory=HttpSection)
    models: ModelsSection = field(default_factory=ModelsSection)
    training: TrainingSection = field(default_factory=TrainingSection)
    modelmesh: ModelMeshSection = field(default_factory=ModelMeshSection)
    batching: BatchingSection = field(default_factory=BatchingSection)
    limits: LimitsSection = field(default_factory=LimitsSection)
    tls: TlsSection = field(default_factory=TlsSection)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    tracing: TracingSection = field(default_factory=TracingSection)
    logging: LoggingSection = field(default_factory=LoggingSection)


# ------------------------------------------------------------- the table


@dataclass(frozen=True)
class SettingInfo:
    """One row of the settings table."""

    section: str
    key: str
    type: Any  # int, float, bool, str or Path
    optional: bool
    default: Any
    meta: Meta

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    @property
    def env(self) -> str:
        return f"{ENV_PREFIX}{self.section}_{self.key}".upper()

    @property
    def flag(self) -> str:
        if self.meta.flag is not None:
            return self.meta.flag
        return f"--{self.section}-{self.key}".replace("_", "-")

    @property
    def param(self) -> str:
        """The ``modelwire serve`` parameter name (the flag in snake case)."""
        if self.flag == "":
            return self.section
        return self.flag.lstrip("-").replace("-", "_")


def settings_table() -> list[SettingInfo]:
    rows = []
    for section in fields(Config):
        section_type = section.default_factory  # type: ignore[misc]
        hints = typing.get_type_hints(section_type)
        for item in fields(section_type):
            kind, optional = _unwrap(hints[item.name])
            meta = item.metadata["meta"]
            rows.append(
                SettingInfo(section.name, item.name, kind, optional, item.default, meta)
            )
    return rows


def _unwrap(hint: Any) -> tuple[Any, bool]:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if args and len(args) < len(typing.get_args(hint)):
        return args[0], True
    return hint, False


# ------------------------------------------------------------- loading


@dataclass(frozen=True)
class Loaded:
    config: Config
    #: "section.key" -> where the value came from, for values not at their default
    sources: dict[str, str]
    file: Path | None = None


def load_config(
    file: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Loaded:
    """Defaults, then ``file``, then ``env``, then ``flags`` ("section.key" -> value).

    ``file`` defaults to ``$MODELWIRE_CONFIG``. Unknown keys and values of
    the wrong type raise ``ConfigError`` naming the key and its source.
    """
    env = os.environ if env is None else env
    rows = {row.name: row for row in settings_table()}
    if file is None and env.get(CONFIG_ENV):
        file = Path(env[CONFIG_ENV])
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if file is not None:
        for name, value in _from_file(file, rows).items():
            values[name], sources[name] = value, f"file {file}"
    for name, (value, variable) in _from_env(env, rows).items():
        values[name], sources[name] = value, f"env {variable}"
    for name, value in (flags or {}).items():
        if value is None:
            continue
        row = rows[name]
        where = f"flag {row.flag}" if row.flag else "argument LIBRARY"
        values[name] = _checked(row, _coerce(row, value, where, None), where)
        sources[name] = where
    config = _build(values)
    _check_together(config, sources)
    return Loaded(config, sources, file)


def _from_file(file: Path, rows: dict[str, SettingInfo]) -> dict[str, Any]:
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {file}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file} is not valid YAML: {exc}") from None
    if document is None:
        return {}
    where = f"file {file}"
    if not isinstance(document, dict):
        raise ConfigError(f"{where}: the top level must be a mapping of sections")
    sections = sorted({row.section for row in rows.values()})
    values: dict[str, Any] = {}
    for section, body in document.items():
        if section not in sections:
            raise ConfigError(
                f"{where}: unknown section {section!r}{_suggest(str(section), sections)}"
                f" (known: {', '.join(sections)})"
            )
        if body is None:
            continue
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: {section} must be a mapping of settings")
        keys = sorted(r.key for r in rows.values() if r.section == section)
        for key, value in body.items():
            name = f"{section}.{key}"
            if name not in rows:
                raise ConfigError(
                    f"{where}: unknown setting {name}{_suggest(str(key), keys)}"
                    f" (known in {section}: {', '.join(keys)})"
                )
            row = rows[name]
            coerced = _coerce(row, value, where, file.parent)
            values[name] = _checked(row, coerced, where)
    return values


def _from_env(
    env: Mapping[str, str], rows: dict[str, SettingInfo]
) -> dict[str, tuple[Any, str]]:
    """MODELWIRE_<SECTION>_<KEY> variables; other MODELWIRE_ variables are not ours."""
    by_env = {row.env: row for row in rows.values()}
    prefixes = sorted({f"{ENV_PREFIX}{r.section.upper()}_" for r in rows.values()})
    values: dict[str, tuple[Any, str]] = {}
    for variable, text in env.items():
        row = by_env.get(variable)
        if row is None:
            if any(variable.startswith(p) for p in prefixes):
                known = sorted(by_env)
                raise ConfigError(
                    f"environment variable {variable} names no setting"
                    f"{_suggest(variable, known)}"
                )
            continue
        where = f"env {variable}"
        value = _checked(row, _parse_text(row, text, where), where)
        values[row.name] = (value, variable)
    return values


def _parse_text(row: SettingInfo, text: str, where: str) -> Any:
    if text == "" and row.optional:
        return None
    try:
        if row.type is bool:
            lowered = text.strip().lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ValueError(text)
        if row.type is Path:
            return Path(text)
        return row.type(text)
    except ValueError:
        raise ConfigError(
            f"{where}: {row.name} must be {_kind(row)}, not {text!r}"
        ) from None


def _coerce(row: SettingInfo, value: Any, where: str, base: Path | None) -> Any:
    """``value`` as the setting's type; YAML gives ints for floats, str for paths."""
    if value is None:
        if row.optional:
            return None
    elif (
        row.type is float
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return float(value)
    elif (
        (row.type is int and isinstance(value, int) and not isinstance(value, bool))
        or (row.type is bool and isinstance(value, bool))
        or (row.type is str and isinstance(value, str))
    ):
        return value
    elif row.type is Path and isinstance(value, str | Path):
        path = Path(value)
        # Paths in a file are relative to the file, as its author sees them.
        return base / path if base is not None and not path.is_absolute() else path
    raise ConfigError(
        f"{where}: {row.name} must be {_kind(row)}, not {value!r} "
        f"({type(value).__name__})"
    )


def _checked(row: SettingInfo, value: Any, where: str) -> Any:
    meta = row.meta
    if value is None:
        return value
    if meta.choices and value not in meta.choices:
        raise ConfigError(
            f"{where}: {row.name} must be one of {', '.join(meta.choices)}, "
            f"not {value!r}"
        )
    if meta.minimum is not None and value < meta.minimum:
        raise ConfigError(
            f"{where}: {row.name} must be >= {meta.minimum:g}, not {value}"
        )
    if meta.maximum is not None and value > meta.maximum:
        raise ConfigError(
            f"{where}: {row.name} must be <= {meta.maximum:g}, not {value}"
        )
    return value


def _kind(row: SettingInfo) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false"}
    kind = names.get(row.type, "a path" if row.type is Path else "a string")
    return f"{kind} or null" if row.optional else kind


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _build(values: dict[str, Any]) -> Config:
    config = Config()
    by_section: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        section, key = name.split(".", 1)
        by_section.setdefault(section, {})[key] = value
    for section, changes in by_section.items():
        config = replace(
            config, **{section: replace(getattr(config, section), **changes)}
        )
    return config


def _check_together(config: Config, sources: dict[str, str]) -> None:
    tls = config.tls
    if (tls.cert_file is None) != (tls.key_file is None):
        given = "tls.cert_file" if tls.key_file is None else "tls.key_file"
        missing = "tls.key_file" if tls.key_file is None else "tls.cert_file"
        raise ConfigError(
            f"{given} is set ({sources.get(given, 'default')}) but {missing} is not; "
            "TLS needs both the certificate and its key"
        )
    if tls.client_ca_file is not None and tls.cert_file is None:
        raise ConfigError(
            "tls.client_ca_file is set but tls.cert_file is not; mutual TLS needs "
            "the server's own certificate and key too"
        )


# ------------------------------------------------------------- printing


def render(loaded: Loaded) -> str:
    """The merged configuration as YAML, each changed value followed by its source."""
    lines = []
    current = ""
    for row in settings_table():
        if row.section != current:
            current = row.section
            lines.append(f"{current}:")
        value = getattr(getattr(loaded.config, row.section), row.key)
        text = yaml.safe_dump(
            str(value) if isinstance(value, Path) else value, default_flow_style=True
        ).strip()
        text = text.removesuffix("...").strip()
        source = loaded.sources.get(row.name)
        comment = f"  # {source}" if source else ""
        lines.append(f"  {row.key}: {text}{comment}")
    return "\n".join(lines) + "\n"
