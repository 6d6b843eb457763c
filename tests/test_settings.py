"""Settings: defaults for the embedded deployment, refusals for production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_defaults_are_an_embedded_sqlite_deployment(tmp_path) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{(tmp_path / 'espace.db').resolve()}"
    assert settings.resolved_content_dir == (tmp_path / "content").resolve()
    assert settings.production_problems() == []


def test_libpq_urls_get_the_async_driver() -> None:
    settings = Settings(_env_file=None, database_url="postgresql://u@h/db")
    assert settings.resolved_database_url == "postgresql+asyncpg://u@h/db"


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValidationError, match="postgresql"):
        Settings(_env_file=None, database_url="mysql://u@h/db")


def test_production_on_sqlite_without_keys_lists_every_problem() -> None:
    problems = Settings(_env_file=None, env="production").production_problems()
    assert [problem.split()[0] for problem in problems] == [
        "ESPACE_TOKEN_SIGNING_KEY",
        "ESPACE_CONTENT_MASTER_KEY",
        "ESPACE_DATABASE_URL",
    ]


def test_settings_come_from_espace_variables(monkeypatch) -> None:
    monkeypatch.setenv("ESPACE_QUERY_MAX_DEPTH", "5")
    monkeypatch.setenv("ESPACE_ENV", "production")
    settings = Settings(_env_file=None)
    assert settings.query_max_depth == 5
    assert settings.is_production
