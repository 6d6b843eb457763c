"""GraphQL of the access journal."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.directory import service as directory
from api.directory.types import PatientFields, Professional
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.enums import PrincipalKind
from api.graphql.ids import decode_id, encode_id
from api.graphql.pagination import MAX_SQL_INTEGER, PageInfo, decode_cursor, encode_cursor, page_size
from api.graphql.permissions import first_party_only
from api.journal import reading
from api.journal.records import AccessAction, StoredEntry
from api.journal.service import JournalFilter
from api.timezones import paris_day_start

strawberry.enum(AccessAction, description="What was done.")

CURSOR_KIND = "journal"
OWN_CURSOR_KIND = "own-journal"

# The Node type whose global id names each kind of journaled object: the parts
# of a space are named by their patient, care-team changes by the professional.
OBJECT_NODE_TYPES = {
    "Patient": "Patient",
    "CareTeam": "Patient",
    "AccessLog": "Patient",
    "AccessLogIntegrity": "Patient",
    "AccessPreferences": "Patient",
    "BlockedProfessionals": "Patient",
    "Block": "Professional",
    "CareRelationship": "Professional",
    "AccessLogEntry": "AccessLogEntry",
    "MedicalProfile": "Patient",
    "Measurements": "Patient",
    "Document": "Document",
}


@strawberry.type(description="One action on the space by someone other than its patient.")
class AccessLogEntry(relay.Node):
    id: relay.NodeID[str]
    at: datetime = strawberry.field(description="When.")
    actor_kind: PrincipalKind = strawberry.field(description="Representative, professional or app.")
    actor_name: str = strawberry.field(description="Who, by name.")
    profession: str | None = strawberry.field(description="The professional's profession.")
    organization_name: str | None = strawberry.field(description="The professional's organization.")
    client_id: str = strawberry.field(description="The software or app it came through.")
    action: AccessAction = strawberry.field(description="What was done.")
    object_type: str = strawberry.field(description="What was touched: Patient, Document, CareTeam...")
    object_id: strawberry.ID | None = strawberry.field(description="Which one, when it has an id.")
    emergency: bool = strawberry.field(description="Done under an emergency access.")
    reason: str | None = strawberry.field(description="The emergency's reason.")
    professional_id: strawberry.Private[uuid.UUID | None]
    seq: strawberry.Private[int]

    @classmethod
    def from_entry(cls, entry: StoredEntry) -> AccessLogEntry:
        record = entry.record
        object_id = record.object_id
        node_type = OBJECT_NODE_TYPES.get(record.object_type)
        if object_id is not None and node_type is not None:
            object_id = encode_id(node_type, uuid.UUID(object_id))
        return cls(
            id=str(entry.id),
            at=record.at,
            actor_kind=PrincipalKind(record.actor_kind),
            actor_name=record.actor_name,
            profession=record.profession,
            organization_name=record.organization_name,
            client_id=record.client_id,
            action=record.action,
            object_type=record.object_type,
            object_id=strawberry.ID(object_id) if object_id else None,
            emergency=record.emergency,
            reason=record.reason,
            professional_id=record.professional_id,
            seq=entry.seq,
        )

    @strawberry.field(description="The professional, for professionals' actions.")
    async def professional(self, info: Info) -> Professional | None:
        if self.professional_id is None:
            return None
        access = info.context.require_access()
        record = await directory.read_professional(
            access, info.context.loaders.professional_by_id, self.professional_id
        )
        return Professional.from_record(record) if record else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AccessLogEntry | None]:
        access = info.context.require_access()
        entries = [await reading.access_log_entry(access, uuid.UUID(node_id)) for node_id in node_ids]
        return [cls.from_entry(entry) if entry else None for entry in entries]


@strawberry.type(description="An entry and its cursor.")
class AccessLogEntryEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this entry.")
    node: AccessLogEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the access journal, newest first.")
class AccessLogEntryConnection:
    edges: list[AccessLogEntryEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="Entries matching the filter, counted up to 10,000.")


@strawberry.input(description="Narrow the journal.")
class AccessLogFilter:
    actor_kinds: list[PrincipalKind] | None = strawberry.field(default=None, description="Only these kinds.")
    professional_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this professional."
    )
    since: date | None = strawberry.field(
        default=None, description="From this day (Europe/Paris, inclusive)."
    )
    until: date | None = strawberry.field(default=None, description="Until this day (inclusive).")
    emergency_only: bool = strawberry.field(default=False, description="Only emergency accesses.")

    def criteria(self) -> JournalFilter:
        try:
            since = paris_day_start(self.since) if self.since else None
            until = paris_day_start(self.until, next_day=True) if self.until else None
        except OverflowError as error:
            raise BadUserInput("This date is out of range.", field="filter") from error
        return JournalFilter(
            actor_kinds=frozenset(kind.value for kind in self.actor_kinds or []),
            professional_id=decode_id(self.professional_id, "Professional")[1]
            if self.professional_id
            else None,
            since=since,
            until=until,
            emergency_only=self.emergency_only,
        )


@strawberry.type(description="The result of recomputing the journal's hash chain.")
class AccessLogIntegrity:
    ok: bool = strawberry.field(description="False if any entry was altered or removed.")
    entries: int = strawberry.field(description="Entries checked.")
    first_broken_entry_id: strawberry.ID | None = strawberry.field(description="The first entry that fails.")
    problem: str | None = strawberry.field(description="What is wrong, when something is.")


def _connection(
    entries: list[StoredEntry],
    *,
    cursor_of: Callable[[StoredEntry], str],
    more: bool,
    after: bool,
    total: int,
) -> AccessLogEntryConnection:
    edges = [
        AccessLogEntryEdge(cursor=cursor_of(entry), node=AccessLogEntry.from_entry(entry))
        for entry in entries
    ]
    return AccessLogEntryConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=after,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


async def own_access_log(info: Info, first: int | None, after: str | None) -> AccessLogEntryConnection:
    """`Viewer.accessLog`: the entries of the viewer's own actions, in every space."""
    limit = page_size(first)
    before = decode_cursor(OWN_CURSOR_KIND, after)
    before_id = uuid.UUID(int=before) if before is not None else None
    entries, more, total = await reading.own_entries(
        info.context.require_access(), limit=limit, before_id=before_id
    )
    return _connection(
        entries,
        cursor_of=lambda e: encode_cursor(OWN_CURSOR_KIND, e.id.int),
        more=more,
        after=after is not None,
        total=total,
    )


@strawberry.type
class PatientJournalFields(PatientFields):
    """The journal part of `Patient`."""

    @strawberry.field(
        description="Every access to this space by anyone but the patient, newest first. Patient, "
        "representatives and the médecin traitant only.",
        **first_party_only(),
    )
    async def access_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AccessLogFilter | None = None,
    ) -> AccessLogEntryConnection | None:
        limit = page_size(first)
        before = decode_cursor(CURSOR_KIND, after, maximum=MAX_SQL_INTEGER)
        criteria = filter.criteria() if filter else JournalFilter()
        entries, total, more = await reading.access_log_page(
            info.context.require_access(), self.record.id, criteria, limit=limit, before_seq=before
        )
        return _connection(
            entries,
            cursor_of=lambda entry: encode_cursor(CURSOR_KIND, entry.seq),
            more=more,
            after=before is not None,
            total=total,
        )

    @strawberry.field(
        description="Recomputes the journal's hash chain; ok is false if any entry was altered or removed.",
        **first_party_only(),
    )
    async def access_log_integrity(self, info: Info) -> AccessLogIntegrity | None:
        report = await reading.integrity(info.context.require_access(), self.record.id)
        broken = report.first_broken_entry_id
        return AccessLogIntegrity(
            ok=report.ok,
            entries=report.entries,
            first_broken_entry_id=strawberry.ID(encode_id("AccessLogEntry", broken)) if broken else None,
            problem=report.problem,
        )
