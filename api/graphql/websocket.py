"""Over a WebSocket, only subscriptions: a query or a mutation there would skip
the journal write that every HTTP request ends with (and its re-checks), so it
is refused and goes over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.errors import ErrorCode


class SubscriptionsOnlyOverWebSocket(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        request = getattr(execution.context, "request", None)
        if isinstance(request, WebSocket) and execution.operation_type is not OperationType.SUBSCRIPTION:
            execution.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Over a WebSocket, only subscriptions: send queries and mutations over HTTP.",
                        extensions={"code": ErrorCode.BAD_REQUEST.value},
                    )
                ],
            )
        yield
