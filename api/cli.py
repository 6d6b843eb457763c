"""The `espace` command: serve, migrate, demo, schema export, token, keys, bench."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from pydantic import ValidationError

from api.errors import EspaceError
from api.settings import Settings

if TYPE_CHECKING:
    from api.db import Database

EXIT_USAGE = 2
T = TypeVar("T")


class CommandError(Exception):
    """A refusal to print on stderr, ending the command with a non-zero status."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"espace: invalid settings:\n{error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(settings, args) or 0
    except CommandError as error:
        print(f"espace: {error}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="espace",
        description="Espace Santé: one GraphQL API over a person's whole health space. "
        "Settings come from ESPACE_* environment variables (see README.md).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_service_commands(commands)
    _add_catalogue_commands(commands)
    _add_plugin_commands(commands)
    _add_data_commands(commands)
    _add_maintenance_commands(commands)
    _add_indicator_commands(commands)
    _add_bench_command(commands)
    return parser


def _add_indicator_commands(commands: Commands) -> None:
    from api.indicators.commands import add_commands

    def runner(work: Callable[..., Awaitable[str]], settings: Settings, args: argparse.Namespace) -> int:
        async def run(database: Database) -> str:
            await _migrated(database)
            return await work(database, settings, args)

        try:
            print(_on_database(settings, run))
        except (ValueError, EspaceError) as error:
            raise CommandError(str(error)) from error
        return 0

    add_commands(commands, runner)


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_service_commands(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the API (GraphiQL at /graphql in development)",
        description="Serve the API with uvicorn. In development, migrate the database first.",
    )
    serve.add_argument("--host", help="address to bind (default: ESPACE_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: ESPACE_PORT, 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default: ESPACE_WORKERS, 1)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser(
        "migrate",
        help="migrate the database to the latest schema",
        description="Run every pending migration.",
    )
    migrate.set_defaults(run=_migrate)

    demo = commands.add_parser(
        "demo",
        help="load the demo personas and print a token for each",
        description="Migrate, then create or update the demo personas (idempotent) and print a "
        "development token for each. Refused in production.",
    )
    demo.set_defaults(run=_demo)

    schema = commands.add_parser(
        "schema", help="the GraphQL schema", description="Work with the GraphQL schema."
    )
    schema_commands = schema.add_subparsers(title="schema commands", metavar="SUBCOMMAND")
    export = schema_commands.add_parser(
        "export",
        help="print the schema in SDL (as committed in schema.graphql)",
        description="Print the schema in SDL, or write it to --output.",
    )
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(run=_schema_export)
    schema.set_defaults(run=lambda settings, args: schema.print_help() or EXIT_USAGE)

    token = commands.add_parser(
        "token",
        help="print a development bearer token",
        description="Print a development bearer token for a persona handle, an account id or a person's "
        "id, on the last line. Refused in production.",
    )
    token.add_argument("--as", dest="who", required=True, metavar="PERSONA_OR_ID", help="e.g. nadia, gp")
    token.add_argument(
        "--scopes", help='space-separated scopes, e.g. "agenda:read documents:read" (default: all)'
    )
    token.add_argument("--ttl", help="lifetime such as 15m, 1h or 2d (default: ESPACE_DEV_TOKEN_TTL, 12h)")
    token.add_argument(
        "--for",
        dest="acting_for",
        metavar="PERSONA_OR_ID",
        help="a representative's token acting for one space, e.g. --as parent --for toddler",
    )
    token.set_defaults(run=_token)

    outbox = commands.add_parser(
        "outbox",
        help="list pending notification events",
        description="List the notification events waiting in the outbox, oldest first.",
    )
    outbox.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    outbox.set_defaults(run=_outbox)
    outbox_commands = outbox.add_subparsers(title="outbox commands", metavar="SUBCOMMAND")
    deliver = outbox_commands.add_parser(
        "deliver",
        help="send the pending notices by e-mail (SMTP)",
        description="Send every pending notice to its patient's notification address through "
        "ESPACE_SMTP_HOST, at least once, backing off after failures; with --follow, keep going.",
    )
    deliver.add_argument("--follow", action="store_true", help="keep running, every --interval seconds")
    deliver.add_argument("--interval", type=_positive(float, "--interval"), default=10.0)
    deliver.set_defaults(run=_outbox_deliver)


def _add_plugin_commands(commands: Commands) -> None:
    plugins = commands.add_parser(
        "plugins",
        help="list the installed and enabled plugins with their scopes",
        description="List the plugins installed (espace.plugins entry points), those enabled "
        "(ESPACE_PLUGINS), their scopes, those that failed to load and the events their hooks parked.",
    )
    plugins.set_defaults(run=_plugins)
    plugin_commands = plugins.add_subparsers(title="plugins commands", metavar="SUBCOMMAND")
    run_hooks = plugin_commands.add_parser(
        "run-hooks",
        help="hand the new outbox events to the plugins' hooks",
        description="Hand every new outbox event to the hooks of the enabled plugins, then stop "
        "(or, with --follow, keep going every ESPACE_PLUGIN_HOOKS_INTERVAL seconds).",
    )
    run_hooks.add_argument("--follow", action="store_true", help="keep running")
    run_hooks.add_argument(
        "--retry-parked", action="store_true", help="first try once more the events a hook gave up on"
    )
    run_hooks.set_defaults(run=_run_hooks)


def _add_catalogue_commands(commands: Commands) -> None:
    catalogue = commands.add_parser(
        "catalogue", help="the app catalogue's manifests", description="Check or sync the app manifests."
    )
    catalogue_commands = catalogue.add_subparsers(title="catalogue commands", metavar="SUBCOMMAND")
    check = catalogue_commands.add_parser(
        "check",
        help="validate every manifest; print each problem with its file and field",
        description="Validate every manifest of the catalogue folder (default: ESPACE_CATALOGUE_DIR). "
        "Exits non-zero on any problem.",
    )
    check.add_argument("directory", nargs="?", type=Path, help="folder of *.toml manifests")
    check.set_defaults(run=_catalogue_check)
    sync = catalogue_commands.add_parser(
        "sync",
        help="upsert the manifests into the database (new apps start SUBMITTED)",
        description="Validate, then upsert every manifest. A referenced app that asks for new scopes keeps "
        "only its vetted scopes until an operator approves the new ones.",
    )
    sync.add_argument("directory", nargs="?", type=Path, help="folder of *.toml manifests")
    sync.set_defaults(run=_catalogue_sync)
    catalogue.set_defaults(run=lambda settings, args: catalogue.print_help() or EXIT_USAGE)


def _add_data_commands(commands: Commands) -> None:
    export = commands.add_parser(
        "export",
        help="write a patient's whole space as a FHIR R4 Bundle (portability)",
        description="Write the space of a patient (id, INS or demo handle) as one FHIR R4 Bundle: identity, "
        "profile, measurements and documents with their contents, as the patient sees them. The export "
        "is written to the patient's journal.",
    )
    export.add_argument("--patient", required=True, metavar="ID_OR_INS", help="e.g. an id, an INS, nadia")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(run=_export)
    bundles = commands.add_parser(
        "import",
        help="import FHIR R4 Bundles into the spaces they name (by INS)",
        description="Import a FHIR R4 Bundle, or every *.json Bundle of a folder: Patient (matched by INS "
        "and birth date), DocumentReference (with Binary or attachment data), Immunization, Observation, "
        "AllergyIntolerance, Condition and the other profile resources. Idempotent; a file is imported "
        "whole or not at all; what is refused is listed with its reason.",
    )
    bundles.add_argument("path", type=Path, help="a Bundle file or a folder of them")
    bundles.set_defaults(run=_import)
    statements = commands.add_parser(
        "import-reimbursements",
        help="import the insurer's statement feed (CSV or FHIR ExplanationOfBenefit)",
        description="Import the health insurance's statements: the CSV feed (semicolon-separated, header "
        "line_id;ins;care_date;act_code;act_label;category;rpps;professional;charged;base;rate;reimbursed;"
        "complementary;participation_forfaitaire;franchise;out_of_pocket;paid_on;confidential) or a FHIR "
        "R4 Bundle of ExplanationOfBenefit (*.json). All of a file or nothing: any bad line refuses the "
        "file and is reported with its number. Lines already imported are skipped.",
    )
    statements.add_argument("file", type=Path, help="the statement file")
    statements.set_defaults(run=_import_reimbursements)


def _add_maintenance_commands(commands: Commands) -> None:
    dossier = commands.add_parser(
        "dossier", help="scheduled work on the dossier", description="Dossier jobs."
    )
    dossier_commands = dossier.add_subparsers(title="dossier commands", metavar="SUBCOMMAND")
    release = dossier_commands.add_parser(
        "release",
        help="tell patients of documents hidden from them (2 weeks) and release them (1 month)",
        description="Run it regularly (e.g. hourly): documents hidden from their patient are announced as "
        "'your dossier was updated' after ESPACE_HIDDEN_NOTICE_AFTER and released after "
        "ESPACE_HIDDEN_RELEASE_AFTER.",
    )
    release.set_defaults(run=_dossier_release)
    dossier.set_defaults(run=lambda settings, args: dossier.print_help() or EXIT_USAGE)

    agenda = commands.add_parser("agenda", help="scheduled work on the agenda", description="Agenda jobs.")
    agenda_commands = agenda.add_subparsers(title="agenda commands", metavar="SUBCOMMAND")
    refresh = agenda_commands.add_parser(
        "refresh",
        help="recompute every space's prevention items and queue the reminders of items now due",
        description="Run it daily (e.g. at night): birthdays and the passing days make items due with no "
        "other change. Spaces whose inputs and day are unchanged cost one read.",
    )
    refresh.set_defaults(run=_agenda_refresh)
    agenda.set_defaults(run=lambda settings, args: agenda.print_help() or EXIT_USAGE)

    store = commands.add_parser("store", help="the content store", description="Upkeep of the content store.")
    store_commands = store.add_subparsers(title="store commands", metavar="SUBCOMMAND")
    gc = store_commands.add_parser(
        "gc",
        help="remove content blobs no document points to (older than an hour)",
        description="Remove orphan blobs of the content store: left by a crash between a blob and its "
        "row, or by a refused deposit or import. Blobs younger than an hour are kept (a deposit may be in "
        "flight). Also prunes deposit idempotency keys older than 24 hours.",
    )
    gc.set_defaults(run=_store_gc)
    store.set_defaults(run=lambda settings, args: store.print_help() or EXIT_USAGE)

    keys = commands.add_parser(
        "keys", help="secrets for production", description="Generate production secrets."
    )
    key_commands = keys.add_subparsers(title="keys commands", metavar="SUBCOMMAND")
    generate = key_commands.add_parser(
        "generate",
        help="print new secrets as ESPACE_...=... lines",
        description="Print new production secrets.",
    )
    generate.set_defaults(run=_keys_generate)
    rewrap = key_commands.add_parser(
        "rewrap",
        help="re-wrap every space's data key with the current content master key",
        description="After setting a new ESPACE_CONTENT_MASTER_KEY, with the old one in "
        "ESPACE_PREVIOUS_CONTENT_MASTER_KEY: re-wrap the data keys (contents are not re-encrypted).",
    )
    rewrap.set_defaults(run=_keys_rewrap)
    keys.set_defaults(run=lambda settings, args: keys.print_help() or EXIT_USAGE)


def _positive(kind: Callable[[str], T], what: str, *, at_most: float | None = None) -> Callable[[str], T]:
    """An argparse type: a number above zero (and at most `at_most`), else a clear usage error."""

    def parse(value: str) -> T:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}: {value!r} is not a number") from None
        if not number > 0 or (at_most is not None and number > at_most):  # type: ignore[operator]
            limit = f" and at most {at_most:g}" if at_most is not None else ""
            raise argparse.ArgumentTypeError(f"{what}: {value} must be above zero{limit}")
        return number

    return parse


def _scenario_names(value: str) -> tuple[str, ...]:
    from api.bench.scenarios import SCENARIOS

    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in SCENARIOS]
    if not names or unknown:
        named = ", ".join(map(repr, unknown)) or repr(value)
        raise argparse.ArgumentTypeError(f"unknown scenario(s) {named}; choose among {','.join(SCENARIOS)}")
    return names


def _add_bench_command(commands: Commands) -> None:
    bench = commands.add_parser(
        "bench",
        help="benchmark the API against raw SQL on a generated dataset (PostgreSQL)",
        description="Generate (or reuse) a benchmark dataset in the database of ESPACE_DATABASE_URL, which "
        "must hold nothing else, then run each scenario (dashboard, reference, professional_read, deposit, "
        "search) against one API process pinned to core 0 from a load generator pinned to core 1. Prints a "
        "table; --json writes the figures, dataset size, versions and machine.",
    )
    bench.add_argument(
        "--patients", type=_positive(int, "--patients"), default=10_000, help="dataset size (default 10000)"
    )
    bench.add_argument(
        "--duration",
        type=_positive(float, "--duration", at_most=3600),
        default=20.0,
        help="seconds measured per scenario, after a warm-up (default 20)",
    )
    bench.add_argument(
        "--concurrency",
        type=_positive(int, "--concurrency", at_most=1024),
        default=32,
        help="concurrent requests (default 32)",
    )
    bench.add_argument("--json", dest="json_path", type=Path, help="write the report as JSON to this file")
    bench.add_argument(
        "--scenarios", type=_scenario_names, help="comma-separated, e.g. dashboard,reference (default: all)"
    )
    bench.set_defaults(run=_bench)


def _bench(settings: Settings, args: argparse.Namespace) -> int:
    if settings.is_production:
        raise CommandError("the benchmark mints development tokens: run it with ESPACE_ENV=development")
    if not settings.resolved_database_url.startswith("postgresql"):
        raise CommandError(
            "the benchmark runs on PostgreSQL: set ESPACE_DATABASE_URL to a benchmark database"
        )
    if args.json_path is not None and not args.json_path.parent.is_dir():
        raise CommandError(f"--json: no folder {args.json_path.parent}")
    from api.bench.runner import BenchOptions, run

    options = BenchOptions(
        patients=args.patients, duration=args.duration, concurrency=args.concurrency, json_path=args.json_path
    )
    if args.scenarios:
        options = dataclasses.replace(options, scenarios=args.scenarios)
    report = run(settings, options)
    return 1 if report["flagged"] else 0


def _on_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` on a database opened for this command, closed after."""
    from api.db import Database

    async def run() -> T:
        database = Database(settings)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.logs import log_config
    from api.plugins import active

    problems = settings.production_problems()
    if problems:
        raise CommandError("refusing to serve in production:\n  " + "\n  ".join(problems))
    for failure in active().failures:
        print(f"plugin {failure.name} left out, it failed to load: {failure.error}", file=sys.stderr)
    if active().failures and settings.plugins_strict:
        raise CommandError("refusing to serve: a plugin failed to load (ESPACE_PLUGINS_STRICT)")
    if not settings.is_production:
        _migrate(settings, args)
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"Espace Santé on http://{host}:{port}/graphql ({settings.env.value})", flush=True)
    uvicorn.run(
        "api.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=None if args.reload else (args.workers or settings.workers),
        reload=args.reload,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level, settings.log_format),
        proxy_headers=True,
    )
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from api.migrations import current_revisions, upgrade

    async def run(database: Database) -> dict[str, set[str]]:
        await upgrade(database)
        return await current_revisions(database)

    revisions = _on_database(settings, run)
    at = "; ".join(f"{branch} at {', '.join(sorted(heads))}" for branch, heads in revisions.items())
    print(f"Database migrated: {at}.", flush=True)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from api.app import access_tokens
    from api.catalogue.manifest import load_catalogue
    from api.contents.service import contents_for
    from api.demo.activity import create_activity, refresh_year
    from api.demo.catalogue import reference_demo_apps
    from api.demo.dossier import deposit_demo_documents
    from api.demo.personas import load_personas
    from api.demo.profile import enter_demo_profiles
    from api.demo.reimbursements import import_demo_statements
    from api.demo.software import register_demo_software
    from api.hooks import run_hooks
    from api.identity.dev_tokens import find_account, mint_development_token

    if settings.is_production:
        raise CommandError("demo data is refused in production (ESPACE_ENV=production)")
    _migrate(settings, args)
    tokens = access_tokens(settings)

    manifests, problems = load_catalogue(settings.catalogue_dir)
    if problems:
        raise CommandError("the catalogue has problems; run `espace catalogue check`")

    async def run(database: Database) -> list[tuple[str, str, str, str]]:
        personas = await load_personas(database)
        referenced = await reference_demo_apps(database, manifests)
        print(f"Catalogue: {len(referenced)} demo app(s) referenced.")
        for client_id, secret in (await register_demo_software(database)).items():
            print(f"Deposit feed {client_id} (client credentials), new secret: {secret}")
        added = await deposit_demo_documents(database, contents_for(settings, database))
        print(f"Dossier: {added} demo document(s) deposited.")
        print(f"Profiles: {await enter_demo_profiles(database)} demo profile entries and measurements added.")
        statements = await import_demo_statements(database, settings.var_dir)
        if statements.refused:
            raise CommandError(f"the demo statements were refused: {statements.problems[:3]}")
        print(f"Reimbursements: {statements.imported} demo statement line(s) imported.")
        hooks = await run_hooks(database, contents_for(settings, database))
        print(f"Plugins: {hooks.handled} event(s) handed to their hooks.")
        print(
            f"Activity: {await create_activity(database)} synthetic space(s) with a year of activity added."
        )
        figures = await refresh_year(database)
        print(f"Indicators: {figures.days} day(s) aggregated, {figures.cells} cell(s) (see /indicators).")
        rows = []
        for persona in personas:
            account = await find_account(database, persona.handle)
            if account is None:
                raise CommandError(f"persona {persona.handle} vanished while loading")
            token = mint_development_token(settings, tokens, account)
            rows.append((persona.handle, persona.kind, persona.display_name, token))
        return rows

    rows = _on_database(settings, run)
    hours = settings.dev_token_ttl.total_seconds() / 3600
    print(f"\nDemo personas ready. Development tokens, valid {hours:g} h.")
    print("Paste one as an Authorization header in GraphiQL; `espace token --as HANDLE` mints more.")
    for handle, kind, name, token in rows:
        print(f"\n{handle} ({kind}, {name})\n  Authorization: Bearer {token}")
    return 0


def _schema_export(settings: Settings, args: argparse.Namespace) -> int:
    from api.graphql.schema import export_sdl

    sdl = export_sdl(settings)
    if args.output:
        args.output.write_text(sdl, encoding="utf-8")
    else:
        sys.stdout.write(sdl)
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from api.app import access_tokens
    from api.directory.records import AccountRecord
    from api.identity.dev_tokens import find_account, mint_development_token, parse_ttl
    from api.identity.scopes import all_scopes, parse_scopes

    if settings.is_production:
        raise CommandError("development tokens are refused in production (ESPACE_ENV=production)")
    try:
        scopes = parse_scopes(args.scopes) if args.scopes is not None else all_scopes()
        ttl = parse_ttl(args.ttl) if args.ttl else settings.dev_token_ttl
    except ValueError as error:
        raise CommandError(str(error)) from error

    async def run(database: Database) -> tuple[AccountRecord | None, AccountRecord | None]:
        account = await find_account(database, args.who)
        space = await find_account(database, args.acting_for) if args.acting_for else None
        return account, space

    account, space = _on_database(settings, run)
    if account is None:
        raise CommandError(f"no persona or account {args.who!r} (run `espace demo` to load the personas)")
    acting_for = None
    if args.acting_for:
        if space is None or space.patient_id is None:
            raise CommandError(f"--for: no patient {args.acting_for!r}")
        if account.patient_id is None:
            raise CommandError("--for is for patients acting as representatives")
        acting_for = space.patient_id
    target = f", acting for {space.display_name}" if space else ""
    print(
        f"# {account.display_name} ({account.handle}){target}, scopes: {' '.join(sorted(scopes)) or '(none)'}"
    )
    token = mint_development_token(
        settings, access_tokens(settings), account, scopes=scopes, ttl=ttl, acting_for=acting_for
    )
    print(token)
    return 0


async def _migrated(database: Database) -> None:
    from api.migrations import is_at_head

    if not await is_at_head(database):
        raise CommandError("the database is not migrated: run `espace migrate` first")


async def _patient_id(database: Database, who: str) -> uuid.UUID:
    """A patient named by id, INS or demo handle."""
    from api.directory import queries
    from api.identity.dev_tokens import find_account

    async with database.read() as connection:
        by_ins = await queries.patient_id_by_ins(connection, who.strip().upper())
    if by_ins is not None:
        return by_ins
    account = await find_account(database, who)
    if account is None or account.patient_id is None:
        raise CommandError(f"no patient {who!r} (an id, an INS or a demo handle)")
    return account.patient_id


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from api.contents.service import contents_for
    from api.interop.service import export_to

    async def run(database: Database) -> str:
        await _migrated(database)
        patient_id = await _patient_id(database, args.patient)
        contents = contents_for(settings, database)
        if args.output is None:
            export = await export_to(database, contents, patient_id, sys.stdout.buffer)
            return export.patient.display_name
        # Written aside, then renamed: a failed export leaves no half file behind.
        partial = args.output.with_name(f".{args.output.name}.partial")
        try:
            with partial.open("wb") as output:
                export = await export_to(database, contents, patient_id, output)
            partial.replace(args.output)
        finally:
            partial.unlink(missing_ok=True)
        return export.patient.display_name

    from api.errors import EspaceError

    try:
        name = _on_database(settings, run)
    except EspaceError as error:
        raise CommandError(f"no export: {error.message}") from error
    if args.output is not None:
        print(f"Space of {name} exported to {args.output} (FHIR R4 Bundle).")
    return 0


def _progress(done: int, total: int, path: Path) -> None:
    width = 30
    filled = width * done // total
    end = "\n" if done == total else ""
    print(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {path.name[:40]:<40}",
        end=end,
        file=sys.stderr,
    )


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from api.contents.service import contents_for
    from api.interop.importer import FileReport, bundle_files, import_path

    if not args.path.exists():
        raise CommandError(f"no such file or folder: {args.path}")
    if not bundle_files(args.path):
        raise CommandError(f"no *.json file in {args.path}")

    async def run(database: Database) -> list[FileReport]:
        await _migrated(database)
        contents = contents_for(settings, database)
        return await import_path(
            database,
            contents,
            args.path,
            max_bytes=settings.upload_max_bytes,
            max_file_bytes=settings.import_max_bytes,
            progress=_progress,
        )

    reports = _on_database(settings, run)
    for report in reports:
        if report.error:
            print(f"{report.path}: refused, nothing imported: {report.error}")
            continue
        counts = (
            ", ".join(f"{count} {kind}" for kind, count in sorted(report.imported.items())) or "nothing new"
        )
        print(f"{report.path}: {report.patient}: imported {counts}; {report.already} already there")
        for resource, reason in report.refused:
            print(f"  refused {resource}: {reason}")
    refused_files = sum(1 for report in reports if report.error)
    print(f"{len(reports) - refused_files} of {len(reports)} file(s) imported.")
    return 1 if refused_files else 0


def _import_reimbursements(settings: Settings, args: argparse.Namespace) -> int:
    from api.reimbursements.importer import FeedReport, import_statements

    if not args.file.is_file():
        raise CommandError(f"no such file: {args.file}")

    def progress(lines: int) -> None:
        print(f"\r{lines} lines read", end="", file=sys.stderr, flush=True)

    async def run(database: Database) -> FeedReport:
        await _migrated(database)
        return await import_statements(database, args.file, progress=progress)

    report = _on_database(settings, run)
    if report.lines >= 1000:
        print(file=sys.stderr)
    if report.refused:
        print(f"{args.file}: refused, nothing imported: {report.problem_count} problem(s)")
        for where, problem in report.problems:
            print(f"  {where}: {problem}")
        if report.problem_count > len(report.problems):
            print(f"  ... and {report.problem_count - len(report.problems)} more")
        return 1
    print(
        f"{args.file}: {report.imported} line(s) imported into {report.spaces} space(s); "
        f"{report.already} already there."
    )
    return 0


def _outbox_deliver(settings: Settings, args: argparse.Namespace) -> int:
    from api.notifications.delivery import SmtpSender, deliver

    if settings.smtp_host is None:
        raise CommandError("set ESPACE_SMTP_HOST (and the other ESPACE_SMTP_... settings) to send notices")
    sender = SmtpSender(settings)

    async def run(database: Database) -> None:
        while True:
            report = await deliver(database, settings, sender)
            print(
                f"Notices: {report.sent} sent, {report.without_address} without an address, "
                f"{report.failed} failed ({report.parked} parked).",
                flush=True,
            )
            if not args.follow:
                return
            await asyncio.sleep(args.interval)

    _on_database(settings, run)
    return 0


def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    from api.journal.outbox import PendingEvent, pending

    async def run(database: Database) -> list[PendingEvent]:
        async with database.read() as connection:
            return await pending(connection, limit=args.limit)

    events = _on_database(settings, run)
    print(f"{len(events)} pending event(s)")
    for event in events:
        when = f"{event.created_at:%Y-%m-%d %H:%M:%S}"
        print(f"{when} {event.kind} patient={event.patient_id} {json.dumps(event.payload)}")
    return 0


def _plugins(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from api.hooks import parked
    from api.plugins import active

    found = active()
    enabled = {plugin.name: plugin for plugin in found.enabled}
    print(f"Installed: {', '.join(found.installed) or 'none'}")
    for name in sorted(set(found.installed) | set(enabled)):
        plugin = enabled.get(name)
        if plugin is None:
            continue
        print(f"\n{plugin.name} {plugin.version} (enabled): {plugin.description}")
        for scope in plugin.scopes:
            print(f"  scope {scope.name}: {scope.label_en} / {scope.label_fr}")
        if plugin.hooks:
            print(f"  hooks: {', '.join(sorted(plugin.hooks))}")
    disabled = sorted(set(found.installed) - set(enabled) - {failure.name for failure in found.failures})
    if disabled:
        print(f"\nDisabled (ESPACE_PLUGINS): {', '.join(disabled)}")
    for failure in found.failures:
        print(f"\n{failure.name} FAILED to load: {failure.error}", file=sys.stderr)
    try:
        stuck = _on_database(settings, parked)
    except (OSError, SQLAlchemyError) as error:  # the listing stands without a database
        print(f"\n(parked events unknown: {type(error).__name__})", file=sys.stderr)
        stuck = []
    for event in stuck:
        print(f"\nparked: {event.plugin} on {event.kind} {event.event_id}: {event.error}")
    return 1 if found.failures else 0


def _run_hooks(settings: Settings, args: argparse.Namespace) -> int:
    from api.contents.service import contents_for
    from api.hooks import run_hooks

    async def run(database: Database) -> int:
        contents = contents_for(settings, database)
        retry = args.retry_parked
        while True:
            report = await run_hooks(database, contents, retry_parked=retry)
            retry = False
            print(
                f"hooks: {report.handled} handled, {report.failed} failed, {report.parked} parked", flush=True
            )
            if not args.follow:
                return 1 if report.failed else 0
            await asyncio.sleep(settings.plugin_hooks_interval or 5.0)

    return _on_database(settings, run)


def _catalogue_check(settings: Settings, args: argparse.Namespace) -> int:
    from api.catalogue.manifest import load_catalogue

    directory = args.directory or settings.catalogue_dir
    manifests, problems = load_catalogue(directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"{len(manifests)} manifest(s) valid in {directory}")
    return 0


def _catalogue_sync(settings: Settings, args: argparse.Namespace) -> int:
    from api.catalogue.manifest import load_catalogue
    from api.catalogue.service import SyncReport, sync_manifests

    directory = args.directory or settings.catalogue_dir
    manifests, problems = load_catalogue(directory)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"nothing synced: {len(problems)} problem(s) in {directory}")

    async def run(database: Database) -> SyncReport:
        return await sync_manifests(database, manifests)

    report = _on_database(settings, run)
    print(
        f"Catalogue synced: {len(report.created)} new, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged."
    )
    for client_id, scopes in report.scopes_to_review.items():
        print(f"  {client_id}: new scopes back to review: {' '.join(scopes)}")
    return 0


def _dossier_release(settings: Settings, args: argparse.Namespace) -> int:
    from api.dossier.maintenance import release_hidden_documents

    async def run(database: Database) -> tuple[int, int]:
        report = await release_hidden_documents(
            database, notice_after=settings.hidden_notice_after, release_after=settings.hidden_release_after
        )
        return report.notified, report.released

    notified, released = _on_database(settings, run)
    print(f"Dossier: {notified} patient notice(s) queued, {released} document(s) released.")
    return 0


def _agenda_refresh(settings: Settings, args: argparse.Namespace) -> int:
    from api.agenda.reminders import RefreshReport, refresh_all

    async def run(database: Database) -> RefreshReport:
        await _migrated(database)
        return await refresh_all(database)

    report = _on_database(settings, run)
    print(
        f"Agenda: {report.spaces} space(s), {report.recomputed} recomputed, "
        f"{report.reminders} reminder(s) queued."
    )
    return 0


def _store_gc(settings: Settings, args: argparse.Namespace) -> int:
    from api.contents.service import contents_for
    from api.dossier.maintenance import collect_garbage, prune_idempotency_keys
    from api.dossier.service import IDEMPOTENCY_WINDOW

    async def run(database: Database) -> tuple[int, int]:
        blobs = await collect_garbage(database, contents_for(settings, database))
        keys = await prune_idempotency_keys(database, older_than=IDEMPOTENCY_WINDOW)
        return blobs, keys

    blobs, keys = _on_database(settings, run)
    print(f"Content store: {blobs} orphan blob(s) removed; {keys} expired idempotency key(s) pruned.")
    return 0


def _keys_rewrap(settings: Settings, args: argparse.Namespace) -> int:
    from api.contents.service import contents_for

    if settings.previous_content_master_key is None:
        raise CommandError("set ESPACE_PREVIOUS_CONTENT_MASTER_KEY to the master key being replaced")

    async def run(database: Database) -> int:
        return await contents_for(settings, database).rewrap()

    print(f"Content keys: {_on_database(settings, run)} data key(s) re-wrapped.")
    return 0


def _keys_generate(settings: Settings, args: argparse.Namespace) -> int:
    import base64
    import secrets

    from api.contents.crypto import new_key
    from api.identity.keys import generate_signing_key_pem

    pem = generate_signing_key_pem().strip().replace("\n", "\\n")
    print(f'ESPACE_TOKEN_SIGNING_KEY="{pem}"')
    print(f"ESPACE_CONTENT_MASTER_KEY={base64.b64encode(new_key()).decode()}")
    print(f"ESPACE_METRICS_TOKEN={secrets.token_urlsafe(32)}")
    return 0
