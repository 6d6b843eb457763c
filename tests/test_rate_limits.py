"""Cost and abuse limits: a query's cost bounded and charged to a budget, requests
counted per address, per token and per third-party client, failed logins slowed per
account and per address; every refusal a RATE_LIMITED (429) with Retry-After, and
nothing run behind it. The suite's own app has wide limits (tests/conftest.py): each
test here builds an app with narrow ones on the suite's database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import parse

from api.app import create_app
from api.bench.queries import DASHBOARD
from api.graphql.cost import UNSIZED_LIST_ITEMS, operation_of, query_cost
from api.graphql.schema import build_schema
from api.ratelimits import RateLimits, Refused
from api.settings import Settings
from tests.conftest import SUITE_RATE_LIMITS, error_codes
from tests.oauth.flow import Flow, hidden, referenced_app

CHEAP = "{ viewer { displayName } }"


def limited(settings: Settings, **limits: Any) -> Settings:
    return Settings(
        _env_file=None,
        var_dir=settings.var_dir,
        database_url=settings.resolved_database_url,
        env="development",
        plugin_hooks_interval=0,
        **{**SUITE_RATE_LIMITS, **limits},
    )


async def client_of(app: Any, ip: str = "203.0.113.7") -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


async def post(client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def assert_limited(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert error_codes(answer.json()) == ["RATE_LIMITED"]
    assert int(answer.headers["retry-after"]) >= 1
    assert "data" not in answer.json() or answer.json()["data"] is None


# The cost model


def cost_of(query: str, **variables: Any) -> int:
    schema = build_schema()._schema
    operation, fragments = operation_of(parse(query).definitions, None)
    assert operation is not None
    return query_cost(schema, operation, fragments, variables)


def test_the_cost_counts_objects_and_multiplies_by_page_sizes() -> None:
    # patient 1 + documents 1 + 20 x (node 1 + author 1 + organization 1) + agenda 1 + 5 x node
    # + threads 1 + 10 x node + summary 1
    assert cost_of(DASHBOARD, year=2026) == 1 + (1 + 20 * 3) + (1 + 5) + (1 + 10) + 1
    assert cost_of("{ patient { displayName birthDate } }") == 1  # scalars cost nothing
    page = "query($n: Int) { patient { documents(first: $n) { totalCount edges { node { title } } } } }"
    assert cost_of(page, n=5) == 1 + 1 + 5
    assert cost_of(page, n=100) == 1 + 1 + 100
    assert cost_of(page, n=10_000) == cost_of(page, n=100)  # sizes are capped at the largest page
    assert cost_of(page) == cost_of(page, n=100)  # an unset size counts as the largest page


def test_fragments_and_unsized_lists_are_counted() -> None:
    spread = """query { patient { ...Threads } }
    fragment Threads on Patient { threads(first: 2) { edges { node { participants { displayName } } } } }"""
    # threads 1 + 2 x (node 1 + participants (a list without a size) 1 + 10 x 0)
    assert cost_of(spread) == 1 + 1 + 2 * (1 + 1)
    inline = '{ node(id: "x") { ... on Patient { documents(first: 3) { edges { node { title } } } } } }'
    assert cost_of(inline) == 1 + 1 + 3
    nested = (
        "{ patient { threads(first: 1) { edges { node { "
        "messages(first: 2) { edges { node { files { title } } } } } } } } }"
    )
    # patient 1 + threads 1 + 1 x (node 1 + messages 1 + 2 x (node 1 + files 1 + 10 x 0))
    assert cost_of(nested) == 1 + 1 + (1 + 1 + 2 * (1 + 1 + UNSIZED_LIST_ITEMS * 0))
    assert cost_of("{ __schema { types { name } } __typename }") == 0


async def test_a_query_over_the_maximum_cost_is_refused_before_running(settings, database, token_for) -> None:
    app = create_app(limited(settings, query_max_cost=50), database)
    token = await token_for("nadia")
    async for client in client_of(app):
        refused = await post(client, DASHBOARD, token, year=2026)
        assert refused.status_code == 400
        assert error_codes(refused.json()) == ["QUERY_TOO_COMPLEX"]
        assert "costs 80; at most 50" in refused.json()["errors"][0]["message"]
        # The same text with a smaller page passes: the variables count.
        page = "query($n: Int!) { patient { documents(first: $n) { edges { node { title } } } } }"
        assert (await post(client, page, token, n=40)).status_code == 200
        assert error_codes((await post(client, page, token, n=60)).json()) == ["QUERY_TOO_COMPLEX"]


async def test_the_cost_budget_refuses_once_spent_and_nothing_runs(settings, database, token_for) -> None:
    app = create_app(limited(settings, query_cost_budget="100/minute"), database)
    nadia, gp = await token_for("nadia"), await token_for("gp")
    async for client in client_of(app):
        assert "errors" not in (await post(client, DASHBOARD, nadia, year=2026)).json()  # 80 of 100
        over = await post(client, DASHBOARD, nadia, year=2026)
        assert_limited(over)
        assert over.json()["errors"][0]["extensions"]["retryAfter"] >= 1
        # Cheap queries still fit what is left; another person's budget is their own.
        assert (await post(client, "{ patient { displayName } }", nadia)).status_code == 200
        assert (await post(client, DASHBOARD, gp, year=2026)).status_code == 200
        # A new token for the same person and client does not reset the budget.
        assert_limited(await post(client, DASHBOARD, await token_for("nadia"), year=2026))


# Requests per address, token, client


async def test_requests_per_address_are_counted_before_anything_is_read(settings, database) -> None:
    app = create_app(limited(settings, rate_limit_ip="3/minute"), database)
    async for client in client_of(app, ip=f"198.51.100.{uuid.uuid4().int % 250}"):
        for _ in range(3):
            assert (await post(client, "{ __typename }")).status_code == 200
        assert_limited(await post(client, "{ __typename }"))
        # Even a malformed body or a bad token is counted (and refused) first.
        assert_limited(await client.post("/graphql", content=b"garbage"))
        # Other routes are not counted here.
        assert (await client.get("/healthz")).status_code == 200
    async for other in client_of(app, ip="192.0.2.44"):
        assert (await post(other, "{ __typename }")).status_code == 200


async def test_requests_per_token_and_per_third_party_client(settings, database, token_for, gql) -> None:
    app = create_app(limited(settings, rate_limit_token="2/minute", rate_limit_client="3/minute"), database)
    async for client in client_of(app):
        nadia = await token_for("nadia")
        assert (await post(client, CHEAP, nadia)).status_code == 200
        assert (await post(client, CHEAP, nadia)).status_code == 200
        assert_limited(await post(client, CHEAP, nadia))
        assert (await post(client, CHEAP, await token_for("gp"))).status_code == 200

        # A catalogue app: its users together share the app's limit.
        manifest = await referenced_app(gql, database, scopes=["agenda:read"])
        tokens = []
        for handle in ("senior", "teen"):
            async for browser in client_of(app):  # each user in a browser of their own
                flow = Flow(browser, manifest.client_id)
                code = await flow.code_for(handle, "agenda:read", ["agenda:read"])
                issued = await flow.exchange(code)
                assert issued.status_code == 200, issued.text
                tokens.append(issued.json()["access_token"])
        query = "{ patient { agenda(first: 1) { edges { node { title } } } } }"
        answers = [await post(client, query, token) for token in (tokens[0], tokens[1], tokens[0])]
        assert [answer.status_code for answer in answers] == [200, 200, 200], answers[-1].text
        assert_limited(await post(client, query, tokens[1]))


async def test_the_authorization_server_counts_posts_per_address(settings, database) -> None:
    app = create_app(limited(settings, rate_limit_oauth_ip="2/minute"), database)
    async for client in client_of(app, ip="192.0.2.77"):
        form = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
        for _ in range(2):
            assert (await client.post("/oauth/token", data=form)).status_code in (400, 401)
        assert_limited(await client.post("/oauth/token", data=form))
        # Reading the metadata is not limited by it.
        assert (await client.get("/.well-known/oauth-authorization-server")).status_code == 200


async def test_failed_logins_make_the_account_and_the_address_wait(settings, database, gql) -> None:
    app = create_app(
        limited(settings, login_failures_account="2/15 minutes", login_failures_ip="3/15 minutes"), database
    )
    manifest = await referenced_app(gql, database, scopes=["agenda:read"])
    async for client in client_of(app, ip="192.0.2.91"):
        flow = Flow(client, manifest.client_id)
        page = await flow.authorize("agenda:read")
        for _ in range(2):
            assert (await flow.login(page, "senior", "wrong")).status_code == 400
        # Spent for this account: even the right password waits, and nothing is logged in.
        waiting = await flow.login(page, "senior")
        assert waiting.status_code == 429
        assert int(waiting.headers["retry-after"]) >= 1
        assert "Too many failed attempts" in waiting.text
        assert "espace_session" not in waiting.cookies
        # Another account from this address: one failure left before the address waits.
        assert (await flow.login(page, "teen", "wrong")).status_code == 400
        assert (await flow.login(page, "teen")).status_code == 429
    async for elsewhere in client_of(app, ip="192.0.2.92"):
        flow = Flow(elsewhere, manifest.client_id)
        page = await flow.authorize("agenda:read")
        assert hidden(page.text, "csrf")
        assert (await flow.login(page, "teen")).status_code == 303


# Shared between processes


async def test_limits_in_redis_are_shared_by_every_process(settings) -> None:
    redis_settings = limited(
        settings, rate_limit_storage="redis://127.0.0.1:6379/0", rate_limit_ip="3/minute"
    )
    first, second = RateLimits(redis_settings), RateLimits(redis_settings)
    ip = f"redis-test-{uuid.uuid4()}"
    # Redis runs on 127.0.0.1:6379 on the development machine and in CI.
    await first.request_from(ip, oauth=False)
    await second.request_from(ip, oauth=False)
    await first.request_from(ip, oauth=False)
    try:
        with pytest.raises(Refused, match="Too many requests") as refused:
            await second.request_from(ip, oauth=False)
        assert refused.value.retry_after >= 1
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("rate_limit_ip", "lots", "limits notation"),
        ("query_cost_budget", "-5/minute", "limits notation"),
        ("rate_limit_storage", "memcached://x", "memory or a redis"),
    ],
)
def test_limits_that_do_not_parse_are_refused_at_startup(name, value, reason) -> None:
    with pytest.raises(ValueError, match=reason):
        Settings(_env_file=None, **{name: value})
