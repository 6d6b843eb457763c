"""The query cost budget: each operation's cost (counted by QueryLimits) is charged
to the caller's budget per minute before it runs; over budget, nothing runs and the
answer is RATE_LIMITED with the seconds to wait (HTTP 429, Retry-After)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from api.errors import ErrorCode
from api.ratelimits import Refused


class QueryBudget(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        limits = getattr(context, "rate_limits", None)
        if limits is not None and context.query_cost:
            try:
                await limits.spend(context.principal, context.client_ip, context.query_cost)
            except Refused as refusal:
                context.retry_after = refusal.retry_after
                # A result set before execution stops strawberry from executing.
                self.execution_context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            refusal.message,
                            extensions={
                                "code": ErrorCode.RATE_LIMITED.value,
                                "retryAfter": refusal.retry_after,
                            },
                        )
                    ],
                )
        yield
