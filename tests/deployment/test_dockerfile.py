"""deploy/Dockerfile, checked without a container engine: lint, user, command, health check."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from deployment.support import REPO, dockerfile_stages, last, serve_params

DOCKERFILE = REPO / "deploy" / "Dockerfile"


def test_hadolint_finds_nothing():
    """hadolint (the usual Dockerfile linter) passes with its default rules."""
    hadolint = Path(sys.prefix) / "bin" / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_as_a_fixed_non_root_user():
    """The final stage's last USER is a numeric id other than 0."""
    user = last(dockerfile_stages()[-1], "USER").value[0]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, user


def test_default_command_is_a_modelmesh_serve_invocation():
    """ENTRYPOINT + CMD parse as `modelwire serve` with the ModelMesh API on."""
    stage = dockerfile_stages()[-1]
    entrypoint, command = last(stage, "ENTRYPOINT"), last(stage, "CMD")
    assert entrypoint.json and command.json, "exec form keeps signals reaching serve"
    params = serve_params(list(entrypoint.value) + list(command.value))
    assert params["modelmesh"] is True
    assert params["models"] is None
    assert Path(params["app_dir"]) == Path("/opt/app")
    assert [int(p) for p in last(stage, "EXPOSE").value] == [params["port"]]


def test_health_check_probes_the_served_port():
    """HEALTHCHECK runs grpc-health-probe (grpc.health.v1) against serve's port."""
    stage = dockerfile_stages()[-1]
    check = last(stage, "HEALTHCHECK")
    kind, probe, *args = check.value
    assert (kind, probe) == ("CMD", "grpc-health-probe")
    params = serve_params(
        list(last(stage, "ENTRYPOINT").value) + list(last(stage, "CMD").value)
    )
    assert f"-addr=127.0.0.1:{params['port']}" in args
    copied = [c.value for c in stage if c.cmd == "COPY"]
    assert any(value[-1] == f"/usr/local/bin/{probe}" for value in copied)


def test_health_probe_is_built_from_a_pinned_module_version():
    """The probe comes from its Go module at a fixed version, not a download."""
    builder = dockerfile_stages()[0]
    versions = [c.value[0] for c in builder if c.cmd == "ARG"]
    assert any(
        re.fullmatch(r"GRPC_HEALTH_PROBE_VERSION=v\d+\.\d+\.\d+", v) for v in versions
    )
    run = " ".join(c.value[0] for c in builder if c.cmd == "RUN")
    assert (
        "go install" in run and "grpc-health-probe@${GRPC_HEALTH_PROBE_VERSION}" in run
    )


def test_copied_sources_exist():
    """Every COPY from the build context names something in the repository."""
    stage = dockerfile_stages()[-1]
    defaults = dict(
        c.value[0].split("=", 1) for c in stage if c.cmd == "ARG" and "=" in c.value[0]
    )
    for command in stage:
        if command.cmd != "COPY" or any(f.startswith("--from") for f in command.flags):
            continue
        for source in command.value[:-1]:
            path = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], source)
            assert (REPO / path).exists(), f"COPY {source}: {path} is not in the repo"
