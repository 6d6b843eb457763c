"""The manifest of a catalogue app (catalogue/<client_id>.toml), validated by pydantic.

A manifest is what the publisher asks for; what the app may actually do is
what operators vetted (see the workflow in service.py).
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from api.directory.identifiers import luhn_check_digit
from api.identity.scopes import all_scopes, may_name

ClientId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class AppCategory(StrEnum):
    """The four fields an app may serve (DOMAIN.md)."""

    FOLLOW_UP = "FOLLOW_UP"
    DIAGNOSIS = "DIAGNOSIS"
    PREVENTION = "PREVENTION"
    WELL_BEING = "WELL_BEING"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Publisher(_Strict):
    name: Text
    siren: Annotated[str, StringConstraints(pattern=r"^\d{9}$")]

    @field_validator("siren")
    @classmethod
    def _siren_key(cls, value: str) -> str:
        if luhn_check_digit(value[:-1]) != int(value[-1]):
            raise ValueError("not a valid SIREN (wrong check digit)")
        return value


class Description(_Strict):
    fr: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=2000)]
    en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=2000)]


class RequestedScope(_Strict):
    scope: str
    justification: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=1000)]

    @field_validator("scope")
    @classmethod
    def _known_scope(cls, value: str) -> str:
        if not may_name(value):
            known = " ".join(sorted(all_scopes()))
            raise ValueError(f"unknown scope {value!r}; known: {known} (or an installed plugin's)")
        return value


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Manifest(_Strict):
    client_id: ClientId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]
    publisher: Publisher
    category: AppCategory
    description: Description
    homepage: HttpUrl
    privacy_policy_url: HttpUrl
    redirect_uris: list[str] = Field(min_length=1, max_length=10)
    client_type: Literal["public", "confidential"]
    scopes: list[RequestedScope] = Field(min_length=1)
    contact: Email
    stores_health_data: bool
    hosting_certification: Text | None = None
    standards: list[Text] = Field(default_factory=list)

    @field_validator("redirect_uris")
    @classmethod
    def _redirect_uris(cls, values: list[str]) -> list[str]:
        for value in values:
            parts = urlsplit(value)
            if parts.fragment or "#" in value:
                raise ValueError(f"{value}: a redirect URI has no fragment")
            if not parts.hostname:
                raise ValueError(f"{value}: not an absolute URI")
            if parts.scheme == "https":
                continue
            if parts.scheme == "http" and _is_loopback(parts.hostname):
                continue  # RFC 8252: native and development clients on a loopback address
            raise ValueError(f"{value}: use https, or http on a loopback address (127.0.0.1, [::1])")
        if len(set(values)) != len(values):
            raise ValueError("redirect URIs repeat")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        names = [entry.scope for entry in self.scopes]
        if len(set(names)) != len(names):
            raise ValueError("a scope is listed twice")
        if self.stores_health_data and not self.hosting_certification:
            raise ValueError(
                "an app that stores health data names its health-data hosting certification (HDS)"
            )
        return self

    @property
    def scope_names(self) -> list[str]:
        return sorted(entry.scope for entry in self.scopes)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one manifest: the file, the field, what is wrong."""

    file: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field or '(file)'}: {self.message}"


def load_manifest(path: Path) -> tuple[Manifest | None, list[Problem]]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(path, "", f"not valid TOML: {error}")]
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        return None, [
            Problem(path, ".".join(str(part) for part in issue["loc"]), issue["msg"])
            for issue in error.errors()
        ]
    if path.stem != manifest.client_id:
        return None, [Problem(path, "client_id", f"the file must be named {manifest.client_id}.toml")]
    return manifest, []


def load_catalogue(directory: Path) -> tuple[list[Manifest], list[Problem]]:
    """Every manifest of a folder, and every problem found in any of them."""
    manifests, problems = [], []
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        return [], [Problem(directory, "", "no manifest (*.toml) in this folder")]
    for path in paths:
        manifest, found = load_manifest(path)
        problems.extend(found)
        if manifest is not None:
            manifests.append(manifest)
    return manifests, problems
