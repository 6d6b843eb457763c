"""Every setting of the service, read from ESPACE_* environment variables.

Defaults give a working embedded deployment: a SQLite file and a content
folder under ./var/. Production refuses to run on development defaults
(see `Settings.production_problems`).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """The service's configuration; one instance is handed to `create_app`."""

    model_config = SettingsConfigDict(env_prefix="ESPACE_", extra="ignore", frozen=True)

    env: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="development (demo data, GraphiQL, dev tokens) or production.",
    )
    var_dir: Path = Field(
        default=Path("var"),
        description="Folder of the embedded deployment: SQLite file, contents, dev keys.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default: a SQLite file in var_dir.",
    )
    catalogue_dir: Path = Field(
        default=Path("catalogue"), description="Folder of the catalogue apps' manifests (*.toml)."
    )
    content_dir: Path | None = Field(
        default=None, description="Local content store folder; default: var_dir/content."
    )
    token_signing_key: SecretStr | None = Field(
        default=None,
        description="PEM private key (EC P-256) signing access tokens; required in "
        "production, generated into var_dir in development.",
    )
    content_master_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes wrapping each space's data key; required in production, "
        "generated into var_dir in development.",
    )
    hidden_notice_after: timedelta = Field(
        default=timedelta(days=14),
        description="A document hidden from its patient: the patient is told the dossier changed after this.",
    )
    hidden_release_after: timedelta = Field(
        default=timedelta(days=30), description="A document hidden from its patient is released after this."
    )
    previous_content_master_key: SecretStr | None = Field(
        default=None,
        description="During a rotation: the master key being replaced, until `espace keys rewrap` has run.",
    )
    upload_max_bytes: int = Field(
        default=20_000_000, ge=1_000, description="Largest document accepted, checked while streaming."
    )
    token_issuer: str = Field(
        default="http://127.0.0.1:8000",
        description="`iss` of the access tokens this service issues.",
    )
    token_audience: str = Field(
        default="https://api.espace-sante.example",
        description="`aud` the API accepts: the resource identifier of this API.",
    )
    dev_token_ttl: timedelta = Field(
        default=timedelta(hours=12), description="Default lifetime of development tokens."
    )

    emergency_access_duration: timedelta = Field(
        default=timedelta(hours=4), description="How long an emergency access (bris de glace) lasts."
    )

    caregiver_delegation_duration: timedelta = Field(
        default=timedelta(days=548), description="How long a caregiver's delegation lasts (18 months)."
    )

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes.")
    log_level: str = "info"

    query_max_depth: int = Field(default=8, ge=1, description="Deepest field nesting.")
    query_max_aliases: int = Field(default=15, ge=0, description="Aliases per document.")
    query_max_tokens: int = Field(default=2000, ge=10, description="Lexical tokens.")
    request_max_bytes: int = Field(
        default=100_000, ge=1_000, description="Largest accepted GraphQL request body."
    )
    query_cache_size: int = Field(
        default=1024, ge=0, description="Parsed and validated documents kept in memory."
    )

    db_pool_size: int = Field(default=10, ge=1)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=5000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(default=10000, ge=0)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgresql://", "postgres://")):
            # Accept the usual libpq form and use the async driver behind it.
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use a postgresql+asyncpg:// or sqlite+aiosqlite:// URL")
        return value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'espace.db').resolve()}"

    @cached_property
    def resolved_content_dir(self) -> Path:
        return (self.content_dir or self.var_dir / "content").resolve()

    @property
    def dev_signing_key_path(self) -> Path:
        return self.var_dir / "token-signing-key.pem"

    def production_problems(self) -> list[str]:
        """What keeps this configuration from serving production, one line each."""
        if not self.is_production:
            return []
        problems = []
        if self.token_signing_key is None:
            problems.append("ESPACE_TOKEN_SIGNING_KEY is not set (a PEM EC P-256 private key).")
        if self.content_master_key is None:
            problems.append("ESPACE_CONTENT_MASTER_KEY is not set (base64 of 32 random bytes).")
        if self.database_url is None or self.database_url.startswith("sqlite"):
            problems.append("ESPACE_DATABASE_URL must name a PostgreSQL database.")
        return problems
