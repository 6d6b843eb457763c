"""Plugins: Python packages that extend the space without touching api/.

A plugin is one `Plugin` value published under the `espace.plugins` entry
point of its package (see docs/plugins.md). It may add:

- scopes (`PluginScope`, named `<plugin>:<verb>`, labelled in French and English);
- fields on `Patient` and mutations: strawberry mixins whose entry fields are
  guarded with `scoped(...)` like any core field, and which read patient data
  only through `PluginContext` (the access policy and the journal);
- tables (its models on `api.db.Base`) and their Alembic migrations, in a
  branch of its own that `espace migrate` runs with the core's;
- agenda programmes (a TOML file in the format of api/agenda/programmes.toml)
  and evidence the prevention rules read;
- hooks on events of the outbox (a document added, a measurement added), run
  by `espace plugins run-hooks` after the transaction that caused them.

Which plugins are active is decided once per process, from ESPACE_PLUGINS;
a plugin that fails to load is reported and left out (or, with
ESPACE_PLUGINS_STRICT, the service refuses to start).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.journal.outbox import EventKind
from api.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from api.agenda.evidence import Evidence
    from api.plugin_context import HookContext

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "espace.plugins"
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
RESERVED_NAMES = frozenset({"core", "api", "espace"})  # the core's migration branch, among others
SCOPE_VERB = re.compile(r"^[a-z][a-z_]{1,20}$")
# What a plugin may hook on; each is written to the outbox in the transaction of its cause.
HOOKABLE_EVENTS = frozenset({EventKind.DOCUMENT_ADDED.value, EventKind.MEASUREMENT_ADDED.value})


class PluginError(ValueError):
    """A plugin declares something it may not; the message names the plugin."""


@dataclass(frozen=True, slots=True)
class PluginScope:
    """A scope a plugin adds, labelled for the consent page and the catalogue."""

    name: str
    label_fr: str
    label_en: str
    description_fr: str
    description_en: str


@dataclass(frozen=True, slots=True)
class HookEvent:
    """An outbox event handed to a hook."""

    id: uuid.UUID
    kind: str
    patient_id: uuid.UUID | None
    payload: Mapping[str, Any]


EventHook = Callable[["HookEvent", "HookContext"], Awaitable[None]]
# Evidence for the prevention rules, read in the agenda's refresh: (connection, patient id).
EvidenceSource = Callable[["AsyncConnection", uuid.UUID], Awaitable[Iterable["Evidence"]]]


@dataclass(frozen=True)
class Plugin:
    """What a plugin contributes. Every part is optional but the name and version."""

    name: str
    version: str
    description: str
    scopes: tuple[PluginScope, ...] = ()
    # Strawberry mixins: `Patient` fields (subclasses of api.directory.types.PatientFields),
    # mutation fields, and types reachable only through interfaces (none needed otherwise).
    patient_fields: tuple[type, ...] = ()
    mutations: tuple[type, ...] = ()
    types: tuple[type, ...] = ()
    # Its tables: models on api.db.Base, named `<plugin>_...`, created by the
    # Alembic revisions of `migrations` (kept in a version table of its own).
    models: tuple[type, ...] = ()
    migrations: Path | None = None
    # Agenda programmes in the format of api/agenda/programmes.toml, and evidence for them.
    programmes: Path | None = None
    evidence: tuple[EvidenceSource, ...] = ()
    hooks: Mapping[str, EventHook] = field(default_factory=dict)

    def check(self) -> None:
        """Refuse a declaration the platform could not honour, naming what is wrong."""
        if not PLUGIN_NAME.match(self.name):
            raise PluginError(f"plugin name {self.name!r}: lower case letters, digits and _ only")
        if self.name in RESERVED_NAMES:
            raise PluginError(f"plugin name {self.name!r} is reserved")
        for scope in self.scopes:
            prefix, _, verb = scope.name.partition(":")
            if prefix != self.name or not SCOPE_VERB.match(verb):
                raise PluginError(
                    f"plugin {self.name}: scope {scope.name!r} must be named '{self.name}:<verb>'"
                )
            labels = (scope.label_fr, scope.label_en, scope.description_fr, scope.description_en)
            if not all(text.strip() for text in labels):
                raise PluginError(
                    f"plugin {self.name}: scope {scope.name} needs labels in French and English"
                )
        for kind in self.hooks:
            if kind not in HOOKABLE_EVENTS:
                raise PluginError(
                    f"plugin {self.name}: no hook on {kind!r}; events: {', '.join(sorted(HOOKABLE_EVENTS))}"
                )
        for path, what in ((self.migrations, "migrations folder"), (self.programmes, "programmes file")):
            if path is not None and not path.exists():
                raise PluginError(f"plugin {self.name}: its {what} {path} does not exist")


@dataclass(frozen=True, slots=True)
class PluginFailure:
    name: str
    error: str


class PluginsFailed(RuntimeError):
    """ESPACE_PLUGINS_STRICT: an enabled plugin failed to load, so the service does not start."""

    def __init__(self, failures: Iterable[PluginFailure]) -> None:
        super().__init__(
            "plugins failed to load (ESPACE_PLUGINS_STRICT): "
            + "; ".join(f"{failure.name}: {failure.error}" for failure in failures)
        )


@dataclass(frozen=True, slots=True)
class Plugins:
    """The plugins of this process: those installed, those enabled, those that failed."""

    installed: tuple[str, ...]
    enabled: tuple[Plugin, ...]
    failures: tuple[PluginFailure, ...]

    @property
    def scopes(self) -> tuple[PluginScope, ...]:
        return tuple(scope for plugin in self.enabled for scope in plugin.scopes)

    def named(self, name: str) -> Plugin | None:
        return next((plugin for plugin in self.enabled if plugin.name == name), None)


def _loaded(value: object, entry_name: str) -> Plugin:
    plugin = value() if callable(value) and not isinstance(value, Plugin) else value
    if not isinstance(plugin, Plugin):
        raise PluginError(
            f"entry point {entry_name} gives a {type(plugin).__name__}, not an api.plugins.Plugin"
        )
    if plugin.name != entry_name:
        raise PluginError(f"entry point {entry_name} gives the plugin {plugin.name!r}: the names must agree")
    plugin.check()
    return plugin


def _programmes_hold(plugins: list[Plugin], candidate: Plugin) -> None:
    """A plugin's programmes, checked now with the core's and those of the plugins
    already enabled: a bad file or a clash leaves it out, not the agenda broken."""
    if candidate.programmes is None:
        return
    from api.agenda.programmes import PROGRAMMES_FILE, load_programmes  # noqa: PLC0415 - the agenda stands on plugins

    files = [(plugin.name, plugin.programmes) for plugin in plugins if plugin.programmes is not None]
    load_programmes(PROGRAMMES_FILE, *files, (candidate.name, candidate.programmes))


def enabled_names(setting: str | None, installed: Iterable[str]) -> list[str]:
    """ESPACE_PLUGINS: unset means every installed plugin; "none" (or empty) none."""
    if setting is None:
        return sorted(installed)
    names = [name.strip() for name in setting.split(",") if name.strip()]
    return [] if names == ["none"] else names


def discover(settings: Settings) -> Plugins:
    """Load the enabled plugins; a failure is recorded with its error, never raised."""
    found = {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}
    enabled: list[Plugin] = []
    failures: list[PluginFailure] = []
    for name in enabled_names(settings.plugins, found):
        entry = found.get(name)
        if entry is None:
            failures.append(PluginFailure(name, "not installed (no espace.plugins entry point by that name)"))
            continue
        try:
            plugin = _loaded(entry.load(), name)
            _programmes_hold(enabled, plugin)
            enabled.append(plugin)
        except Exception as error:  # a broken plugin must not take the service down with it
            logger.exception("plugin %s failed to load", name)
            failures.append(PluginFailure(name, f"{type(error).__name__}: {error}"))
    return Plugins(tuple(sorted(found)), tuple(enabled), tuple(failures))


@cache
def active() -> Plugins:
    """The plugins of this process, decided once from the environment's settings:
    the schema, the scopes and the migrations are built from them at import time."""
    plugins = discover(Settings())
    for failure in plugins.failures:
        logger.error("plugin %s left out: %s", failure.name, failure.error)
    return plugins
