async def test_health_and_login(client, gql, world):
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200
    token = await gql.login("admin")
    data = await gql.ok("query Home{ me { name role } residents(first: 5){ totalCount edges { node { name age phone idNumber grid { name workers { name } } community { name ancestors { name } } } } } }", token=token, operationName="Home")
    assert data["me"]["role"] == "PLATFORM_ADMIN"
    assert data["residents"]["totalCount"] == 24
    metrics = await (await client.get("/metrics")).text()
    assert 'operation="Home"' in metrics
