"""A plugin written outside the project, installed beside it (a dist-info with
its entry point on the path), following docs/plugins.md: no change to api/.

Plugins are decided once per process, so each case runs `espace` in a
subprocess with its own ESPACE_PLUGINS.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

OUTSIDER = """
from pathlib import Path

import strawberry

from api.access.policy import SpacePart
from api.directory.types import PatientFields
from api.graphql.context import Info
from api.graphql.permissions import scoped
from api.plugin_context import PluginContext
from api.plugins import Plugin, PluginScope

from outsider_plugin.models import OutsiderNote


@strawberry.type
class PatientOutsiderFields(PatientFields):
    @strawberry.field(description="How many weights the profile holds.", **scoped("outsider:read"))
    async def outsider_weights(self, info: Info) -> int | None:
        plugin = PluginContext(info, "outsider")
        granted = await plugin.open(self.record.id, SpacePart.PROFILE)
        plugin.journal_read(granted, "Weights")
        return len(await plugin.measurements(self.record.id, "WEIGHT", last=50))


plugin = Plugin(
    name="outsider",
    version="0.1",
    description="An outsider's plugin",
    scopes=(
        PluginScope("outsider:read", "Lire vos poids", "Read your weights", "Vos poids.", "Your weights."),
    ),
    patient_fields=(PatientOutsiderFields,),
    models=(OutsiderNote,),
    migrations=Path(__file__).parent / "migrations",
)
"""

MODELS = """
import uuid

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class OutsiderNote(Base):
    __tablename__ = "outsider_notes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    text: Mapped[str] = mapped_column(String(100))
"""

MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "0001_outsider"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outsider_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outsider_notes"),
    )


def downgrade() -> None:
    op.drop_table("outsider_notes")
"""


def _distribution(site: Path, name: str, module: str, files: dict[str, str]) -> None:
    package = site / module
    (package / "migrations").mkdir(parents=True)
    for path, text in files.items():
        (package / path).write_text(text, encoding="utf-8")
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[espace.plugins]\n{name} = {module}:plugin\n", encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    _distribution(
        site,
        "outsider",
        "outsider_plugin",
        {"__init__.py": OUTSIDER, "models.py": MODELS, "migrations/0001_outsider.py": MIGRATION},
    )
    _distribution(site, "broken", "broken_plugin", {"__init__.py": "import a_module_nobody_has\n"})
    return site


def _espace(site: Path, var: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ESPACE_") or key == "ESPACE_TEST_DATABASE_URL"
    }
    environment.pop("ESPACE_TEST_DATABASE_URL", None)
    environment |= {"PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "ESPACE_VAR_DIR": str(var), **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "api", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=var,
        timeout=120,
        check=False,
    )


def test_an_outsiders_plugin_extends_the_schema_and_the_scopes(site: Path, tmp_path: Path) -> None:
    listed = _espace(site, tmp_path, "plugins", ESPACE_PLUGINS="outsider")
    assert listed.returncode == 0, listed.stderr
    assert "outsider 0.1 (enabled): An outsider's plugin" in listed.stdout
    assert "scope outsider:read: Read your weights / Lire vos poids" in listed.stdout
    assert "broken" in listed.stdout.splitlines()[0]  # installed, not enabled

    sdl = _espace(site, tmp_path, "schema", "export", ESPACE_PLUGINS="outsider")
    assert sdl.returncode == 0, sdl.stderr
    assert 'outsiderWeights: Int @requiresScopes(scopes: ["outsider:read"]' in sdl.stdout
    # "Any patient-data scope" includes the plugin's.
    opening = sdl.stdout.index("patient(id: ID = null): Patient @requiresScopes(")
    assert '"outsider:read"' in sdl.stdout[opening : sdl.stdout.index("any: true", opening)]


def test_a_disabled_plugin_leaves_no_field(site: Path, tmp_path: Path) -> None:
    sdl = _espace(site, tmp_path, "schema", "export", ESPACE_PLUGINS="none")
    assert sdl.returncode == 0, sdl.stderr
    assert "outsider" not in sdl.stdout
    assert "type Patient" in sdl.stdout


def test_its_migrations_run_with_the_core_and_stay_when_it_is_disabled(site: Path, tmp_path: Path) -> None:
    migrated = _espace(site, tmp_path, "migrate", ESPACE_PLUGINS="outsider")
    assert migrated.returncode == 0, migrated.stderr
    assert "outsider at 0001_outsider" in migrated.stdout
    assert _espace(site, tmp_path, "migrate", ESPACE_PLUGINS="outsider").returncode == 0  # idempotent
    without = _espace(site, tmp_path, "migrate", ESPACE_PLUGINS="none")
    assert without.returncode == 0, without.stderr
    assert "outsider" not in without.stdout


def test_a_broken_plugin_is_reported_and_left_out_or_stops_a_strict_start(site: Path, tmp_path: Path) -> None:
    listed = _espace(site, tmp_path, "plugins", ESPACE_PLUGINS="outsider,broken")
    assert listed.returncode == 1
    assert (
        "broken FAILED to load: ModuleNotFoundError: No module named 'a_module_nobody_has'" in listed.stderr
    )
    assert "outsider 0.1 (enabled)" in listed.stdout

    sdl = _espace(site, tmp_path, "schema", "export", ESPACE_PLUGINS="outsider,broken")
    assert sdl.returncode == 0
    assert "outsiderWeights" in sdl.stdout

    strict = _espace(site, tmp_path, "serve", ESPACE_PLUGINS="outsider,broken", ESPACE_PLUGINS_STRICT="true")
    assert strict.returncode != 0
    assert "refusing to serve: a plugin failed to load (ESPACE_PLUGINS_STRICT)" in strict.stderr
    assert "plugin broken left out" in strict.stderr


def test_a_manifest_may_name_the_scope_of_an_installed_plugin_even_disabled(
    site: Path, tmp_path: Path
) -> None:
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    manifest = (ROOT / "catalogue" / "glyco-compagnon.toml").read_text(encoding="utf-8")
    extra = '\n[[scopes]]\nscope = "{}"\njustification = "Afficher vos poids pour suivre leur évolution."\n'
    (catalogue / "glyco-compagnon.toml").write_text(
        manifest + extra.format("outsider:read"), encoding="utf-8"
    )
    checked = _espace(site, tmp_path, "catalogue", "check", str(catalogue), ESPACE_PLUGINS="none")
    assert checked.returncode == 0, checked.stderr

    (catalogue / "glyco-compagnon.toml").write_text(manifest + extra.format("nobody:read"), encoding="utf-8")
    refused = _espace(site, tmp_path, "catalogue", "check", str(catalogue), ESPACE_PLUGINS="none")
    assert refused.returncode == 1
    assert "unknown scope 'nobody:read'" in refused.stderr
