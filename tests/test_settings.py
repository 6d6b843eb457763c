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
        "ESPACE_TOKEN_ISSUER",
        "ESPACE_TOKEN_AUDIENCE",
    ]


def test_settings_come_from_espace_variables(monkeypatch) -> None:
    monkeypatch.setenv("ESPACE_QUERY_MAX_DEPTH", "5")
    monkeypatch.setenv("ESPACE_ENV", "production")
    settings = Settings(_env_file=None)
    assert settings.query_max_depth == 5
    assert settings.is_production


def test_an_s3_store_without_a_bucket_is_refused_at_startup() -> None:
    with pytest.raises(ValidationError, match="ESPACE_CONTENT_STORE=s3 needs ESPACE_S3_BUCKET"):
        Settings(_env_file=None, content_store="s3")
    with pytest.raises(ValidationError, match="ESPACE_S3_BUCKET"):
        Settings(_env_file=None, content_store="s3", s3_bucket="")  # as compose's ${VAR:-} gives it


def test_empty_s3_variables_count_as_unset() -> None:
    settings = Settings(_env_file=None, s3_endpoint_url="", s3_access_key_id="", s3_secret_access_key="")
    assert (settings.s3_endpoint_url, settings.s3_access_key_id, settings.s3_secret_access_key) == (
        None,
        None,
        None,
    )


def test_the_cli_names_the_missing_bucket(monkeypatch, capsys) -> None:
    from api.cli import main

    monkeypatch.setenv("ESPACE_CONTENT_STORE", "s3")
    monkeypatch.delenv("ESPACE_S3_BUCKET", raising=False)
    assert main(["store", "gc"]) == 2
    assert "ESPACE_S3_BUCKET" in capsys.readouterr().err


def test_unknown_stores_and_half_credentials_are_refused() -> None:
    with pytest.raises(ValidationError, match="'local' or 's3'"):
        Settings(_env_file=None, content_store="ftp")
    with pytest.raises(ValidationError, match="together"):
        Settings(_env_file=None, content_store="s3", s3_bucket="b", s3_access_key_id="AKIA")
    with pytest.raises(ValidationError, match="together"):
        Settings(_env_file=None, s3_secret_access_key="secret")


def test_s3_endpoints_are_urls_and_prefixes_are_folders() -> None:
    with pytest.raises(ValidationError, match="https://"):
        Settings(_env_file=None, s3_endpoint_url="s3.fr-par.scw.cloud")
    assert Settings(_env_file=None, s3_prefix="/espace/contents/").s3_prefix == "espace/contents/"
    assert Settings(_env_file=None, s3_prefix="/").s3_prefix == ""
    for prefix in ("a//b", "../up", "a/../b", "with space", "é"):
        with pytest.raises(ValidationError, match="folder"):
            Settings(_env_file=None, s3_prefix=prefix)


def test_production_on_s3_needs_credentials_and_tls() -> None:
    base = {
        "_env_file": None,
        "env": "production",
        "token_signing_key": "pem",
        "content_master_key": "key",
        "database_url": "postgresql://u@h/db",
        "token_issuer": "https://espace.example.fr",
        "token_audience": "https://api.espace.example.fr",
        "content_store": "s3",
        "s3_bucket": "espace",
    }
    assert [problem.split()[0] for problem in Settings(**base).production_problems()] == [
        "ESPACE_S3_ACCESS_KEY_ID",
        "ESPACE_S3_SECRET_ACCESS_KEY",
    ]
    credentials = {"s3_access_key_id": "AKIA", "s3_secret_access_key": "secret"}
    assert Settings(**base, **credentials).production_problems() == []
    plain = Settings(**base, **credentials, s3_endpoint_url="http://minio:9000").production_problems()
    assert [problem.split()[0] for problem in plain] == ["ESPACE_S3_ENDPOINT_URL"]
    assert (
        Settings(**base, **credentials, s3_endpoint_url="https://s3.fr-par.scw.cloud").production_problems()
        == []
    )
    # The local store needs none of it.
    assert Settings(**{**base, "content_store": "local"}).production_problems() == []
