"""The serve configuration: file, then environment, then flags; unknown keys
and wrong types refused with the key named; --print-config shows the result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from modelwire.runtime.config import ConfigError, load_config, settings_table

MODELWIRE = Path(sys.executable).parent / "modelwire"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "modelwire.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_source():
    loaded = load_config(None, env={})
    assert loaded.config.server.port == 8085
    assert loaded.config.limits.max_message_bytes == 4 * 1024 * 1024
    assert loaded.config.metrics.enabled is False
    assert loaded.sources == {}


def test_file_then_env_then_flags(tmp_path):
    file = write(
        tmp_path,
        "server:\n  port: 9000\n  workers: 3\nlimits:\n  max_message_bytes: 2048\n"
        "logging:\n  format: json\n",
    )
    env = {
        "MODELWIRE_SERVER_PORT": "9100",
        "MODELWIRE_LIMITS_MAX_MESSAGE_BYTES": "4096",
    }
    flags = {"server.port": 9200}
    loaded = load_config(file, env=env, flags=flags)
    config = loaded.config
    assert config.server.port == 9200
    assert config.limits.max_message_bytes == 4096
    assert config.server.workers == 3
    assert config.logging.format == "json"
    assert loaded.sources["server.port"] == "flag --port"
    assert loaded.sources["limits.max_message_bytes"] == (
        "env MODELWIRE_LIMITS_MAX_MESSAGE_BYTES"
    )
    assert loaded.sources["server.workers"] == f"file {file}"


def test_config_file_named_by_environment(tmp_path):
    file = write(tmp_path, "http:\n  enabled: false\n")
    loaded = load_config(None, env={"MODELWIRE_CONFIG": str(file)})
    assert loaded.config.http.enabled is False


def test_paths_in_a_file_are_relative_to_it(tmp_path):
    file = write(
        tmp_path,
        "models:\n  dir: models\ntls:\n  cert_file: /abs/c.pem\n  key_file: k.pem\n",
    )
    config = load_config(file, env={}).config
    assert config.models.dir == tmp_path / "models"
    assert config.tls.cert_file == Path("/abs/c.pem")
    assert config.tls.key_file == tmp_path / "k.pem"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("server:\n  prot: 1\n", "server.prot; did you mean port?"),
        ("serverr:\n  port: 1\n", "unknown section 'serverr'; did you mean server?"),
        ("server:\n  port: eighty\n", "server.port must be an integer, not 'eighty'"),
        ("server:\n  port: true\n", "server.port must be an integer, not True"),
        ("http:\n  enabled: 1\n", "http.enabled must be true or false"),
        (
            "limits:\n  default_deadline_s: soon\n",
            "limits.default_deadline_s must be a number",
        ),
        ("logging:\n  format: xml\n", "logging.format must be one of text, json"),
        ("server:\n  port: 70000\n", "server.port must be <= 65535"),
        ("server: 5\n", "server must be a mapping"),
        ("- a\n", "the top level must be a mapping"),
    ],
)
def test_file_errors_name_the_key(tmp_path, text, named):
    file = write(tmp_path, text)
    with pytest.raises(ConfigError) as refused:
        load_config(file, env={})
    assert named in str(refused.value)
    assert str(file) in str(refused.value)


def test_environment_errors_name_the_variable():
    with pytest.raises(
        ConfigError, match=r"MODELWIRE_SERVER_PORT: server\.port must be"
    ):
        load_config(None, env={"MODELWIRE_SERVER_PORT": "x"})
    with pytest.raises(ConfigError, match="MODELWIRE_TLS_CERT names no setting"):
        load_config(None, env={"MODELWIRE_TLS_CERT": "a.pem"})


def test_other_modelwire_variables_are_left_alone():
    """Tool paths such as MODELWIRE_RUFF belong to the generator, not to serve."""
    loaded = load_config(None, env={"MODELWIRE_RUFF": "/bin/ruff"})
    assert loaded.sources == {}


def test_environment_booleans_and_nulls():
    env = {
        "MODELWIRE_METRICS_ENABLED": "yes",
        "MODELWIRE_HTTP_ENABLED": "0",
        "MODELWIRE_TRACING_ENDPOINT": "",
    }
    config = load_config(None, env=env).config
    assert config.metrics.enabled is True
    assert config.http.enabled is False
    assert config.tracing.endpoint is None


def test_every_setting_has_a_distinct_env_var_and_flag():
    rows = settings_table()
    assert len({r.env for r in rows}) == len(rows)
    assert len({r.flag for r in rows}) == len(rows)
    assert len({r.param for r in rows}) == len(rows)


def _serve(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MODELWIRE), "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_print_config_shows_the_merged_result(tmp_path):
    file = write(
        tmp_path, "server:\n  port: 9000\n  workers: 2\nmetrics:\n  enabled: true\n"
    )
    result = _serve(
        "rtlib",
        "--config",
        str(file),
        "--port",
        "9300",
        "--print-config",
        env={"MODELWIRE_SERVER_WORKERS": "5"},
    )
    assert result.returncode == 0, result.stderr
    printed = yaml.safe_load(result.stdout)
    assert printed["server"]["port"] == 9300
    assert printed["server"]["workers"] == 5
    assert printed["metrics"]["enabled"] is True
    assert printed["library"]["name"] == "rtlib"
    assert printed["limits"]["max_message_bytes"] == 4 * 1024 * 1024
    assert "port: 9300  # flag --port" in result.stdout
    assert "workers: 5  # env MODELWIRE_SERVER_WORKERS" in result.stdout
    assert set(printed) == {row.section for row in settings_table()}


def test_serve_refuses_a_bad_file_at_start(tmp_path):
    file = write(tmp_path, "limits:\n  max_mesage_bytes: 10\n")
    result = _serve("rtlib", "--config", str(file))
    assert result.returncode == 2
    assert "limits.max_mesage_bytes" in result.stderr
    assert "did you mean max_message_bytes?" in result.stderr


def test_lifecycle_and_modelmesh_settings_reach_the_runtime(tmp_path):
    """models.lazy, training.* and modelmesh.* shape the runtime that serve builds."""
    from modelwire.runtime.launch import build_runtime
    from modelwire.runtime.lifecycle import ModelSync
    from modelwire.runtime.modelmesh import ModelMeshApi
    from runtime.support import MODELS, write_models

    models = write_models(tmp_path / "models", MODELS)
    (tmp_path / "data").mkdir()
    env = {
        "MODELWIRE_MODELS_LAZY": "true",
        "MODELWIRE_MODELS_SYNC_INTERVAL_S": "2.5",
        "MODELWIRE_TRAINING_DATA_DIR": str(tmp_path / "data"),
        "MODELWIRE_MODELMESH_ENABLED": "true",
    }
    flags = {"library.name": "rtlib", "models.dir": models, "server.port": 0}
    config = load_config(None, env=env, flags=flags).config
    runtime = build_runtime(config)
    assert runtime.store.lazy and runtime.store.models_dir == models
    syncs = [e for e in runtime.extensions if isinstance(e, ModelSync)]
    assert [s.interval for s in syncs] == [2.5]
    assert any(isinstance(e, ModelMeshApi) for e in runtime.extensions)


def test_a_missing_training_data_dir_is_refused(tmp_path):
    from modelwire.runtime.launch import build_runtime

    flags = {
        "library.name": "rtlib",
        "models.dir": tmp_path,
        "training.data_dir": tmp_path / "absent",
    }
    with pytest.raises(ConfigError, match=r"training\.data_dir"):
        build_runtime(load_config(None, env={}, flags=flags).config)
