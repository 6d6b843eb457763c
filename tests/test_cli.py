"""The `espace` command line, run in-process on a throwaway var/ folder."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from api.app import access_tokens
from api.cli import main
from api.contents.crypto import parse_master_key
from api.db import Database
from api.journal import outbox
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli_env(tmp_path, monkeypatch) -> Path:
    for name in ("ESPACE_DATABASE_URL", "ESPACE_ENV", "ESPACE_TOKEN_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ESPACE_VAR_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def loaded_var(tmp_path_factory) -> Path:
    """One var/ folder with the demo loaded, shared by the token tests."""
    var = tmp_path_factory.mktemp("cli-var")
    mp = pytest.MonkeyPatch()
    mp.setenv("ESPACE_VAR_DIR", str(var))
    mp.delenv("ESPACE_DATABASE_URL", raising=False)
    mp.delenv("ESPACE_ENV", raising=False)
    try:
        assert main(["demo"]) == 0
    finally:
        mp.undo()
    return var


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["migrate"],
        ["demo"],
        ["schema"],
        ["schema", "export"],
        ["token"],
        ["keys"],
        ["export"],
        ["import"],
        ["store"],
        ["store", "gc"],
    ],
)
def test_every_command_has_help(command: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: espace")


def test_python_m_api_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "api", "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0
    assert "serve" in result.stdout
    assert "token" in result.stdout


def test_demo_prints_a_token_for_every_persona(cli_env, capsys) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for handle in ("nadia", "gp", "lab", "toddler", "operator"):
        assert f"\n{handle} (" in out
    assert out.count("Authorization: Bearer ") >= 13


def test_token_prints_a_verifiable_token_on_its_last_line(loaded_var, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(loaded_var))
    assert main(["token", "--as", "nadia", "--scopes", "agenda:read documents:read", "--ttl", "1h"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    claims = access_tokens(Settings(_env_file=None, var_dir=loaded_var)).verify(token)
    assert claims["scope"] == "agenda:read documents:read"
    assert claims["exp"] - claims["iat"] == 3600


def test_token_accepts_an_account_or_person_id(loaded_var, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(loaded_var))
    assert main(["token", "--as", "gp"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    account_id = access_tokens(Settings(_env_file=None, var_dir=loaded_var)).verify(token)["sub"]
    assert main(["token", "--as", account_id]) == 0
    again = capsys.readouterr().out.strip().splitlines()[-1]
    assert access_tokens(Settings(_env_file=None, var_dir=loaded_var)).verify(again)["sub"] == account_id


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--as", "nobody"], "no persona or account 'nobody'"),
        (["--as", "nadia", "--scopes", "documents:read everything"], "unknown scope(s): everything"),
        (["--as", "nadia", "--ttl", "forever"], "invalid duration"),
        (["--as", "nadia", "--ttl", "400d"], "at most 30 days"),
        (["--as", "nadia", "--ttl", "0h"], "above 0"),
    ],
)
def test_token_refuses_bad_input_clearly(loaded_var, monkeypatch, capsys, arguments, message) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(loaded_var))
    assert main(["token", *arguments]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Bearer" not in captured.out


@pytest.mark.parametrize("command", [["token", "--as", "nadia"], ["demo"]])
def test_production_refuses_development_tokens_and_demo_data(cli_env, monkeypatch, capsys, command) -> None:
    monkeypatch.setenv("ESPACE_ENV", "production")
    assert main(command) == 2
    assert "refused in production" in capsys.readouterr().err


def test_production_serve_names_every_missing_setting(cli_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ESPACE_ENV", "production")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "ESPACE_TOKEN_SIGNING_KEY" in err
    assert "ESPACE_DATABASE_URL" in err


def test_invalid_settings_are_reported(cli_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ESPACE_DATABASE_URL", "mysql://somewhere/db")
    assert main(["migrate"]) == 2
    assert "database_url" in capsys.readouterr().err


def test_keys_generate_prints_a_usable_signing_key(cli_env, monkeypatch, capsys) -> None:
    assert main(["keys", "generate"]) == 0
    lines = dict(line.partition("=")[::2] for line in capsys.readouterr().out.strip().splitlines())
    assert set(lines) == {"ESPACE_TOKEN_SIGNING_KEY", "ESPACE_CONTENT_MASTER_KEY", "ESPACE_METRICS_TOKEN"}
    assert len(lines["ESPACE_METRICS_TOKEN"]) >= 40
    pem = lines["ESPACE_TOKEN_SIGNING_KEY"].strip('"').replace("\\n", "\n")
    assert len(parse_master_key(lines["ESPACE_CONTENT_MASTER_KEY"])) == 32
    settings = Settings(_env_file=None, var_dir=cli_env, env="production", token_signing_key=pem)
    tokens = access_tokens(settings)
    assert not (cli_env / "token-signing-key.pem").exists()
    assert tokens.verify(tokens.mint(subject="s", client_id="c", scopes=[], ttl=timedelta(minutes=1)))


def test_schema_export_writes_the_sdl(cli_env, tmp_path, capsys) -> None:
    target = tmp_path / "out.graphql"
    assert main(["schema", "export", "--output", str(target)]) == 0
    assert "type Query" in target.read_text()
    assert main(["schema", "export"]) == 0
    assert capsys.readouterr().out == target.read_text()


def test_token_for_a_child_acts_for_that_space(loaded_var, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(loaded_var))
    assert main(["token", "--as", "parent", "--for", "toddler"]) == 0
    output = capsys.readouterr().out
    assert "acting for Hugo Lefèvre" in output
    claims = access_tokens(Settings(_env_file=None, var_dir=loaded_var)).verify(
        output.strip().splitlines()[-1]
    )
    assert "acting_for" in claims
    assert main(["token", "--as", "gp", "--for", "toddler"]) == 2
    assert main(["token", "--as", "parent", "--for", "nobody"]) == 2


def test_outbox_lists_pending_events(loaded_var, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(loaded_var))
    settings = Settings(_env_file=None, var_dir=loaded_var)

    async def queue() -> None:
        database = Database(settings)
        try:
            async with database.engine.begin() as connection:
                await outbox.emit(
                    connection, outbox.EventKind.EMERGENCY_ACCESS_OPENED, None, {"reason": "test event"}
                )
        finally:
            await database.dispose()

    asyncio.run(queue())
    assert main(["outbox"]) == 0
    output = capsys.readouterr().out
    assert "access.emergency_opened" in output
    assert '"reason": "test event"' in output
