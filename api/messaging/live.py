"""The live side of messaging: the messages a subscriber receives as they come.

The subscription is decided when it starts (FORBIDDEN outside the space), and
again at every delivery: the token is checked (expiry, revocation) and the
rules are asked with fresh facts, so a revoked token or a block ends the
subscription, and a message of a thread the subscriber may not see is never
delivered. Each delivery is journaled like any read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from api.access.policy import Action, SpacePart
from api.access.service import Access
from api.contents.service import Contents
from api.errors import Forbidden, NotFound, Unauthenticated
from api.identity.principal import Principal
from api.messaging import service
from api.messaging.bus import MessageBus


async def received(
    access: Access,
    patient_id: uuid.UUID,
    *,
    bus: MessageBus,
    contents: Contents,
    reauthenticate: Callable[[], Awaitable[Principal]],
    access_for: Callable[[Principal], Access],
) -> AsyncIterator[service.MessageRecord]:
    await access.space(patient_id, Action.READ, SpacePart.MESSAGES)
    async for message_id in bus.subscribe(patient_id):
        try:
            reader = access_for(await reauthenticate())
            record = await service.read_message(reader, contents, message_id)
        except (Unauthenticated, Forbidden):
            return  # the token or the access is gone: so is the subscription
        except NotFound:
            continue  # a thread not theirs to see
        if record.sender_account_id == reader.principal.account_id:
            continue  # one's own message comes back as the mutation's answer
        await reader.flush()  # the journal first: no entry, no delivery
        yield record
