"""The files that take the project to Kubernetes (deploy/, docs/kubernetes.md) agree with the
project: the image's command serves the code location, the image installs the built wheel on the
project's own pins, and the Helm values hand every setting over as settings.py expects (secrets
only from a Secret) with the same queue limits and storage driver as deploy/dagster-postgres.yaml.

No image is built and no chart is rendered here (no Docker daemon, registry or chart on this
machine: docs/kubernetes.md); what runs is the image's command itself, from this environment.
"""

from __future__ import annotations

import fnmatch
import json
import re
import socket
import subprocess
import sys
import time
from importlib.metadata import distributions
from pathlib import Path

import yaml

import hl_d365_assets.settings as settings_module
from hl_d365_assets.settings import PRODUCTION_REQUIRED, PROJECT_ROOT
from hl_d365_assets.webhook.process import free_port

DEPLOY = PROJECT_ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
VALUES = DEPLOY / "helm" / "values.yaml"
SECRETS_EXAMPLE = DEPLOY / "helm" / "hl-d365-secrets.env.example"
SERVE_TIMEOUT_SECONDS = (
    240  # the code server loads every definition; the other worker shares the cores
)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def image_command() -> list[str]:
    [cmd] = [args for name, args in dockerfile_instructions() if name == "CMD"]
    return json.loads(cmd)  # the exec form: no shell between the chart and the process


def pins(lock: Path) -> dict[str, str]:
    return {
        name.lower(): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock.read_text(), re.M)
    }


def settings_table() -> dict[str, str]:
    """settings.py's table of variables: name -> the text of its row."""
    doc = settings_module.__doc__ or ""
    rows = re.findall(r"^``([A-Z0-9_]+)``(.*?)(?=^``|^=)", doc, re.M | re.S)
    return {name: text for name, text in rows}


def secret_settings() -> set[str]:
    return {name for name, text in settings_table().items() if "secret" in text}


def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def user_deployment() -> dict:
    [deployment] = values()["dagster-user-deployments"]["deployments"]
    return deployment


def test_the_images_command_is_a_console_script_the_image_installs_at_its_pinned_version() -> None:
    command = image_command()
    assert "ENTRYPOINT" not in dict(dockerfile_instructions()), (
        "the chart passes its own args; an ENTRYPOINT would be prepended to them"
    )
    owners = {
        dist.metadata["Name"].lower()
        for dist in distributions()
        for entry in dist.entry_points
        if entry.group == "console_scripts" and entry.name == command[0]
    }
    assert owners == {"dagster"}
    image_pins = pins(DEPLOY / "image-requirements.lock")
    assert image_pins["dagster"] == pins(PROJECT_ROOT / "requirements.lock")["dagster"]


def test_the_images_command_serves_the_code_location_it_names() -> None:
    """The CMD as the image runs it (on loopback and a free port here), answered by Dagster's
    own health check: the module it names loads, with every definition."""
    command = image_command()
    assert command[:3] == ["dagster", "api", "grpc"]
    port = free_port()
    args = [a if a != "0.0.0.0" else "127.0.0.1" for a in command[3:]]
    args[args.index("-p") + 1] = str(port)
    dagster = Path(sys.executable).parent / "dagster"
    server = subprocess.Popen(
        [dagster, "api", "grpc", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The server listens once every definition has loaded; then Dagster's own check asks it.
        deadline = time.monotonic() + SERVE_TIMEOUT_SECONDS
        while not _accepts(port) and server.poll() is None:
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.5)
        assert server.poll() is None, f"the code server exited: {server.stderr.read()[-2000:]}"
        check = subprocess.run(
            [dagster, "api", "grpc-health-check", "-p", str(port)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a loaded machine: its shutdown is not under test
            server.kill()
            server.wait()


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_image_copies_only_the_wheel_and_the_image_lock_and_the_context_lets_them_through():
    copies = [args.split()[:-1] for name, args in dockerfile_instructions() if name == "COPY"]
    sources = [source for sources in copies for source in sources]
    version = re.search(
        r'^version = "([^"]+)"', (PROJECT_ROOT / "pyproject.toml").read_text(), re.M
    )
    wheel = f"dist/hl_d365_assets-{version.group(1)}-py3-none-any.whl"
    assert sorted(sources) == ["deploy/image-requirements.lock", "dist/hl_d365_assets-*.whl"]
    assert fnmatch.fnmatch(wheel, "dist/hl_d365_assets-*.whl")
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    let_through = sorted(line[1:] for line in ignore if line.startswith("!"))
    assert let_through == sorted(sources)
    assert (PROJECT_ROOT / "deploy" / "image-requirements.lock").is_file()


def test_the_image_lock_keeps_every_project_pin_and_adds_dagster_k8s_of_the_same_release() -> None:
    project, image = (
        pins(PROJECT_ROOT / "requirements.lock"),
        pins(DEPLOY / "image-requirements.lock"),
    )
    changed = {name: (project[name], image[name]) for name in project.keys() & image.keys()}
    assert {name: pair for name, pair in changed.items() if pair[0] != pair[1]} == {}
    # dagster-* libraries 0.X.Z ship with dagster 1.Y.Z: the same release Z.
    assert image["dagster-k8s"].split(".")[-1] == image["dagster"].split(".")[-1]
    assert image["dagster-postgres"] == project["dagster-postgres"]
    assert not {"pytest", "ruff", "hypothesis"} & image.keys(), "no dev tools in the image"


def test_the_user_deployment_serves_what_the_image_serves() -> None:
    deployment = user_deployment()
    command = image_command()
    module = command[command.index("-m") :]
    assert deployment["dagsterApiGrpcArgs"] == module
    assert deployment["port"] == int(command[command.index("-p") + 1])
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}


def test_secrets_reach_the_pods_only_from_a_kubernetes_secret() -> None:
    deployment = user_deployment()
    inline = {entry["name"] for entry in deployment["env"]}
    table = settings_table()
    secrets = secret_settings()
    assert {"HEARTLAND_APP_KEY", "D365_CLIENT_SECRET", "HL_D365_FINGERPRINT_KEY"} <= secrets
    assert inline <= table.keys(), "every variable set is one settings.py reads"
    assert not inline & secrets, "no secret written in the values file"
    not_secret_required = {name for name in PRODUCTION_REQUIRED if name not in secrets}
    assert not_secret_required <= inline
    assert dict((e["name"], e["value"]) for e in deployment["env"])["HL_D365_MODE"] == "production"
    example = {
        line.split("=", 1)[0]
        for line in SECRETS_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert example == secrets
    assert deployment["envSecrets"] == [{"name": "hl-d365-secrets"}]
    assert values()["postgresql"]["postgresqlPassword"] == ""
    assert values()["generatePostgresqlPasswordSecret"] is False


def test_the_charts_instance_has_the_same_queue_limits_pools_and_driver() -> None:
    instance = yaml.safe_load((DEPLOY / "dagster-postgres.yaml").read_text())
    project = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    chart = values()
    limits = instance["concurrency"]["runs"]["tag_concurrency_limits"]
    assert chart["concurrency"]["runs"]["tagConcurrencyLimits"] == limits
    assert limits == [
        {"key": "hl_d365/tenant", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    assert (
        chart["concurrency"]["pools"]["defaultLimit"]
        == instance["concurrency"]["pools"]["default_limit"]
        == project["concurrency"]["pools"]["default_limit"]
    )
    assert (
        chart["concurrency"]["runs"]["maxConcurrentRuns"]
        == instance["concurrency"]["runs"]["max_concurrent_runs"]
    )
    assert chart["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert instance["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert (
        chart["postgresql"]["postgresqlScheme"]
        == (instance["storage"]["postgres"]["postgres_db"]["scheme"])
    )
    assert chart["runLauncher"]["type"] == "K8sRunLauncher"
