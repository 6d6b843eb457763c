"""Every setting of the service, read from ESPACE_* environment variables.

Defaults give a working embedded deployment: a SQLite file and a content
folder under ./var/. Production refuses to run on development defaults
(see `Settings.production_problems`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from limits import parse as parse_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ContentStoreKind(StrEnum):
    LOCAL = "local"
    S3 = "s3"


_S3_PREFIX = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


# Development defaults that production must replace with its own addresses.
DEVELOPMENT_ISSUER = "http://127.0.0.1:8000"
DEVELOPMENT_AUDIENCE = "https://api.espace-sante.example"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


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
    content_store: ContentStoreKind = Field(
        default=ContentStoreKind.LOCAL,
        description="Where document contents live: local (content_dir) or s3 (an S3-compatible bucket).",
    )
    content_dir: Path | None = Field(
        default=None, description="Local content store folder; default: var_dir/content."
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="S3-compatible endpoint (MinIO, Ceph, Scaleway, OVH...); default: AWS's own.",
    )
    s3_bucket: str | None = Field(
        default=None, description="Bucket of the contents; required when content_store is s3."
    )
    s3_region: str = Field(default="us-east-1", description="Region of the bucket (signs the requests).")
    s3_access_key_id: str | None = Field(
        default=None,
        description="Access key of the S3 store; required in production, else botocore's usual chain.",
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="Secret key going with s3_access_key_id."
    )
    s3_prefix: str = Field(
        default="",
        description="Folder of the contents inside the bucket (e.g. espace/), to share a bucket.",
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
    import_max_bytes: int = Field(
        default=500_000_000,
        ge=1_000,
        description="Largest FHIR Bundle file `espace import` reads (it reads whole).",
    )
    message_max_chars: int = Field(default=10_000, ge=100, description="Longest message body, in characters.")
    message_max_attachments: int = Field(
        default=10, ge=0, description="Most attachments on one message: documents and new files together."
    )
    messages_per_minute: int = Field(
        default=20, ge=1, description="Most messages one sender sends in a minute."
    )
    plugins: str | None = Field(
        default=None,
        description="The plugins to enable, comma-separated (e.g. glycemia,vaccination); unset: every "
        "installed one; none: none.",
    )
    plugins_strict: bool = Field(
        default=False,
        description="Refuse to start when an enabled plugin fails to load (by default it is left out, "
        "and reported).",
    )
    plugin_hooks_interval: float = Field(
        default=5.0,
        ge=0,
        description="`espace serve` runs the plugins' hooks on new outbox events this often, in seconds "
        "(0: never; `espace plugins run-hooks` then does).",
    )
    indicators_min_cell: int = Field(
        default=10,
        ge=1,
        description="Public indicators: a count below this (and above zero) is published as suppressed.",
    )
    population: int = Field(
        default=68_000_000, ge=1, description="The population the service serves (share of spaces opened)."
    )
    participation_forfaitaire_cap_cents: int = Field(
        default=5000, ge=0, description="Yearly cap of the participation forfaitaire, in cents (50 €)."
    )
    franchise_cap_cents: int = Field(
        default=5000, ge=0, description="Yearly cap of the franchise médicale, in cents (50 €)."
    )
    token_issuer: str = Field(
        default=DEVELOPMENT_ISSUER,
        description="`iss` of the access tokens this service issues.",
    )
    token_audience: str = Field(
        default=DEVELOPMENT_AUDIENCE,
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

    smtp_host: str | None = Field(
        default=None, description="SMTP server of the e-mail notices; unset: `espace outbox deliver` refuses."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587: submission).")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(default=None, description="SMTP login, when the server asks for one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(default=5.0, gt=0, le=30, description="Per SMTP operation.")
    mail_from: str = Field(
        default="Espace Santé <ne-pas-repondre@espace-sante.example>", description="From of the notices."
    )
    outbox_max_attempts: int = Field(
        default=8, ge=1, description="Failed sends of a notice before it is parked (left undelivered)."
    )
    log_format: str = Field(
        default="text",
        pattern="^(text|json)$",
        description="Logs as text lines or JSON objects (one per line).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token that /metrics requires; unset: /metrics answers in development only.",
    )

    query_max_depth: int = Field(default=8, ge=1, description="Deepest field nesting.")
    query_max_aliases: int = Field(default=15, ge=0, description="Aliases per document.")
    query_max_tokens: int = Field(default=2000, ge=10, description="Lexical tokens.")
    request_max_bytes: int = Field(
        default=100_000, ge=1_000, description="Largest accepted GraphQL request body."
    )
    operations_dir: Path | None = Field(
        default=None,
        description="Folder of the first-party clients' registered operations (*.graphql); "
        "default: the packaged api/graphql/operations.",
    )
    registered_operations_only: str | None = Field(
        default=None,
        description="Client ids (comma-separated) that may run registered operations only.",
    )
    allow_introspection: bool = Field(
        default=False,
        description="In production, answer introspection queries (for a trusted network, behind a "
        "gateway that keeps them in); development always does.",
    )
    cors_origins: str | None = Field(
        default=None,
        description="Origins (scheme://host[:port]) whose pages may call the API from a browser, "
        "comma-separated; unset: none, the API's own origin only. https:// only in production.",
    )
    query_max_fields: int = Field(
        default=300,
        ge=1,
        description="Fields per document, fragments expanded (introspection's not counted).",
    )
    query_max_directives: int = Field(default=20, ge=0, description="Directives per document.")
    query_max_cost: int = Field(
        default=5000,
        ge=1,
        description="Largest cost of one query (objects 1, lists multiplied by their size, see "
        "api/graphql/cost.py); QUERY_TOO_COMPLEX beyond.",
    )
    query_cost_budget: str = Field(
        default="50000/minute", description="Query cost a token may spend (limits notation)."
    )
    rate_limit_storage: str = Field(
        default="memory",
        description="Where rate limits count: memory (per process) or a redis:// URL shared by processes.",
    )
    rate_limit_ip: str = Field(default="1200/minute", description="Requests to /graphql per client IP.")
    rate_limit_oauth_ip: str = Field(
        default="60/minute", description="POST requests to the authorization server per client IP."
    )
    rate_limit_token: str = Field(default="1200/minute", description="Requests per token.")
    rate_limit_client: str = Field(
        default="12000/minute",
        description="Requests per third-party client (a catalogue app or a professional's software), "
        "all its users together.",
    )
    login_failures_account: str = Field(
        default="5/15 minutes", description="Failed logins per account before logins wait."
    )
    login_failures_ip: str = Field(
        default="50/15 minutes", description="Failed logins per client IP before logins wait."
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

    @field_validator(
        "s3_endpoint_url",
        "s3_bucket",
        "s3_access_key_id",
        "s3_secret_access_key",
        "metrics_token",
        "smtp_host",
        "smtp_username",
        "smtp_password",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker-compose's `${VAR:-}` hands over "" for a variable left out.
        return None if value == "" else value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _http_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("use an https:// (or http://) URL")
        return value

    @field_validator(
        "query_cost_budget",
        "rate_limit_ip",
        "rate_limit_oauth_ip",
        "rate_limit_token",
        "rate_limit_client",
        "login_failures_account",
        "login_failures_ip",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse_limit(value)
        except ValueError as error:
            raise ValueError(
                f"{value!r}: use the limits notation, e.g. 600/minute or 5/15 minutes"
            ) from error
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _rate_storage(cls, value: str) -> str:
        if value != "memory" and not value.startswith(("redis://", "rediss://")):
            raise ValueError("use memory or a redis:// (rediss://) URL")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        for origin in value.split(","):
            if not _ORIGIN.match(origin.strip()):
                raise ValueError(f"{origin.strip()!r} is not an origin: scheme://host[:port], no path")
        return value

    @property
    def cors_allow_list(self) -> list[str]:
        return [origin.strip() for origin in (self.cors_origins or "").split(",") if origin.strip()]

    @property
    def registered_only_clients(self) -> frozenset[str]:
        return frozenset(
            client.strip() for client in (self.registered_operations_only or "").split(",") if client.strip()
        )

    @property
    def introspection_allowed(self) -> bool:
        return not self.is_production or self.allow_introspection

    @field_validator("s3_prefix")
    @classmethod
    def _folder_prefix(cls, value: str) -> str:
        """Stored as "" or "a/b/", so a key is always prefix + "<space>/<blob>"."""
        value = value.strip("/")
        if not value:
            return ""
        if not _S3_PREFIX.match(value) or ".." in value.split("/"):
            raise ValueError("use letters, digits, '.', '_', '-' and '/' between folder names")
        return value + "/"

    @model_validator(mode="after")
    def _s3_store_is_usable(self) -> Settings:
        # Refused at startup in every environment, not as a failed deposit later.
        if self.content_store is ContentStoreKind.S3 and not self.s3_bucket:
            raise ValueError("ESPACE_CONTENT_STORE=s3 needs ESPACE_S3_BUCKET, the bucket of the contents")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("set ESPACE_S3_ACCESS_KEY_ID and ESPACE_S3_SECRET_ACCESS_KEY together")
        return self

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
        if self.token_issuer == DEVELOPMENT_ISSUER or not self.token_issuer.startswith("https://"):
            problems.append("ESPACE_TOKEN_ISSUER must be this service's public https:// address.")
        if self.token_audience == DEVELOPMENT_AUDIENCE:
            problems.append("ESPACE_TOKEN_AUDIENCE is left at its development value (name this API).")
        plain = [origin for origin in self.cors_allow_list if not origin.startswith("https://")]
        if plain:
            problems.append(f"ESPACE_CORS_ORIGINS must use https:// origins only: {', '.join(plain)}.")
        if self.content_store is ContentStoreKind.S3:
            if self.s3_access_key_id is None:
                problems.append("ESPACE_S3_ACCESS_KEY_ID is not set (the S3 content store's access key).")
            if self.s3_secret_access_key is None:
                problems.append("ESPACE_S3_SECRET_ACCESS_KEY is not set (the S3 content store's secret key).")
            if self.s3_endpoint_url is not None and not self.s3_endpoint_url.startswith("https://"):
                problems.append("ESPACE_S3_ENDPOINT_URL must use https:// (contents travel over TLS).")
        return problems
