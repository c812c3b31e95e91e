/** Sessions against the real server and the fake WeChat: wx.login, phone binding, storage,
 * single-flight refresh, re-login, staff sessions ending, logout. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  newClient, staffClient, residentClient, operations, expiredCopy, withStoredAccessToken, relaunch, WORLD, unique,
  randomPhone,
} = require('../support/world');

const KEY = 'communityPlus.session';

test('wx.login → loginWithWechat, getPhoneNumber → bindPhone; tokens kept in wx storage', async () => {
  const r = await residentClient();
  assert.equal(r.shim.loginCalls, 1);
  const stored = r.shim.wx.getStorageSync(KEY);
  assert.equal(stored.kind, 'wechat');
  assert.equal(stored.viewer.residentId, r.record.id, 'the tokens after binding carry the resident');
  assert.equal(stored.accessToken, r.client.session.accessToken);
  assert.ok(stored.refreshToken && stored.expiresAt > Date.now());
  assert.equal(r.client.viewer.communityId, r.community.id);

  // Launched again: the stored session is used as it is, no new login.
  const again = relaunch(r);
  const me = await again.client.query('{ me { id residentId } }');
  assert.equal(me.me.residentId, r.record.id);
  assert.equal(r.shim.loginCalls, 1);
  assert.equal(r.shim.calls('LoginWithWechat').length, 1);
});

test('no session yet: the first request that needs one logs in silently with wx.login', async () => {
  const { shim, client } = newClient();
  const family = await client.execute(operations.MyFamily);
  // An unbound WeChat user is logged in but has no resident record yet: BINDING_REQUIRED.
  assert.equal(shim.loginCalls, 1);
  assert.ok(client.isLoggedIn);
  assert.equal(family.errors[0].extensions.code, 'FORBIDDEN');
  assert.equal(family.errors[0].extensions.reason, 'BINDING_REQUIRED');
  assert.equal(shim.calls('MyFamily')[0].header.Authorization, undefined);
  assert.match(shim.calls('MyFamily').at(-1).header.Authorization, /^Bearer /);
});

test('a phone number the user declined is PHONE_DENIED, with no request made', async () => {
  const { shim, client } = newClient();
  await client.login();
  const before = shim.requests.length;
  await assert.rejects(client.bindPhone(shim.deniedPhoneNumberEvent()), (e) => e.code === 'PHONE_DENIED');
  assert.equal(shim.requests.length, before);
});

test('no record with that phone: bindPhone files a binding request (PENDING), the session is unchanged', async () => {
  const { shim, client } = newClient();
  await shim.addWeChatUser(shim.user, randomPhone());
  await client.login();
  const token = client.session.accessToken;
  const result = await client.bindPhone(await shim.phoneNumberEvent(), { communityId: WORLD.communities[0].id, name: '新居民' });
  assert.equal(result.status, 'PENDING');
  assert.equal(result.request.status, 'PENDING');
  assert.equal(client.session.accessToken, token);
  const pending = await client.query(operations.MyBindingRequest);
  assert.equal(pending.myBindingRequest.id, result.request.id);
});

test('two concurrent calls with an expired token: one refreshSession, both succeed', async () => {
  const r = await residentClient();
  const oldRefresh = r.shim.wx.getStorageSync(KEY).refreshToken;
  const app = withStoredAccessToken(r, expiredCopy(r.client.session.accessToken));
  const expired = app.client.session.accessToken;
  const [home, orders] = await Promise.all([app.client.query(operations.HomeScreen), app.client.query(operations.MyWorkOrders)]);
  assert.equal(home.me.resident.id, r.record.id);
  assert.ok(orders.workOrders);
  assert.equal(r.shim.calls('RefreshSession').length, 1, 'single flight');
  const refused = r.shim.requests.filter((q) => q.header.Authorization === `Bearer ${expired}`);
  assert.ok(refused.length >= 2, 'both calls went out with the expired token');
  for (const q of refused) {
    const error = JSON.parse(q.response.body).errors[0];
    assert.equal(error.extensions.code, 'UNAUTHENTICATED');
    if (error.extensions.reason !== undefined) assert.equal(error.extensions.reason, 'TOKEN_EXPIRED');
  }
  const stored = r.shim.wx.getStorageSync(KEY);
  assert.notEqual(stored.accessToken, expired);
  assert.notEqual(stored.refreshToken, oldRefresh, 'the rotated refresh token is stored');
  assert.equal(r.shim.loginCalls, 1, 'no new wx.login');
});

test('an invalid token and a dead refresh token: a WeChat session logs in again with wx.login', async () => {
  const r = await residentClient();
  const state = r.shim.wx.getStorageSync(KEY);
  state.refreshToken = 'not-a-refresh-token';
  r.shim.wx.setStorageSync(KEY, state);
  const app = withStoredAccessToken(r, 'eyJhbGciOiJIUzI1NiJ9.e30.forged');
  const home = await app.client.query(operations.HomeScreen);
  assert.equal(home.me.resident.id, r.record.id);
  assert.equal(r.shim.loginCalls, 2);
  const refused = JSON.parse(r.shim.calls('HomeScreen')[0].response.body).errors[0];
  assert.equal(refused.extensions.code, 'UNAUTHENTICATED');
  // With a reason the server says it is not worth refreshing; without one the SDK tries once.
  const expectedRefreshes = refused.extensions.reason === 'TOKEN_INVALID' ? 0 : 1;
  assert.equal(r.shim.calls('RefreshSession').length, expectedRefreshes);
  assert.notEqual(r.shim.wx.getStorageSync(KEY).refreshToken, 'not-a-refresh-token');
});

test('reason SESSION_ENDED: no refresh is tried, wx.login at once', async () => {
  const r = await residentClient();
  let answered = false;
  r.shim.interceptors.push((call) => {
    if (answered || !call.body || call.body.operationName !== 'MyWorkOrders') return undefined;
    answered = true;
    return { statusCode: 200, header: {}, data: { data: null, errors: [{ message: '会话已结束 (session ended)',
      extensions: { code: 'UNAUTHENTICATED', reason: 'SESSION_ENDED' } }] } };
  });
  const orders = await r.client.query(operations.MyWorkOrders);
  assert.ok(orders.workOrders);
  assert.equal(r.shim.calls('RefreshSession').length, 0);
  assert.equal(r.shim.loginCalls, 2);
});

test('a staff (password) session that cannot be renewed ends: storage cleared, sessionEnded, the error surfaces', async () => {
  const staff = await staffClient(WORLD.communities[0].admin);
  const state = staff.shim.wx.getStorageSync(KEY);
  assert.equal(state.kind, 'password');
  state.refreshToken = 'revoked';
  staff.shim.wx.setStorageSync(KEY, state);
  const app = withStoredAccessToken(staff, expiredCopy(state.accessToken));
  const ended = [];
  app.client.on('sessionEnded', (e) => ended.push(e));
  await assert.rejects(app.client.query('{ me { id } residents(first: 1) { totalCount } }'),
    (e) => e.code === 'UNAUTHENTICATED');
  assert.equal(ended.length, 1);
  assert.equal(staff.shim.wx.getStorageSync(KEY), '');
  assert.equal(staff.shim.loginCalls, 0, 'staff are never logged in through wx.login');
  assert.equal(staff.shim.calls('RefreshSession').length, 1);
});

test('logout revokes the session on the server and forgets it here', async () => {
  const r = await residentClient();
  const refreshToken = r.shim.wx.getStorageSync(KEY).refreshToken;
  assert.equal(await r.client.logout(), true);
  assert.equal(r.shim.calls('Logout').length, 1);
  assert.match(r.shim.calls('Logout')[0].header.Authorization, /^Bearer /);
  assert.equal(r.shim.wx.getStorageSync(KEY), '');
  assert.equal(r.client.isLoggedIn, false);
  const other = newClient();
  const refreshed = await other.client.execute(operations.RefreshSession, { refreshToken }, { auth: false });
  assert.equal(refreshed.errors[0].extensions.code, 'UNAUTHENTICATED', 'the refresh token no longer works');
});

test('logout with an expired access token refreshes first so the server can end the session', async () => {
  const r = await residentClient();
  const app = withStoredAccessToken(r, expiredCopy(r.client.session.accessToken));
  await app.client.logout();
  assert.equal(r.shim.calls('RefreshSession').length, 1);
  assert.equal(r.shim.calls('Logout').length, 2);
  const refreshToken = JSON.parse(r.shim.calls('RefreshSession')[0].response.body).data.refreshSession.refreshToken;
  const again = await newClient().client.execute(operations.RefreshSession, { refreshToken }, { auth: false });
  assert.equal(again.errors[0].extensions.code, 'UNAUTHENTICATED');
  assert.equal(r.shim.loginCalls, 1, 'logging out never logs in');
});

test('staff log in with a password; a wrong password is UNAUTHENTICATED and stores nothing', async () => {
  const { shim, client } = newClient();
  await assert.rejects(client.loginWithPassword(WORLD.communities[0].admin, 'wrong'), (e) => e.code === 'UNAUTHENTICATED');
  assert.equal(shim.wx.getStorageSync(KEY), '');
  assert.equal(shim.loginCalls, 0);
  const viewer = await client.loginWithPassword(WORLD.communities[0].admin, WORLD.password);
  assert.equal(viewer.role, 'COMMUNITY_ADMIN');
  assert.equal(unique('x').length > 2, true);
});
