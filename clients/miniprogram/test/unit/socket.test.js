/** The graphql-transport-ws client over a wx.connectSocket shim (real sockets, `ws`) against
 * a protocol-following node server. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { createWx } = require('../support/wx-shim');
const { startServer, until } = require('../support/gtws-server');
const { SubscriptionClient, createClient } = require('../../src');

const EVENTS = 'subscription Events($after: String) { events(after: $after) { cursor text } }';

function collector() {
  const seen = { next: [], errors: [], completed: 0 };
  seen.sink = {
    next: (p) => seen.next.push(p.data.events.text),
    error: (e) => seen.errors.push(e),
    complete: () => { seen.completed++; },
  };
  return seen;
}

function socketClient(server, shim, extra = {}) {
  return new SubscriptionClient(Object.assign({
    wx: shim.wx,
    url: server.url,
    headers: () => ({ Authorization: 'Bearer t1' }),
    connectionParams: () => ({ Authorization: 'Bearer t1' }),
    retryDelay: () => 10,
    keepAlive: 0,
  }, extra));
}

test('init carries the credentials; subscribe, next, unsubscribe, then the socket closes', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const shim = createWx();
  const client = socketClient(server, shim);
  const seen = collector();
  const unsubscribe = client.subscribe({ query: EVENTS, operationName: 'Events' }, seen.sink);
  await until('ack', () => client.state === 'ready' && server.live()[0] && server.live()[0].subs.size === 1);
  const conn = server.live()[0];
  assert.equal(conn.protocol, 'graphql-transport-ws');
  assert.equal(conn.headers.authorization, 'Bearer t1');
  assert.deepEqual(conn.init, { Authorization: 'Bearer t1' });
  assert.deepEqual(conn.received.map((m) => m.type), ['connection_init', 'subscribe']);
  assert.equal(conn.received[1].payload.query, EVENTS);

  server.publish('hello');
  server.publish('world');
  await until('two events', () => seen.next.length === 2);
  assert.deepEqual(seen.next, ['hello', 'world']);

  unsubscribe();
  await until('complete sent and socket closed', () => conn.closed);
  assert.deepEqual(conn.received.at(-1), { id: conn.received[1].id, type: 'complete' });
  assert.equal(conn.closed.code, 1000);
  assert.equal(client.state, 'idle');
  assert.equal(shim.openSockets, 0);
});

test('several subscriptions share one socket, with distinct ids', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx());
  const a = collector();
  const b = collector();
  client.subscribe({ query: EVENTS }, a.sink);
  client.subscribe({ query: EVENTS }, b.sink);
  await until('both subscribed', () => server.live()[0] && server.live()[0].subs.size === 2);
  assert.equal(server.connections.length, 1);
  server.publish('x');
  await until('both got it', () => a.next.length === 1 && b.next.length === 1);
  client.dispose();
  assert.equal(a.completed, 1);
  assert.equal(b.completed, 1);
});

test('pings are answered with pongs; the keep-alive ping gets a pong', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx(), { keepAlive: 30, pongTimeout: 1000 });
  const seen = collector();
  client.subscribe({ query: EVENTS }, seen.sink);
  await until('ready', () => client.state === 'ready' && server.live()[0]);
  const conn = server.live()[0];
  conn.send({ type: 'ping' });
  await until('pong', () => conn.received.some((m) => m.type === 'pong'));
  await until('client pings twice', () => conn.received.filter((m) => m.type === 'ping').length >= 2);
  assert.equal(server.connections.length, 1, 'pongs keep the socket');
  client.dispose();
});

test('no pong in time: the client drops the socket and reconnects', async (t) => {
  const server = startServer({ ignorePings: true });
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx(), { keepAlive: 20, pongTimeout: 50 });
  t.after(() => client.dispose());
  const closes = [];
  client.on('closed', (e) => closes.push(e));
  client.subscribe({ query: EVENTS }, collector().sink);
  await until('a second connection', () => server.connections.length >= 2 && server.connections[1].acknowledged);
  assert.equal(closes[0].code, 4499);
  assert.equal(server.connections[0].closed.code, 4499);
  client.dispose();
});

test('reconnect and resume from the last cursor seen: nothing lost, nothing twice', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx());
  t.after(() => client.dispose());
  const seen = collector();
  const reconnecting = [];
  client.on('reconnecting', (e) => reconnecting.push(e));
  client.subscribe({ query: EVENTS, variables: {} }, seen.sink);
  await until('subscribed', () => server.live()[0] && server.live()[0].subs.size === 1);
  server.publish('e1');
  server.publish('e2');
  await until('e1, e2', () => seen.next.length === 2);

  server.dropAll();
  await until('the client noticed', () => client.state !== 'ready');
  server.publish('e3'); // while the phone is offline
  server.publish('e4');
  await until('resubscribed', () => server.live().length === 1 && server.live()[0].subs.size === 1);
  const resubscribe = server.live()[0].received.find((m) => m.type === 'subscribe');
  assert.deepEqual(resubscribe.payload.variables, { after: 'c2' });
  await until('e3, e4 replayed', () => seen.next.length === 4);
  server.publish('e5');
  await until('e5 live', () => seen.next.length === 5);
  assert.deepEqual(seen.next, ['e1', 'e2', 'e3', 'e4', 'e5']);
  assert.equal(reconnecting.length, 1);
  assert.equal(reconnecting[0].code, 1006);
  assert.equal(seen.errors.length, 0);
  client.dispose();
});

test('resume can be turned off or pointed at another variable and cursor', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx());
  t.after(() => client.dispose());
  const plain = collector();
  const custom = collector();
  client.subscribe({ query: EVENTS, variables: { x: 1 } }, plain.sink, { resume: false });
  client.subscribe({ query: EVENTS }, custom.sink,
    { resume: { variable: 'since', cursor: (p) => 'at-' + p.data.events.cursor } });
  await until('subscribed', () => server.live()[0] && server.live()[0].subs.size === 2);
  server.publish('a');
  await until('delivered', () => plain.next.length === 1 && custom.next.length === 1);
  server.dropAll();
  await until('resubscribed', () => server.live().length === 1 && server.live()[0].subs.size === 2);
  const vars = server.live()[0].received.filter((m) => m.type === 'subscribe').map((m) => m.payload.variables);
  assert.deepEqual(vars, [{ x: 1 }, { since: 'at-c1' }]);
  client.dispose();
});

test('an operation error ends that subscription; a server complete completes it', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx());
  t.after(() => client.dispose());
  const bad = collector();
  const good = collector();
  client.subscribe({ query: 'subscription { broken }' }, bad.sink);
  client.subscribe({ query: EVENTS }, good.sink);
  await until('error', () => bad.errors.length === 1);
  assert.equal(bad.errors[0].code, 'GRAPHQL_VALIDATION_FAILED');
  await until('good subscribed', () => server.live()[0].subs.size === 1);
  server.completeAll();
  await until('completed', () => good.completed === 1);
  await until('socket closed when nothing is left', () => client.state === 'idle');
  assert.equal(bad.completed, 0);
});

test('4403 at init renews the session once and reconnects; a second refusal is UNAUTHENTICATED', async (t) => {
  let token = 'old';
  const server = startServer({ authorize: (payload) => payload.Authorization === 'Bearer fresh' });
  t.after(() => server.close());
  await server.ready;
  let renewals = 0;
  const client = socketClient(server, createWx(), {
    connectionParams: () => ({ Authorization: `Bearer ${token}` }),
    onAuthFailure: async () => { renewals++; token = 'fresh'; return true; },
  });
  const seen = collector();
  client.subscribe({ query: EVENTS }, seen.sink);
  await until('subscribed after renewal', () => server.live()[0] && server.live()[0].subs.size === 1);
  assert.equal(renewals, 1);
  assert.equal(server.connections[0].closed.code, 4403);
  client.dispose();

  const refused = socketClient(server, createWx(), {
    connectionParams: () => ({ Authorization: 'Bearer never' }),
    onAuthFailure: async () => true,
  });
  const denied = collector();
  refused.subscribe({ query: EVENTS }, denied.sink);
  await until('refused', () => denied.errors.length === 1);
  assert.equal(denied.errors[0].code, 'UNAUTHENTICATED');
  assert.equal(denied.errors[0].closeCode, 4403);
});

test('a subscription refused with UNAUTHENTICATED renews the session and resubscribes on a new connection', async (t) => {
  let token = 'old';
  const server = startServer({ authorizeSubscribe: (conn) => conn.init.Authorization === 'Bearer fresh' });
  t.after(() => server.close());
  await server.ready;
  let renewals = 0;
  const client = socketClient(server, createWx(), {
    connectionParams: () => ({ Authorization: `Bearer ${token}` }),
    onAuthFailure: async () => { renewals++; token = 'fresh'; return true; },
  });
  t.after(() => client.dispose());
  const a = collector();
  const b = collector();
  client.subscribe({ query: EVENTS }, a.sink);
  client.subscribe({ query: EVENTS }, b.sink);
  await until('both on a fresh connection', () => server.live().length === 1 && server.live()[0].init
    && server.live()[0].init.Authorization === 'Bearer fresh' && server.live()[0].subs.size === 2);
  assert.equal(server.connections.length, 2);
  assert.ok(renewals >= 1 && renewals <= 2);
  server.publish('after renewal');
  await until('delivered', () => a.next.length === 1 && b.next.length === 1);
  assert.equal(a.errors.length + b.errors.length, 0);

  // Refused again after the renewal: the error reaches the subscriber.
  token = 'stale-again';
  const refused = socketClient(server, createWx(), {
    connectionParams: () => ({ Authorization: 'Bearer nope' }), onAuthFailure: async () => true });
  t.after(() => refused.dispose());
  const c = collector();
  refused.subscribe({ query: EVENTS }, c.sink);
  await until('error', () => c.errors.length === 1);
  assert.equal(c.errors[0].code, 'UNAUTHENTICATED');
  assert.equal(c.errors[0].reason, 'TOKEN_EXPIRED');
});

test('no connection_ack in time: the client gives up on that socket (4408) and tries again', async (t) => {
  const server = startServer({ silent: (conn, all) => all.length === 1 });
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx(), { ackTimeout: 100 });
  t.after(() => client.dispose());
  const seen = collector();
  client.subscribe({ query: EVENTS }, seen.sink);
  await until('a later connection subscribed', () => server.connections.slice(1).some((c) => !c.closed && c.subs.size === 1));
  assert.equal(server.connections[0].closed.code, 4408);
  client.dispose();
});

test('an invalid message from the server closes with 4400 and fails the subscriptions (fatal)', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const client = socketClient(server, createWx());
  const seen = collector();
  const reconnecting = [];
  client.on('reconnecting', (e) => reconnecting.push(e));
  client.subscribe({ query: EVENTS }, seen.sink);
  await until('subscribed', () => server.live()[0] && server.live()[0].subs.size === 1);
  server.live()[0].socket.send('{"type":"surprise"}');
  await until('failed', () => seen.errors.length === 1);
  assert.equal(seen.errors[0].code, 'SOCKET_CLOSED');
  assert.equal(seen.errors[0].closeCode, 4400);
  await until('closed on the server', () => server.connections[0].closed);
  assert.equal(server.connections[0].closed.code, 4400);
  assert.equal(reconnecting.length, 0);
});

test('retryAttempts bounds reconnection', async (t) => {
  const server = startServer();
  await server.ready;
  const url = server.url;
  const client = socketClient({ url }, createWx(), { retryAttempts: 2 });
  const seen = collector();
  client.subscribe({ query: EVENTS }, seen.sink);
  await until('subscribed', () => server.live()[0] && server.live()[0].subs.size === 1);
  await server.close(); // the server is gone for good
  await until('gave up', () => seen.errors.length === 1);
  assert.equal(seen.errors[0].code, 'SOCKET_CLOSED');
  t.diagnostic(`gave up after ${client.retries} retries`);
  assert.equal(client.retries, 2);
});

test('client.subscribe: the session token and community go in the handshake and connection_init', async (t) => {
  const server = startServer();
  t.after(() => server.close());
  await server.ready;
  const shim = createWx();
  shim.wx.setStorageSync('communityPlus.session', { accessToken: 'tok-1', refreshToken: 'r', kind: 'password', viewer: null });
  const client = createClient({ url: 'http://127.0.0.1:1', subscriptionUrl: server.url, wx: shim.wx,
    socket: { retryDelay: () => 10, keepAlive: 0 } });
  client.setCommunity('c-9');
  const seen = [];
  const stop = client.subscribe(EVENTS, { after: null }, { next: (p) => seen.push(p.data.events.text) });
  await until('subscribed', () => server.live()[0] && server.live()[0].subs.size === 1);
  const conn = server.live()[0];
  assert.equal(conn.headers.authorization, 'Bearer tok-1');
  assert.equal(conn.headers['x-community-id'], 'c-9');
  assert.deepEqual(conn.init, { Authorization: 'Bearer tok-1', 'X-Community-Id': 'c-9' });
  const subscribe = conn.received.find((m) => m.type === 'subscribe');
  assert.equal(subscribe.payload.operationName, 'Events');
  server.publish('ping');
  await until('event', () => seen.length === 1);
  stop();
  await until('closed', () => conn.closed);
  assert.equal(client.subscriptionUrl, server.url);
  assert.equal(createClient({ url: 'https://api.example.com', wx: shim.wx }).subscriptionUrl, 'wss://api.example.com/graphql');
});
