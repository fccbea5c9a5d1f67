"""docker-compose.yml can't be run here (no Docker engine): validate it offline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_matches_the_compose_spec():
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_every_service_with_healthchecks():
    import json

    # check-jsonschema brings a YAML parser (ruamel); use it to read the file.
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())
    services = data["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in json.dumps(services["web"]["command"])
    env = (ROOT / ".env.example").read_text()
    for key in ("SECRET_KEY", "HOTWAVE_EVENTS_SECRET", "ALLOWED_HOSTS"):
        assert f"{key}=" in env


PRODUCTION = {
    "PATH": "/usr/bin:/bin",
    "DEBUG": "0",
    "SECRET_KEY": "x" * 64 + "-production-like-secret-for-the-check",
    "HOTWAVE_EVENTS_SECRET": "production-events-secret",
    "ALLOWED_HOSTS": "hotwave.example.com",
}


def _check_deploy(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", *args],
        cwd=ROOT,
        env={**PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _check_deploy(
        "--fail-level", "WARNING", EMAIL_URL="smtp+tls://hotwave:secret@smtp.example.com:587"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_email_would_go_to_the_console():
    result = _check_deploy()
    assert "hotwave.W001" in result.stdout + result.stderr


@pytest.mark.parametrize("path", ["Makefile", ".ci/run", "README.md", "Dockerfile", ".env.example"])
def test_the_house_has_its_files(path):
    assert (ROOT / path).exists()


def test_compose_runs_postgres_with_the_settings_scaling_md_gives():
    from ruamel.yaml import YAML

    command = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())["services"][
        "postgres"
    ]["command"]
    settings = dict(arg.split("=", 1) for arg in command if "=" in arg)
    assert command[0] == "postgres" and command.count("-c") == len(settings)
    assert settings == {
        "shared_buffers": "${PG_SHARED_BUFFERS:-4GB}",
        "wal_buffers": "64MB",
        "max_wal_size": "8GB",
        "checkpoint_timeout": "30min",
        "wal_compression": "lz4",
    }
    scaling = (ROOT / "docs" / "SCALING.md").read_text()
    for name in settings:
        assert f"| `{name}` |" in scaling, name  # each one explained
    assert "PG_SHARED_BUFFERS" in (ROOT / ".env.example").read_text()
