"""Resident identity over GraphQL: WeChat login, phone binding, binding requests, family,
rate limits — the app talks to the fake WeChat server and a real SecantusDB."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from community_plus.platform.rate_limit import Limit
from community_plus.platform.repository import new_id
from community_plus.domains.identity.service import IdentityLimits
from community_plus.platform.validation import mask_phone
from community_plus_sandbox.wechat import CODE_BUSY, CODE_RATE_LIMITED, CODE_RISKY_USER
from wechat_fixtures import *  # noqa: F403  (fixtures; points settings at the fake)

LOGIN = """mutation($code: String!) { loginWithWechat(code: $code) {
  accessToken refreshToken expiresIn viewer { id role residentId communityId } } }"""
BIND = """mutation($code: String!, $c: ID, $n: String) { bindPhone(code: $code, communityId: $c, name: $n) {
  status phone auth { accessToken refreshToken viewer { residentId communityId name } }
  request { id status communityId name phone } } }"""
BIND_LEGACY = """mutation($d: String!, $iv: String!) { bindPhoneEncrypted(encryptedData: $d, iv: $iv) {
  status phone auth { accessToken viewer { residentId } } } }"""
ME = "{ me { id role residentId communityId resident { id name phone community { id } } } }"
MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")


async def wechat_login(gql, code: str) -> dict:
    return (await gql.ok(LOGIN, {"code": code}))["loginWithWechat"]


async def resident_with_unique_phone(platform, community_id: str, skip: tuple[str, ...] = ()) -> tuple[dict, str]:
    """A seeded resident whose phone no other record has, and that phone in clear."""
    docs = await platform.residents.coll.find({"communityId": community_id, "phoneHash": {"$type": "string"},
                                               "_id": {"$nin": list(skip)}}).sort("_id", 1).to_list()
    for doc in docs:
        phone = platform.residents.reveal(doc, "phone")
        if len(await platform.residents.find_by_phone(phone, {})) == 1:
            return doc, phone
    raise AssertionError("the seed has no resident with a unique phone")


def admin_of(community: dict) -> str:
    return f"admin{community['_id'][-3:]}"


async def test_login_bind_phone_and_me_end_to_end(gql, fake, world, platform):
    community = world["communities"][0]
    resident, phone = await resident_with_unique_phone(platform, community["_id"])
    fake.add_user("alice", phone=phone)

    code = fake.issue_code("alice")
    login = await wechat_login(gql, code)
    assert login["viewer"]["role"] == "RESIDENT" and login["viewer"]["residentId"] is None
    assert login["expiresIn"] > 0 and login["refreshToken"]
    me = (await gql.ok(ME, token=login["accessToken"]))["me"]
    assert me["resident"] is None and me["communityId"] is None  # unbound: me works, no personal data

    bound = (await gql.ok(BIND, {"code": fake.issue_phone_code("alice")}, token=login["accessToken"]))["bindPhone"]
    assert bound["status"] == "BOUND" and bound["request"] is None
    assert bound["phone"] == mask_phone(phone) and MASKED.match(bound["phone"])
    viewer = bound["auth"]["viewer"]
    assert viewer["residentId"] == resident["_id"] and viewer["communityId"] == community["_id"]

    me = (await gql.ok(ME, token=bound["auth"]["accessToken"]))["me"]
    assert me["resident"]["id"] == resident["_id"] and me["resident"]["name"] == resident["name"]
    assert me["resident"]["phone"] == mask_phone(phone) != phone and MASKED.match(me["resident"]["phone"])
    assert me["resident"]["community"]["id"] == community["_id"]

    # The same wx.login code a second time: a clear, actionable error.
    used = await gql.error("BAD_USER_INPUT", LOGIN, {"code": code})
    assert "已被使用" in used["message"] and "wx.login" in used["message"]
    assert used["extensions"]["fields"][0]["path"] == "code"

    # The pre-binding session was replaced: its refresh token no longer works.
    await gql.error("UNAUTHENTICATED", "mutation($t:String!){refreshSession(refreshToken:$t){accessToken}}",
                    {"t": login["refreshToken"]})
    # Binding again is a conflict; the binding was audited.
    await gql.error("CONFLICT", BIND, {"code": fake.issue_phone_code("alice")}, token=bound["auth"]["accessToken"])
    assert await platform.audit.coll.count_documents({"action": "wechat_bind", "entityId": resident["_id"]}) == 1


async def test_identity_is_stable_and_session_key_sealed(gql, fake, platform):
    first = await wechat_login(gql, fake.issue_code("bob"))
    fake.unionid = True
    second = await wechat_login(gql, "user:bob:again")
    assert first["viewer"]["id"] == second["viewer"]["id"]
    assert await platform.users.coll.count_documents({"role": "resident"}) == 1
    identity = await platform.db["wechat_identities"].find_one({"openid": fake.openid_of("bob")})
    assert identity["userId"] == first["viewer"]["id"] and identity["unionid"] == fake.user("bob").unionid
    assert set(identity["sessionKeySealed"]) == {"k", "n", "c"}
    assert fake.user("bob").session_key not in repr(identity)  # never stored in clear
    assert platform.keyring.open(identity["sessionKeySealed"], "wechat.sessionKey") == fake.user("bob").session_key
    other = await wechat_login(gql, fake.issue_code("carol"))
    assert other["viewer"]["id"] != first["viewer"]["id"]


async def test_wechat_errors_become_clear_graphql_errors(gql, fake, platform):
    platform.wechat.busy_backoff = 0.01
    bad = await gql.error("BAD_USER_INPUT", LOGIN, {"code": "expired-or-invented"})
    assert "wx.login" in bad["message"]
    await gql.error("BAD_USER_INPUT", LOGIN, {"code": "  "})
    risky = await gql.error("FORBIDDEN", LOGIN, {"code": CODE_RISKY_USER})
    assert risky["extensions"]["wechatErrcode"] == 40226
    limited = await gql.error("RATE_LIMITED", LOGIN, {"code": CODE_RATE_LIMITED})
    assert limited["extensions"]["retryAfter"] > 0
    busy = await gql.error("RATE_LIMITED", LOGIN, {"code": CODE_BUSY})
    assert busy["extensions"]["retryable"] is True and "稍后重试" in busy["message"]
    assert fake.calls["jscode2session"] == 3 + 3  # 3 single calls; the busy code was retried twice
    platform.wechat.secret = "wrong-secret"  # an operator mistake: a clear code, no detail for users
    refused = await gql.error("WECHAT_NOT_CONFIGURED", LOGIN, {"code": "user:dan:1"})
    assert "40125" not in str(refused) and "secret" not in str(refused)
    platform.wechat.secret = None  # CP_WECHAT_SECRET not set at all: the same answer, WeChat not called
    calls = fake.calls["jscode2session"]
    missing = await gql.error("WECHAT_NOT_CONFIGURED", LOGIN, {"code": "user:dan:1"})
    assert missing["path"] == ["loginWithWechat"] and fake.calls["jscode2session"] == calls


async def test_login_is_rate_limited_per_openid_and_ip(gql, fake, platform):
    platform.identity_limits = IdentityLimits(login_per_ip=Limit("wechat-login:ip", 4, 60),
                                                        login_per_openid=Limit("wechat-login:openid", 2, 60))
    await wechat_login(gql, "user:erin:1")
    await wechat_login(gql, "user:erin:2")
    per_openid = await gql.error("RATE_LIMITED", LOGIN, {"code": "user:erin:3"})
    assert 0 < per_openid["extensions"]["retryAfter"] <= 60
    await wechat_login(gql, "user:frank:1")  # 4th attempt from this IP
    await gql.error("RATE_LIMITED", LOGIN, {"code": "user:gina:1"})
    assert fake.calls["jscode2session"] == 4  # the IP limit stops attempts before WeChat is called
    indexes = await platform.db["rate_limits"].index_information()
    assert any(ix.get("expireAfterSeconds") == 0 for ix in indexes.values())
    stored = repr(await platform.db["rate_limits"].find().to_list())
    assert "127.0.0.1" not in stored and fake.openid_of("erin") not in stored


async def test_bind_attempts_are_rate_limited(gql, fake, platform):
    platform.identity_limits = IdentityLimits(bind_per_openid=Limit("wechat-bind:openid", 1, 3600))
    fake.add_user("hank", phone="13700000009")
    token = (await wechat_login(gql, "user:hank:1"))["accessToken"]
    await gql.error("BAD_USER_INPUT", BIND, {"code": fake.issue_phone_code("hank")}, token=token)  # no match
    limited = await gql.error("RATE_LIMITED", BIND, {"code": fake.issue_phone_code("hank")}, token=token)
    assert limited["extensions"]["retryAfter"] > 0


async def test_binding_request_approved_or_rejected_by_staff(gql, fake, world, platform):
    c1, c2 = world["communities"]
    fake.add_user("newbie", phone="13700000001")  # a new citizen: no resident record has this phone
    user = await wechat_login(gql, "user:newbie:1")
    token = user["accessToken"]
    missing = await gql.error("BAD_USER_INPUT", BIND, {"code": fake.issue_phone_code("newbie")}, token=token)
    assert missing["extensions"]["fields"][0]["path"] == "communityId"
    pending = (await gql.ok(BIND, {"code": fake.issue_phone_code("newbie"), "c": c1["_id"], "n": "新市民"},
                            token=token))["bindPhone"]
    assert pending["status"] == "PENDING" and pending["auth"] is None
    request = pending["request"]
    assert request["status"] == "PENDING" and request["communityId"] == c1["_id"]
    assert request["phone"] == "137****0001" and request["name"] == "新市民"
    mine = (await gql.ok("{ myBindingRequest { id status } }", token=token))["myBindingRequest"]
    assert mine == {"id": request["id"], "status": "PENDING"}

    listing = "{ bindingRequests { totalCount edges { node { id phone candidates { id } } } } }"
    other_admin = await gql.login(admin_of(c2))
    assert (await gql.ok(listing, token=other_admin))["bindingRequests"]["totalCount"] == 0
    approve = "mutation($r: ID!, $res: ID) { approveBinding(requestId: $r, residentId: $res) { status residentId } }"
    await gql.error("NOT_FOUND", approve, {"r": request["id"]}, token=other_admin)
    await gql.error("FORBIDDEN", listing, token=token)

    admin = await gql.login(admin_of(c1))
    page = (await gql.ok(listing, token=admin))["bindingRequests"]
    assert page["totalCount"] == 1 and page["edges"][0]["node"]["candidates"] == []
    no_resident = await gql.error("BAD_USER_INPUT", approve, {"r": request["id"]}, token=admin)
    assert no_resident["extensions"]["fields"][0]["path"] == "residentId"
    foreign, _ = await resident_with_unique_phone(platform, c2["_id"])
    await gql.error("BAD_USER_INPUT", approve, {"r": request["id"], "res": foreign["_id"]}, token=admin)

    # Staff register the new citizen's record (as createResident would), then approve the request.
    now = datetime.now(UTC)
    record = platform.residents.seal({
        "_id": new_id(), "name": "新市民", "gender": "female", "birthDate": datetime(1995, 5, 1, tzinfo=UTC),
        "phone": "13700000001", "communityId": c1["_id"], "regionPath": [*c1["path"], c1["_id"]],
        "registered": False, "tags": ["new_citizen"], "relation": "self", "createdAt": now, "updatedAt": now,
        "version": 1})
    await platform.residents.insert(record)
    approved = (await gql.ok(approve, {"r": request["id"], "res": record["_id"]}, token=admin))["approveBinding"]
    assert approved == {"status": "APPROVED", "residentId": record["_id"]}
    await gql.error("CONFLICT", approve, {"r": request["id"], "res": record["_id"]}, token=admin)

    refreshed = (await gql.ok("mutation($t:String!){refreshSession(refreshToken:$t){accessToken viewer{residentId}}}",
                              {"t": user["refreshToken"]}))["refreshSession"]
    assert refreshed["viewer"]["residentId"] == record["_id"]
    me = (await gql.ok(ME, token=refreshed["accessToken"]))["me"]
    assert me["resident"]["phone"] == "137****0001"

    # Another request, rejected with a reason the resident can read.
    fake.add_user("ivy", phone="13700000002")
    ivy = (await wechat_login(gql, "user:ivy:1"))["accessToken"]
    filed = (await gql.ok(BIND, {"code": fake.issue_phone_code("ivy"), "c": c1["_id"]}, token=ivy))["bindPhone"]
    reject = "mutation($r: ID!, $why: String) { rejectBinding(requestId: $r, reason: $why) { status reason } }"
    rejected = (await gql.ok(reject, {"r": filed["request"]["id"], "why": "请到社区核实身份"}, token=admin))
    assert rejected["rejectBinding"] == {"status": "REJECTED", "reason": "请到社区核实身份"}
    mine = (await gql.ok("{ myBindingRequest { status reason } }", token=ivy))["myBindingRequest"]
    assert mine == {"status": "REJECTED", "reason": "请到社区核实身份"}


async def test_legacy_encrypted_phone_binding(gql, fake, world, platform):
    community = world["communities"][1]
    resident, phone = await resident_with_unique_phone(platform, community["_id"])
    fake.add_user("lee", phone=phone)
    token = (await wechat_login(gql, "user:lee:1"))["accessToken"]
    data, iv = fake.encrypted_phone("lee", appid="wx9999999999999999")
    err = await gql.error("BAD_USER_INPUT", BIND_LEGACY, {"d": data, "iv": iv}, token=token)
    assert err["extensions"]["fields"][0]["path"] == "encryptedData"
    await gql.error("BAD_USER_INPUT", BIND_LEGACY, {"d": "bm90IGVuY3J5cHRlZA==", "iv": iv}, token=token)
    data, iv = fake.encrypted_phone("lee")
    await wechat_login(gql, "user:lee:2")  # a new wx.login refreshes the session_key: old data is stale
    stale = await gql.error("BAD_USER_INPUT", BIND_LEGACY, {"d": data, "iv": iv}, token=token)
    assert "wx.login" in stale["message"]
    data, iv = fake.encrypted_phone("lee")
    bound = (await gql.ok(BIND_LEGACY, {"d": data, "iv": iv}, token=token))["bindPhoneEncrypted"]
    assert bound["status"] == "BOUND" and bound["auth"]["viewer"]["residentId"] == resident["_id"]
    assert bound["phone"] == mask_phone(phone)


async def test_binding_needs_a_wechat_resident(gql, fake, world):
    await gql.error("UNAUTHENTICATED", BIND, {"code": "phone:x:1"})
    staff = await gql.login(admin_of(world["communities"][0]))
    await gql.error("FORBIDDEN", BIND, {"code": "phone:x:1"}, token=staff)
    assert fake.calls["getuserphonenumber"] == 0


async def test_family_guardianship(gql, fake, world, platform):
    c1, c2 = world["communities"]
    guardian, phone = await resident_with_unique_phone(platform, c1["_id"])
    ward, _ = await resident_with_unique_phone(platform, c1["_id"], skip=(guardian["_id"],))
    fake.add_user("june", phone=phone)
    june = (await wechat_login(gql, "user:june:1"))["accessToken"]
    family = "{ myFamily { guardianshipId relation resident { id name phone } } }"
    unbound = await gql.error("FORBIDDEN", family, token=june)
    assert unbound["extensions"]["reason"] == "BINDING_REQUIRED"
    june = (await gql.ok(BIND, {"code": fake.issue_phone_code("june")}, token=june))["bindPhone"]["auth"]["accessToken"]
    assert (await gql.ok(family, token=june))["myFamily"] == []

    add = """mutation($g: ID!, $w: ID!, $r: FamilyRelation) { addGuardianship(guardianResidentId: $g,
      wardResidentId: $w, relation: $r) { id relation communityId guardian { id } ward { id } } }"""
    admin = await gql.login(admin_of(c1))
    worker = await gql.login(f"gw{c1['_id'][-3:]}1")
    await gql.error("FORBIDDEN", add, {"g": guardian["_id"], "w": ward["_id"]}, token=worker)
    await gql.error("FORBIDDEN", add, {"g": guardian["_id"], "w": ward["_id"]}, token=june)
    link = (await gql.ok(add, {"g": guardian["_id"], "w": ward["_id"], "r": "PARENT"}, token=admin))["addGuardianship"]
    assert link["ward"]["id"] == ward["_id"] and link["guardian"]["id"] == guardian["_id"]
    assert link["communityId"] == c1["_id"] and link["relation"] == "PARENT"
    await gql.error("CONFLICT", add, {"g": guardian["_id"], "w": ward["_id"]}, token=admin)
    await gql.error("BAD_USER_INPUT", add, {"g": guardian["_id"], "w": guardian["_id"]}, token=admin)
    outsider, _ = await resident_with_unique_phone(platform, c2["_id"])
    err = await gql.error("BAD_USER_INPUT", add, {"g": guardian["_id"], "w": outsider["_id"]}, token=admin)
    assert err["extensions"]["fields"][0]["path"] == "wardResidentId"

    members = (await gql.ok(family, token=june))["myFamily"]
    assert [(m["guardianshipId"], m["relation"], m["resident"]["id"]) for m in members] == \
        [(link["id"], "PARENT", ward["_id"])]
    assert MASKED.match(members[0]["resident"]["phone"])  # the ward's phone stays masked

    remove = "mutation($id: ID!) { removeGuardianship(id: $id) }"
    await gql.error("NOT_FOUND", remove, {"id": link["id"]}, token=await gql.login(admin_of(c2)))
    assert (await gql.ok(remove, {"id": link["id"]}, token=admin))["removeGuardianship"] is True
    assert (await gql.ok(family, token=june))["myFamily"] == []
