"""The plugin interface: declarations checked, discovery that survives a broken
plugin, ESPACE_PLUGINS, and programmes merged from a plugin's file."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from api import plugins
from api.agenda.programmes import PROGRAMMES_FILE, ProgrammesError, load_programmes
from api.plugins import Plugin, PluginError, PluginScope, discover, enabled_names
from api.settings import Settings

SCOPE = PluginScope("demo:read", "Lire", "Read", "Lire les données.", "Read the data.")


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (Plugin(name="Bad-Name", version="1", description="x"), "lower case"),
        (
            Plugin(
                name="demo",
                version="1",
                description="x",
                scopes=(PluginScope("other:read", "a", "b", "c", "d"),),
            ),
            "must be named 'demo:<verb>'",
        ),
        (
            Plugin(
                name="demo",
                version="1",
                description="x",
                scopes=(PluginScope("demo:read", "", "b", "c", "d"),),
            ),
            "labels in French and English",
        ),
        (
            Plugin(name="demo", version="1", description="x", hooks={"dossier.updated": lambda *_: None}),  # type: ignore[dict-item]
            "no hook on 'dossier.updated'",
        ),
        (Plugin(name="demo", version="1", description="x", migrations=Path("/nowhere")), "does not exist"),
    ],
)
def test_a_declaration_the_platform_cannot_honour_is_refused(plugin: Plugin, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        plugin.check()


def test_a_sound_declaration_passes() -> None:
    Plugin(name="demo", version="1", description="x", scopes=(SCOPE,)).check()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, ["a", "b"]), ("none", []), ("", []), ("b", ["b"]), (" b , a ", ["b", "a"])],
)
def test_espace_plugins_names_those_enabled(setting: str | None, expected: list[str]) -> None:
    assert enabled_names(setting, ["b", "a"]) == expected


class _Entry(SimpleNamespace):
    def load(self) -> object:
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


def test_discovery_leaves_out_a_broken_plugin_and_says_why(monkeypatch) -> None:
    good = Plugin(
        name="good", version="1", description="x", scopes=(PluginScope("good:read", "a", "b", "c", "d"),)
    )
    entries = [
        _Entry(name="good", value=good),
        _Entry(name="broken", value=ImportError("No module named 'numpy'")),
        _Entry(name="odd", value=42),
        _Entry(name="liar", value=Plugin(name="other", version="1", description="x")),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: entries)
    found = discover(Settings(_env_file=None))
    assert [plugin.name for plugin in found.enabled] == ["good"]
    assert [scope.name for scope in found.scopes] == ["good:read"]
    failures = {failure.name: failure.error for failure in found.failures}
    assert failures["broken"] == "ImportError: No module named 'numpy'"
    assert "not an api.plugins.Plugin" in failures["odd"]
    assert "the names must agree" in failures["liar"]

    only = discover(Settings(_env_file=None, plugins="good,missing"))
    assert [plugin.name for plugin in only.enabled] == ["good"]
    assert [failure.name for failure in only.failures] == ["missing"]
    assert "not installed" in only.failures[0].error
    assert discover(Settings(_env_file=None, plugins="none")).enabled == ()


def test_a_plugin_file_adds_programmes_checked_with_the_core(tmp_path: Path) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text(
        'version = "1"\n'
        "[programmes.extra-checkup]\n"
        'title = "Bilan de démonstration"\n'
        'kind = "CHECKUP"\n'
        'source = "Un guide de démonstration"\n'
        'eligible = [{ min_age = "40y", conditions = ["diabetes"] }]\n'
        'schedule = { type = "recurring", every = "1y" }\n'
        'done_by = [{ kind = "DOCUMENT", codes = ["11488-4"] }]\n',
        encoding="utf-8",
    )
    merged = load_programmes(PROGRAMMES_FILE, ("demo", extra))
    assert "extra-checkup" in merged.programmes
    assert merged.version.endswith("+demo@1")

    clash = tmp_path / "clash.toml"
    clash.write_text(
        extra.read_text(encoding="utf-8").replace("extra-checkup", "colorectal-screening"), encoding="utf-8"
    )
    with pytest.raises(ProgrammesError, match=r"demo: programmes \['colorectal-screening'\] already defined"):
        load_programmes(PROGRAMMES_FILE, ("demo", clash))

    unknown = tmp_path / "unknown.toml"
    unknown.write_text(extra.read_text(encoding="utf-8").replace('"diabetes"', '"nothing"'), encoding="utf-8")
    with pytest.raises(ProgrammesError, match="unknown"):
        load_programmes(PROGRAMMES_FILE, ("demo", unknown))


def test_an_apps_scope_of_a_plugin_not_enabled_here_is_not_offered(monkeypatch) -> None:
    from api.identity import scopes

    monkeypatch.setattr(scopes, "all_scopes", lambda: frozenset({"agenda:read", "profile:read"}))
    assert scopes.available(["glycemia:read", "agenda:read", "profile:read"]) == [
        "agenda:read",
        "profile:read",
    ]
