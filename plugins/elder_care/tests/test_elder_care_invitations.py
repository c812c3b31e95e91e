"""A provider invites its own care workers from inside the module (`inviteCareWorker`, through
the SDK's `ctx.invite_staff`): its dispatcher registers the worker and gets the community's
one-time invitation code and the binding code; the worker redeems and binds; other providers'
dispatchers, plain residents and bad input are refused."""

from __future__ import annotations

INVITE = """mutation($i: InviteCareWorkerInput!) { inviteCareWorker(input: $i) { invitationId invitationCode
  bindingCode expiresAt worker { id name providerId bound } } }"""
REDEEM = "mutation($c: String!) { redeemStaffInvitation(code: $c) { accessToken viewer { communityId } } }"
INVITATIONS = "{ staffInvitations { totalCount edges { node { id module role name state } } } }"


async def test_a_providers_dispatcher_invites_a_care_worker(care):
    community = care.community
    dispatcher = await community.resident_client(3)
    await care.add_worker(dispatcher, name="王调度", can_dispatch=True)  # the provider's admin

    invited = (await dispatcher.ok(INVITE, {"i": {"providerId": care.provider_id, "name": "刘护理",
                                                  "phone": "13700002222", "skills": ["cleaning"],
                                                  "expiresInDays": 3}}))["inviteCareWorker"]
    assert len(invited["invitationCode"]) == 8 and len(invited["bindingCode"]) == 8
    assert invited["worker"]["name"] == "刘护理" and invited["worker"]["bound"] is False
    listed = (await care.admin.ok(INVITATIONS))["staffInvitations"]  # the community's admins see it
    assert [e["node"] for e in listed["edges"]] == [{"id": invited["invitationId"], "module": "elder_care",
                                                     "role": "care_worker", "name": "刘护理", "state": "PENDING"}]

    worker = await community.resident_client(4)
    redeemed = (await worker.ok(REDEEM, {"c": invited["invitationCode"]}))["redeemStaffInvitation"]
    assert redeemed["viewer"]["communityId"] == community.id
    worker.token = redeemed["accessToken"]
    bound = (await worker.ok(care.BIND, {"c": invited["bindingCode"]}))["bindCareWorkerAccount"]
    assert bound["bound"] is True
    listed = (await care.admin.ok(INVITATIONS))["staffInvitations"]
    assert listed["edges"][0]["node"]["state"] == "REDEEMED"

    # community admins invite for any provider
    rival = await care.add_provider("安心家政", ["cleaning"])
    by_admin = (await care.admin.ok(INVITE, {"i": {"providerId": rival, "name": "赵护理"}}))["inviteCareWorker"]
    assert by_admin["worker"]["providerId"] == rival


async def test_invitation_refusals(care):
    community = care.community
    dispatcher = await community.resident_client(3)
    await care.add_worker(dispatcher, name="王调度", can_dispatch=True)
    rival = await care.add_provider("安心家政", ["cleaning"])
    await dispatcher.error("FORBIDDEN", INVITE, {"i": {"providerId": rival, "name": "x"}})  # not their provider
    await care.stranger.error("FORBIDDEN", INVITE, {"i": {"providerId": care.provider_id, "name": "x"}})
    await care.gw1.error("FORBIDDEN", INVITE, {"i": {"providerId": care.provider_id, "name": "x"}})
    bad = await dispatcher.error("BAD_USER_INPUT", INVITE, {"i": {"providerId": care.provider_id, "name": " ",
                                                                  "expiresInDays": 31, "skills": ["flying"]}})
    assert {f["path"] for f in bad["extensions"]["fields"]} == {"input.name", "input.expiresInDays", "input.skills.0"}
    await care.admin.error("BAD_USER_INPUT", INVITE, {"i": {"providerId": "0" * 24, "name": "x"}})
    workers = (await care.admin.ok("{ careWorkers { totalCount } }"))["careWorkers"]["totalCount"]
    assert workers == 2  # nothing half-created by the refusals
    assert (await care.admin.ok(INVITATIONS))["staffInvitations"]["totalCount"] == 0
