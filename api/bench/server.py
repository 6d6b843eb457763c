"""The benchmark's API process: the product app as `espace serve` runs it (one
process, no reload, log level warning) with the reference endpoint beside it
under /bench-reference, pinned to one core. Never used by the product.

    python -m api.bench.server --port 8765 --cpu 0 [--count-statements]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from starlette.types import ASGIApp, Receive, Scope, Send

from api.bench.load import pin_to
from api.bench.reference import StatementCounter, reference_app

REFERENCE_PREFIX = "/bench-reference"


def beside(product: ASGIApp, reference: ASGIApp) -> ASGIApp:
    """One ASGI app: /bench-reference/... to the reference, the rest (lifespan
    included) to the product, untouched."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(REFERENCE_PREFIX + "/"):
            inner = {**scope, "path": path[len(REFERENCE_PREFIX) :], "raw_path": None}
            await reference(inner, receive, send)
            return
        await product(scope, receive, send)

    return app


def count_statements(engines: Sequence[Any], counter: StatementCounter) -> None:
    """Count every statement the product's engines send."""

    def counted(*_: Any) -> None:
        counter.count += 1

    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", counted)


def build(*, count: bool) -> ASGIApp:
    from api.app import access_tokens, create_app
    from api.settings import Settings

    settings = Settings()
    product = create_app(settings)
    counter = StatementCounter() if count else None
    if counter is not None:
        count_statements(product.state.database.engines, counter)
    return beside(product, reference_app(settings, access_tokens(settings), counter))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.bench.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int, help="the core to run on")
    parser.add_argument("--count-statements", action="store_true", help="count the product's SQL statements")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        pin_to(args.cpu)
    import uvicorn

    uvicorn.run(build(count=args.count_statements), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
