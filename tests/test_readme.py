"""The README keeps its promises: two commands, CI runs the test one, every setting documented."""

from __future__ import annotations

import re
from pathlib import Path

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)


def test_the_readme_has_exactly_two_set_up_commands() -> None:
    run, test = _commands()
    assert "espace demo" in run
    assert "espace serve" in run
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    test = _commands()[1]
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    missing = [name for name in Settings.model_fields if f"ESPACE_{name.upper()}" not in README]
    assert missing == []
