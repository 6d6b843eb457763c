"""`espace bench`'s options: help, and clear refusals before any work."""

from __future__ import annotations

import pytest

from api.cli import main


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    for name in ("ESPACE_DATABASE_URL", "ESPACE_ENV", "ESPACE_TOKEN_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ESPACE_VAR_DIR", str(tmp_path))
    return tmp_path


def test_help_names_every_option(cli_env, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--patients", "--duration", "--concurrency", "--json", "--scenarios"):
        assert option in shown


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--duration", "0"], "--duration: 0 must be above zero"),
        (["--duration", "soon"], "--duration: 'soon' is not a number"),
        (["--concurrency", "-3"], "--concurrency: -3 must be above zero"),
        (["--concurrency", "5000"], "at most 1024"),
        (["--patients", "ten"], "--patients: 'ten' is not a number"),
        (["--scenarios", "dashboard,nope"], "unknown scenario(s) 'nope'"),
    ],
)
def test_bad_options_are_usage_errors(cli_env, capsys, arguments, message) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", *arguments])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_sqlite_and_production_are_refused(cli_env, capsys, monkeypatch) -> None:
    assert main(["bench", "--duration", "1"]) == 2
    assert "runs on PostgreSQL" in capsys.readouterr().err
    monkeypatch.setenv("ESPACE_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    assert main(["bench", "--json", str(cli_env / "missing" / "out.json")]) == 2
    assert "--json: no folder" in capsys.readouterr().err
