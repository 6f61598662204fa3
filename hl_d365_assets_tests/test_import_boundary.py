"""The sandbox boundary: production code never imports the sandbox, the demo or the benchmark,
and the mode is explicit (``HL_D365_MODE``), never guessed from which secrets are set."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

import hl_d365_assets
from hl_d365_assets.settings import PRODUCTION_REQUIRED, SettingsError, load_settings

PACKAGE = Path(hl_d365_assets.__file__).parent
OUTSIDE_PRODUCTION = ("sandbox", "demo", "bench")
FORBIDDEN = tuple(f"hl_d365_assets.{name}" for name in OUTSIDE_PRODUCTION)
COMPOSITION_ROOTS = {"cli.py"}
"""The only production modules that may import the sandbox, demo or benchmark, and only inside
the functions that run them (sandbox mode, sandbox-only commands)."""

PRODUCTION_ENV = {
    "HL_D365_MODE": "production",
    "HL_D365_TIMEZONE": "America/Chicago",
    "HEARTLAND_API_URL": "https://apis.globalpay.com/ucp",
    "HEARTLAND_APP_ID": "dummy-app-id",
    "HEARTLAND_APP_KEY": "dummy-app-key",
    "HEARTLAND_RETAIL_SUBDOMAIN": "dummy-retail-account",
    "HEARTLAND_RETAIL_TOKEN": "dummy-retail-token",
    "D365_ENVIRONMENT_URL": "https://contoso.operations.dynamics.com",
    "D365_TENANT_ID": "contoso.onmicrosoft.com",
    "D365_CLIENT_ID": "dummy-client-id",
    "D365_CLIENT_SECRET": "dummy-client-secret",
    "HL_D365_FINGERPRINT_KEY": "dummy-fingerprint-key",
}
"""Every production setting but the data folder, which each test points at its own."""

SETTINGS_NAMES = {
    *PRODUCTION_REQUIRED,
    "HL_D365_FINGERPRINT_KEY",
    "HEARTLAND_SANDBOX_URL",
    "HEARTLAND_RETAIL_SANDBOX_URL",
    "D365_SANDBOX_URL",
}


def _production_modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in OUTSIDE_PRODUCTION
    ]


def _imported_modules(source: str, relative: Path) -> list[tuple[str, bool]]:
    """(absolute module name, imported at module level?) for every import in ``source``, the
    text of the module at ``relative`` inside the package."""
    tree = ast.parse(source)
    package = ".".join(("hl_d365_assets", *relative.parent.parts))
    module_level = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` and `try:` blocks still run at import
        if isinstance(node, ast.If | ast.Try):
            module_level |= {id(child) for child in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [(name, id(node) in module_level) for name in names]
    return found


def _reaches(name: str) -> bool:
    return any(name == forbidden or name.startswith(forbidden + ".") for forbidden in FORBIDDEN)


def test_no_production_module_imports_the_sandbox_demo_or_benchmark() -> None:
    modules = _production_modules()
    assert PACKAGE / "resources.py" in modules and PACKAGE / "webhook" / "server.py" in modules
    leaks = []
    for path in modules:
        relative = path.relative_to(PACKAGE)
        source = path.read_text(encoding="utf-8")
        for name, at_module_level in _imported_modules(source, relative):
            if _reaches(name) and (at_module_level or relative.as_posix() not in COMPOSITION_ROOTS):
                where = "at module level" if at_module_level else "outside a composition root"
                leaks.append(f"{relative} imports {name} {where}")
    assert leaks == []


def test_the_walk_sees_relative_and_function_level_imports() -> None:
    """The walk above must catch the forms a leak could take, or it proves nothing."""
    leaky = (
        "from ..sandbox import credentials\n"
        "from . import receiver\n"
        "try:\n    import hl_d365_assets.bench.posting\nexcept ImportError:\n    pass\n"
        "def f():\n    import hl_d365_assets.demo.week\n"
        "    from hl_d365_assets import bench\n"
    )
    found = _imported_modules(leaky, Path("webhook/server.py"))
    assert ("hl_d365_assets.sandbox.credentials", True) in found
    assert ("hl_d365_assets.webhook.receiver", True) in found
    assert ("hl_d365_assets.bench.posting", True) in found
    assert ("hl_d365_assets.demo.week", False) in found
    assert ("hl_d365_assets.bench", False) in found


def _load_definitions(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Load the Dagster definitions in a fresh interpreter; print which of our modules loaded."""
    script = (
        "import json, sys\n"
        "import dagster as dg\n"
        "from hl_d365_assets.definitions import defs\n"
        "dg.Definitions.validate_loadable(defs)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('hl_d365_assets'))))\n"
    )
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_NAMES and not name.startswith("HL_D365_")
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**inherited, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_production_definitions_load_without_the_sandbox_demo_or_benchmark(
    tmp_path: Path,
) -> None:
    loaded = _load_definitions({**PRODUCTION_ENV, "HL_D365_DATA_DIR": str(tmp_path)}, tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    modules = json.loads(loaded.stdout.splitlines()[-1])
    assert "hl_d365_assets.defs.resources" in modules
    assert "hl_d365_assets.resources" in modules
    assert [name for name in modules if _reaches(name)] == []


def test_sandbox_definitions_do_load_the_sandbox(tmp_path: Path) -> None:
    """The other side of the test above: the subprocess would see a sandbox import."""
    loaded = _load_definitions({"HL_D365_DATA_DIR": str(tmp_path)}, tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "hl_d365_assets.sandbox.resources" in json.loads(loaded.stdout.splitlines()[-1])


def test_production_with_settings_missing_refuses_to_load_naming_each(tmp_path: Path) -> None:
    env = {
        name: value
        for name, value in PRODUCTION_ENV.items()
        if name not in ("HEARTLAND_APP_KEY", "D365_CLIENT_SECRET")
    }
    loaded = _load_definitions(env, tmp_path)
    assert loaded.returncode != 0
    for name in ("HL_D365_DATA_DIR", "HEARTLAND_APP_KEY", "D365_CLIENT_SECRET"):
        assert f"  {name}: " in loaded.stderr, loaded.stderr
    assert "3 required settings are not set" in loaded.stderr
    assert "D365_TENANT_ID: " not in loaded.stderr


def test_production_with_settings_missing_refuses_from_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_NAMES}
    env = {**env, "HL_D365_MODE": "production", "D365_CLIENT_SECRET": "set"}
    posted = subprocess.run(
        [sys.executable, "-m", "hl_d365_assets.cli", "post", "--day", "2026-11-20"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert posted.returncode == 2
    # The shipped register mapping fingerprints bank accounts, so production needs that key too.
    missing = [name for name in PRODUCTION_REQUIRED if name != "D365_CLIENT_SECRET"]
    missing.append("HL_D365_FINGERPRINT_KEY")
    assert f"{len(missing)} required settings are not set" in posted.stderr
    for name in missing:
        assert f"  {name}: " in posted.stderr
    assert "  D365_CLIENT_SECRET" not in posted.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", [["sandbox", "--start", "2026-11-20"], ["demo"]])
def test_sandbox_commands_refuse_to_run_in_production(tmp_path: Path, command) -> None:
    env = {**os.environ, **PRODUCTION_ENV, "HL_D365_DATA_DIR": str(tmp_path / "data")}
    refused = subprocess.run(
        [sys.executable, "-m", "hl_d365_assets.cli", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "a sandbox command; HL_D365_MODE is production" in refused.stderr
    assert not (tmp_path / "data").exists()


def test_the_default_mode_is_sandbox_even_when_production_secrets_are_set(tmp_path: Path) -> None:
    secrets = {name: value for name, value in PRODUCTION_ENV.items() if name != "HL_D365_MODE"}
    settings = load_settings({**secrets, "HL_D365_DATA_DIR": str(tmp_path)})
    assert settings.mode == "sandbox" and not settings.production
    from hl_d365_assets.defs.resources import build_resources

    resources = build_resources(settings)
    heartland, d365 = resources["heartland"], resources["d365"]
    assert heartland.base_url == "http://127.0.0.1:8765/ucp"  # the simulator, not GP
    assert heartland.app_key != PRODUCTION_ENV["HEARTLAND_APP_KEY"]
    retail = resources["heartland_retail"]
    assert retail.api_url == "http://127.0.0.1:8767/api/"  # the simulator, not the account
    assert retail.token != PRODUCTION_ENV["HEARTLAND_RETAIL_TOKEN"]
    assert d365.environment_url == "http://127.0.0.1:8766"  # the simulator, not contoso
    assert d365.client_secret != PRODUCTION_ENV["D365_CLIENT_SECRET"]


def test_a_mode_that_is_not_sandbox_or_production_is_an_error_naming_both() -> None:
    with pytest.raises(SettingsError, match=r"HL_D365_MODE='prod'.*sandbox, production"):
        load_settings({"HL_D365_MODE": "prod"})


def test_production_resources_read_secrets_through_env_vars_only(tmp_path: Path) -> None:
    from hl_d365_assets.defs.resources import build_resources

    settings = load_settings({**PRODUCTION_ENV, "HL_D365_DATA_DIR": str(tmp_path)})
    assert settings.production and settings.missing == ()
    assert "dummy" not in repr(settings)
    resources = build_resources(settings)
    heartland, d365 = resources["heartland"], resources["d365"]
    retail = resources["heartland_retail"]
    assert heartland.base_url == "https://apis.globalpay.com/ucp"
    assert retail.base_url is None  # https://<subdomain>.retail.heartland.us/api/
    assert d365.identity_url_override is None  # the real Entra ID, not a simulator
    read_through_env_var = {
        (heartland, "app_id"): "HEARTLAND_APP_ID",
        (heartland, "app_key"): "HEARTLAND_APP_KEY",
        (retail, "subdomain"): "HEARTLAND_RETAIL_SUBDOMAIN",
        (retail, "token"): "HEARTLAND_RETAIL_TOKEN",
        (d365, "environment_url"): "D365_ENVIRONMENT_URL",
        (d365, "tenant_id"): "D365_TENANT_ID",
        (d365, "client_id"): "D365_CLIENT_ID",
        (d365, "client_secret"): "D365_CLIENT_SECRET",
    }
    for (resource, field), variable in read_through_env_var.items():
        value = getattr(resource, field)
        assert isinstance(value, dg.EnvVar) and value.env_var_name == variable, field
