"""docker-compose.yml and the Dockerfile stay honest without a Docker engine."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_espace_variable_of_the_api_is_a_real_setting() -> None:
    environment = _compose()["services"]["api"]["environment"]
    names = [name for name in environment if name.startswith("ESPACE_")]
    assert names
    unknown = [name for name in names if name.removeprefix("ESPACE_").lower() not in Settings.model_fields]
    assert unknown == []


def test_the_api_runs_in_production_on_postgresql() -> None:
    environment = _compose()["services"]["api"]["environment"]
    assert environment["ESPACE_ENV"] == "production"
    assert environment["ESPACE_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in environment["ESPACE_DATABASE_URL"]
    assert ":?" in environment["ESPACE_TOKEN_SIGNING_KEY"]  # compose refuses to start without it


def test_the_api_waits_for_a_healthy_database_and_migrates_first() -> None:
    services = _compose()["services"]
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    command = " ".join(services["api"]["command"])
    assert command.index("espace migrate") < command.index("espace serve")


def test_postgresql_16_keeps_its_data_in_a_named_volume() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:16(\.\d+)?(-\w+)?", postgres["image"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_the_dockerfile_installs_the_package_and_serves_in_production() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    assert "ESPACE_ENV=production" in dockerfile
    assert 'CMD ["espace", "serve"]' in dockerfile
    assert "USER espace" in dockerfile
    for copied in re.findall(r"^COPY (\S+)", dockerfile, flags=re.MULTILINE):
        assert (ROOT / copied).exists(), copied
