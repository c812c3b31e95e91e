"""Operational endpoints, GraphQL over HTTP behaviour and error masking."""

from __future__ import annotations

from community_plus.keys import PLATFORM


async def test_health_ready_metrics(client, gql, world):
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"]["database"] is True
    token = await gql.login("admin")
    await gql.ok("query HomeScreen { me { name } }", token=token, operationName="HomeScreen")
    text = await (await client.get("/metrics")).text()
    assert 'cp_graphql_operations_total{operation="other",status="ok"} 1.0' in text
    assert "cp_graphql_operation_seconds_bucket" in text


async def test_request_id_is_echoed(client):
    resp = await client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert resp.headers["X-Request-Id"] == "abc123"
    assert len((await client.get("/healthz")).headers["X-Request-Id"]) == 32


async def test_graphql_over_http_status_codes(client):
    # unparseable JSON body → 400 (GraphQL-over-HTTP)
    resp = await client.post("/graphql", data="{not json", headers={"Content-Type": "application/json"})
    assert resp.status == 400
    # validation error with the new media type → 400 and graphql-response+json
    resp = await client.post("/graphql", json={"query": "{ nope }"},
                             headers={"Accept": "application/graphql-response+json"})
    assert resp.status == 400
    assert resp.content_type == "application/graphql-response+json"
    body = await resp.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # legacy application/json → 200 with errors
    resp = await client.post("/graphql", json={"query": "{ nope }"})
    assert resp.status == 200
    # GET queries work; GET mutations are refused
    resp = await client.get("/graphql", params={"query": "{ me { name } }"})
    assert resp.status == 200 and (await resp.json())["data"]["me"] is None
    resp = await client.get("/graphql", params={"query": "mutation { logout }"})
    assert resp.status in (400, 405)


async def test_unexpected_errors_are_masked(client, gql, world):
    token = await gql.login("admin")
    platform = client.app[PLATFORM]
    # corrupt a document so that a resolver fails unexpectedly
    await platform.residents.coll.update_one({}, {"$set": {"gender": "unknown-value"}})
    body = await gql("{ residents(first: 100) { edges { node { gender } } } }", token=token)
    err = body["errors"][0]
    assert err["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "requestId" in err["extensions"]
    assert "Traceback" not in err["message"] and "unknown-value" not in err["message"]


async def test_readyz_503_when_database_down(aiohttp_client, tmp_path):
    from community_plus.app import create_app
    from community_plus.settings import load_settings
    from community_plus.platform.testing import start_test_database

    db = start_test_database(tmp_path / "db")
    app = create_app(load_settings(MONGODB_URI=db.uri, CP_DATA_DIR=str(tmp_path)))
    client = await aiohttp_client(app)
    assert (await client.get("/readyz")).status == 200
    db.stop()
    resp = await client.get("/readyz")
    assert resp.status == 503
    assert (await resp.json())["checks"]["database"] is False
    assert (await client.get("/healthz")).status == 200


def test_prod_requires_secrets(monkeypatch):
    import pytest

    from community_plus.settings import ConfigurationError, load_settings

    monkeypatch.delenv("CP_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="CP_SECRET_KEY"):
        load_settings(CP_ENV="prod")


async def test_graphiql_works_offline(client):
    resp = await client.get("/graphql", headers={"Accept": "text/html"})
    html = await resp.text()
    assert resp.status == 200 and "graphiql" in html.lower()
    assert "unpkg.com" not in html and "https://" not in html.split("<body")[0]
    for src in ("/graphiql-assets/graphiql.min.js", "/graphiql-assets/react.production.min.js"):
        assert src in html
        asset = await client.get(src)
        assert asset.status == 200 and len(await asset.read()) > 1000
