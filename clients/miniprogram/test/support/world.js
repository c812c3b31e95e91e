/**
 * What the integration tests know about the server they run against (set by
 * tests/test_miniprogram_sdk.py): URLs, the seeded communities and staff, the signing key
 * (to forge an expired access token), and helpers to make logged-in clients.
 */
'use strict';

const crypto = require('node:crypto');
const { createWx } = require('./wx-shim');
const { createClient, operations } = require('../../src');

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests through tests/test_miniprogram_sdk.py ` +
      '(or start a server and the fake WeChat and set CP_SDK_* as it does)');
  }
  return value;
}

const SERVER = env('CP_SDK_SERVER_URL');
const WECHAT = env('CP_SDK_WECHAT_URL');
const SIGNING_KEY = env('CP_SDK_SIGNING_KEY');
const WORLD = JSON.parse(env('CP_SDK_WORLD'));

/** Every test's sleeps are recorded and skipped (the delays asked for are what is tested). */
function recordingSleep() {
  const delays = [];
  const sleep = (ms) => { delays.push(ms); return new Promise((r) => setImmediate(r)); };
  sleep.delays = delays;
  return sleep;
}

function unique(prefix) {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}

function newClient(options = {}) {
  const shim = createWx({ wechatBase: WECHAT, user: options.user || unique('wx') });
  const sleep = recordingSleep();
  const client = createClient(Object.assign({ url: SERVER, wx: shim.wx, sleep }, options.client));
  return { shim, client, sleep };
}

/** A staff client logged in with a password. */
async function staffClient(username, options = {}) {
  const made = newClient(options);
  await made.client.loginWithPassword(username, WORLD.password);
  return made;
}

function randomPhone() {
  return '139' + String(crypto.randomInt(0, 1e8)).padStart(8, '0');
}

const CREATE_RESIDENT = `mutation CreateResident($input: CreateResidentInput!) {
  createResident(input: $input) { id name communityId } }`;

/** A resident record with a phone of its own, created by the community's admin. */
async function residentRecord(options = {}) {
  const community = WORLD.communities[options.community || 0];
  const admin = await staffClient(community.admin);
  const phone = randomPhone();
  const name = options.name || unique('居民');
  const record = (await admin.client.mutate(CREATE_RESIDENT, { input: { name, phone, birthDate: '1950-03-01' } })).createResident;
  return { community, phone, record };
}

/**
 * A resident with their own record (created by the community admin), logged in through
 * wx.login and bound through the phone button: the real first-run flow.
 */
async function residentClient(options = {}) {
  const { community, phone, record } = await residentRecord(options);
  const made = newClient(options);
  await made.shim.addWeChatUser(made.shim.user, phone);
  await made.client.login();
  const bound = await made.client.bindPhone(await made.shim.phoneNumberEvent());
  if (bound.status !== 'BOUND') throw new Error(`expected BOUND, got ${JSON.stringify(bound)}`);
  return Object.assign(made, { record, phone, community });
}

function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

/** The same claims, signed with the server's key, expired `ago` seconds ago. */
function expiredCopy(token, ago = 60) {
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  claims.iat = now - 900 - ago;
  claims.exp = now - ago;
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', SIGNING_KEY).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** The mini-program launched again on the same phone: a new client reading the same storage. */
function relaunch(made, options = {}) {
  const sleep = recordingSleep();
  const client = createClient(Object.assign({ url: SERVER, wx: made.shim.wx, sleep }, options.client));
  return Object.assign({}, made, { client, sleep });
}

/** Put another access token in storage (as if stored long ago) and relaunch. */
function withStoredAccessToken(made, token, options) {
  const key = 'communityPlus.session';
  const state = made.shim.wx.getStorageSync(key);
  state.accessToken = token;
  made.shim.wx.setStorageSync(key, state);
  return relaunch(made, options);
}

module.exports = {
  SERVER, WECHAT, WORLD, operations, newClient, staffClient, residentClient, residentRecord, expiredCopy, relaunch,
  withStoredAccessToken,
  unique, randomPhone, recordingSleep,
};
