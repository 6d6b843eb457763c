"""Manifests: the shipped ones pass, a broken one fails naming its file and field."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from api.catalogue.manifest import load_catalogue, load_manifest
from api.cli import main

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "catalogue"


def test_the_shipped_catalogue_is_valid_and_covers_the_six_kinds_of_app() -> None:
    manifests, problems = load_catalogue(CATALOGUE)
    assert problems == []
    assert len(manifests) >= 6
    loopback = [
        m
        for m in manifests
        if m.client_type == "public"
        and any(uri.startswith("http://127.0.0.1:") for uri in m.redirect_uris)
        and "agenda:read" in m.scope_names
    ]
    assert loopback, (
        "a public client with a loopback redirect URI and agenda:read lets developers try the flow"
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _broken(tmp_path: Path, **changes: object) -> Path:
    data = tomllib.loads((CATALOGUE / "glyco-compagnon.toml").read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for part in path:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    lines = []
    for key, value in data.items():
        if (
            not isinstance(value, (dict, list))
            or (isinstance(value, list) and not value)
            or (isinstance(value, list) and not isinstance(value[0], dict))
        ):
            lines.append(f"{key} = {_toml(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines.extend(f"{k} = {_toml(v)}" for k, v in value.items())
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                lines.append(f"[[{key}]]")
                lines.extend(f"{k} = {_toml(v)}" for k, v in item.items())
    return _write(tmp_path, "glyco-compagnon.toml", "\n".join(lines) + "\n")


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"publisher__siren": "812345677"}, "publisher.siren", "SIREN"),
        ({"redirect_uris": ["http://evil.example/cb"]}, "redirect_uris", "loopback"),
        ({"redirect_uris": ["https://a.example/cb#frag"]}, "redirect_uris", "fragment"),
        ({"category": "GAMES"}, "category", "FOLLOW_UP"),
        ({"client_type": "native"}, "client_type", "public"),
        ({"hosting_certification": None}, "", "HDS"),
        ({"description__en": "short"}, "description.en", "at least 20"),
        ({"contact": "not an email"}, "contact", "pattern"),
        ({"homepage": "not a url"}, "homepage", "URL"),
        ({"unexpected": "x"}, "unexpected", "Extra inputs"),
        ({"name": None}, "name", "Field required"),
    ],
)
def test_a_broken_manifest_names_its_file_and_field(tmp_path, changes, field, message) -> None:
    path = _broken(tmp_path, **changes)
    manifest, problems = load_manifest(path)
    assert manifest is None
    assert any(p.file == path and p.field == field and message in p.message for p in problems), problems


def test_unknown_and_repeated_scopes_are_refused(tmp_path) -> None:
    text = (CATALOGUE / "glyco-compagnon.toml").read_text(encoding="utf-8")
    path = _write(
        tmp_path, "glyco-compagnon.toml", text.replace('scope = "profile:write"', 'scope = "everything:all"')
    )
    _, problems = load_manifest(path)
    assert [(p.field, "unknown scope" in p.message) for p in problems] == [("scopes.2.scope", True)]
    path = _write(
        tmp_path, "glyco-compagnon.toml", text.replace('scope = "profile:write"', 'scope = "agenda:read"')
    )
    _, problems = load_manifest(path)
    assert "listed twice" in problems[0].message


def test_the_file_is_named_after_the_client_id(tmp_path) -> None:
    shutil.copy(CATALOGUE / "glyco-compagnon.toml", tmp_path / "other-name.toml")
    _, problems = load_manifest(tmp_path / "other-name.toml")
    assert problems[0].field == "client_id"


def test_invalid_toml_is_a_problem_not_a_crash(tmp_path) -> None:
    _, problems = load_manifest(_write(tmp_path, "x.toml", "client_id = [unclosed"))
    assert "not valid TOML" in problems[0].message


def test_catalogue_check_passes_on_the_shipped_manifests(capsys) -> None:
    assert main(["catalogue", "check", str(CATALOGUE)]) == 0
    assert "manifest(s) valid" in capsys.readouterr().out


def test_catalogue_check_fails_clearly_on_a_broken_one(tmp_path, capsys) -> None:
    for path in CATALOGUE.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    _broken(tmp_path, publisher__siren="812345677", redirect_uris=["ftp://x.example/cb"])
    assert main(["catalogue", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'glyco-compagnon.toml'}: publisher.siren:" in err
    assert f"{tmp_path / 'glyco-compagnon.toml'}: redirect_uris:" in err
    assert "2 problem(s)" in err


def test_an_empty_folder_is_a_problem(tmp_path, capsys) -> None:
    assert main(["catalogue", "check", str(tmp_path)]) == 1
