"""Messages with new files, over the GraphQL multipart request spec."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select

from api.dossier.models import Document
from api.messaging.models import Message, MessageFile, Thread

FILE_FIELDS = "files { id title fileName contentType sizeBytes contentUrl }"
START = f"""mutation($input: StartThreadInput!) {{ startThread(input: $input) {{
  thread {{ id messages(first: 5) {{ edges {{ node {{ id attachments {{ id title }} {FILE_FIELDS} }} }} }} }}
  userErrors {{ field message code }} }} }}"""
SEND = f"""mutation($input: SendMessageInput!) {{ sendMessage(input: $input) {{
  message {{ id attachments {{ id title }} {FILE_FIELDS} }} userErrors {{ field message code }} }} }}"""
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def post_files(
    client: httpx.AsyncClient,
    token: str,
    query: str,
    given: dict[str, Any],
    files: list[tuple[str, bytes, str]],
    options: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`files`: (name, content, content type) each; `options`: each file's other input fields."""
    options = options or [{} for _ in files]
    entries = [{**option, "file": None} for option in options]
    operations = {"query": query, "variables": {"input": {**given, "files": entries}}}
    mapping = {str(n): [f"variables.input.files.{n}.file"] for n in range(len(files))}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=[(str(n), file) for n, file in enumerate(files)],
        headers={"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"},
    )
    return response.json()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def rows(database, patient) -> dict[str, int]:
    """What the space holds, counted in the database: nothing may be left behind a refusal."""
    counts = {}
    async with database.read() as connection:
        for name, model in (
            ("threads", Thread),
            ("messages", Message),
            ("files", MessageFile),
            ("documents", Document),
        ):
            counts[name] = int(
                await connection.scalar(
                    select(func.count()).select_from(model).where(model.patient_id == patient.person_id)
                )
                or 0
            )
    return counts
