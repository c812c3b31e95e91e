/** GraphQL over wx.request against the real server: queries, mutations, persisted queries,
 * the 10-request cap, timeouts, Retry-After and idempotency keys. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const { newClient, residentClient, operations, unique, SERVER } = require('../support/world');
const { createClient, GraphQLRequestError, NetworkError } = require('../../src');
const { createWx } = require('../support/wx-shim');

test('a resident runs the home screen query and submits a report (query + mutation)', async () => {
  const r = await residentClient();
  const before = await r.client.query(operations.HomeScreen);
  assert.equal(before.me.resident.id, r.record.id);
  assert.equal(before.me.resident.community.id, r.community.id);
  assert.match(before.me.resident.phone, /^1\d{2}\*{4}\d{4}$/);
  assert.ok(Array.isArray(before.modules));

  const { submitWorkOrder: order } = await r.client.mutate(operations.SubmitWorkOrder, { description: '楼道灯坏了' });
  assert.equal(order.state, 'SUBMITTED');
  const after = await r.client.query(operations.HomeScreen);
  assert.equal(after.workOrders.totalCount, before.workOrders.totalCount + 1);
  assert.equal(after.workOrders.edges[0].node.id, order.id);

  const detail = await r.client.query(operations.WorkOrderDetail, { id: order.id });
  assert.deepEqual(detail.workOrder.timeline.map((e) => e.action), ['submit']);
});

test('GraphQL errors reject with their stable code and field paths', async () => {
  const r = await residentClient();
  await assert.rejects(r.client.mutate(operations.SubmitWorkOrder, { description: ' ' }), (error) => {
    assert.ok(error instanceof GraphQLRequestError);
    assert.equal(error.code, 'BAD_USER_INPUT');
    assert.deepEqual(error.extensions.fields.map((f) => f.path), ['input.description']);
    return true;
  });
  const full = await r.client.execute(operations.WorkOrderDetail, { id: 'nope' });
  assert.equal(full.errors[0].extensions.code, 'NOT_FOUND');
});

test('automatic persisted queries: the hash alone first, the query on PERSISTED_QUERY_NOT_FOUND, then hits', async () => {
  const { shim, client } = newClient();
  const field = unique('n').replace('-', '_');
  const doc = `query Templates_${field} { ${field}: subscriptionTemplates { key templateId } }`;
  const hash = crypto.createHash('sha256').update(doc).digest('hex');

  const first = await client.query(doc);
  assert.ok(Array.isArray(first[field]) && first[field].length > 0);
  const sent = shim.requests.map((r) => r.body);
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[0].extensions, { persistedQuery: { version: 1, sha256Hash: hash } });
  assert.equal(sent[0].query, undefined);
  // a request error: 400 with application/graphql-response+json (the GraphQL-over-HTTP spec), 200 with JSON
  assert.ok([200, 400].includes(shim.requests[0].response.statusCode));
  assert.equal(JSON.parse(shim.requests[0].response.body).errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
  assert.equal(sent[1].query, doc);
  assert.equal(sent[1].extensions.persistedQuery.sha256Hash, hash);

  // Another phone, same document: one request carrying only the hash.
  const other = newClient();
  const again = await other.client.query(doc);
  assert.deepEqual(again, first);
  assert.equal(other.shim.requests.length, 1);
  assert.equal(other.shim.requests[0].body.query, undefined);
});

test('at most 10 requests in flight: 25 concurrent queries all succeed, 10 at a time', async () => {
  const r = await residentClient();
  r.shim.maxInFlight = 0;
  const results = await Promise.all(Array.from({ length: 25 }, () => r.client.query(operations.MyWorkOrders)));
  assert.equal(results.length, 25);
  assert.ok(results.every((d) => d.workOrders.totalCount === results[0].workOrders.totalCount));
  assert.equal(r.shim.maxInFlight, 10);
  assert.ok(r.shim.requests.every((q) => !q.errMsg), 'no request exceeded the cap');

  // The shim is as strict as WeChat: an eleventh concurrent wx.request fails outright.
  const raw = createWx();
  const hanging = http.createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((ok) => hanging.once('listening', ok));
  const url = `http://127.0.0.1:${hanging.address().port}/`;
  const outcomes = [];
  for (let i = 0; i < 11; i++) {
    raw.wx.request({ url, timeout: 200, fail: (e) => outcomes.push(e.errMsg) });
  }
  while (outcomes.length < 11) await new Promise((ok) => setTimeout(ok, 20));
  assert.equal(outcomes.filter((m) => m === 'request:fail exceed max task count').length, 1);
  hanging.close();
  hanging.closeAllConnections();
});

test('a request that gets no answer fails with TIMEOUT after the timeout, without a retry', async () => {
  const hanging = http.createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((ok) => hanging.once('listening', ok));
  const shim = createWx();
  const client = createClient({ url: `http://127.0.0.1:${hanging.address().port}`, wx: shim.wx, timeout: 300 });
  const started = Date.now();
  await assert.rejects(client.query('{ me { id } }'), (error) => {
    assert.ok(error instanceof NetworkError);
    assert.equal(error.code, 'TIMEOUT');
    assert.equal(error.errMsg, 'request:fail timeout');
    return true;
  });
  assert.ok(Date.now() - started >= 300);
  assert.equal(shim.requests.length, 1);
  assert.equal(client.timeout, 300);
  assert.equal(createClient({ url: SERVER, wx: shim.wx }).timeout, 60000, 'WeChat\'s 60 s by default');
  hanging.close();
  hanging.closeAllConnections();
});

test('503 after the server did the work: the retry waits Retry-After and reuses the idempotency key', async () => {
  const r = await residentClient();
  const before = (await r.client.query(operations.MyWorkOrders)).workOrders.totalCount;
  let replaced = 0;
  r.shim.interceptors.push((call) => {
    if (call.body && call.body.operationName === 'SubmitWorkOrder' && replaced === 0) {
      replaced++;
      // The gateway lost the answer: the order was created, the phone sees a 503.
      return { after: () => ({ statusCode: 503, header: { 'Retry-After': '2' },
        body: JSON.stringify({ data: null, errors: [{ message: 'busy', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }) }) };
    }
    return undefined;
  });
  const retries = [];
  r.client.on('retry', (e) => retries.push(e));
  const { submitWorkOrder: order } = await r.client.mutate(operations.SubmitWorkOrder, { description: '下水道堵了' });
  assert.equal(replaced, 1);
  assert.deepEqual(r.sleep.delays, [2000]);
  assert.equal(retries.length, 1);
  const sends = r.shim.calls('SubmitWorkOrder');
  assert.ok(sends.length >= 2);
  assert.equal(sends[0].statusCode, 503);
  const keys = sends.map((c) => c.body.variables.idempotencyKey);
  assert.ok(keys[0] && keys.every((k) => k === keys[0]), 'one key per logical action, reused by the retry');
  assert.deepEqual(sends.map((c) => c.header['Idempotency-Key']), keys);
  const after = await r.client.query(operations.MyWorkOrders);
  assert.equal(after.workOrders.totalCount, before + 1, 'the retry did not create a second order');
  assert.equal(after.workOrders.edges[0].node.id, order.id);

  // The next logical action gets a new key.
  await r.client.mutate(operations.SubmitWorkOrder, { description: '又堵了' });
  const third = r.shim.calls('SubmitWorkOrder').pop();
  assert.notEqual(third.body.variables.idempotencyKey, keys[0]);
});

test('429 with an HTTP-date Retry-After is waited out; past maxRetryDelay it is reported with retryAfter', async () => {
  const { shim, client, sleep } = newClient({ client: { maxRetryDelay: 30000 } });
  let refused = 0;
  shim.interceptors.push(() => {
    if (refused++ > 0) return undefined;
    return { statusCode: 429, header: { 'Retry-After': new Date(Date.now() + 5000).toUTCString() },
      data: { data: null, errors: [{ message: '请求过于频繁', extensions: { code: 'RATE_LIMITED' } }] } };
  });
  const data = await client.query(operations.SubscriptionTemplates);
  assert.ok(Array.isArray(data.subscriptionTemplates));
  assert.equal(sleep.delays.length, 1);
  assert.ok(sleep.delays[0] > 3000 && sleep.delays[0] <= 5000, `waited ${sleep.delays[0]} ms`);

  shim.interceptors.splice(0, 1, () => ({ statusCode: 429, header: { 'retry-after': '120' },
    data: { data: null, errors: [{ message: '请求过于频繁', extensions: { code: 'RATE_LIMITED' } }] } }));
  await assert.rejects(client.query(operations.SubscriptionTemplates), (error) => {
    assert.equal(error.code, 'RATE_LIMITED');
    assert.equal(error.retryAfter, 120);
    assert.equal(error.statusCode, 429);
    return true;
  });
  assert.equal(sleep.delays.length, 1, 'no wait longer than maxRetryDelay');
});

test('503 without Retry-After backs off, at most maxRetries times', async () => {
  const { shim, client, sleep } = newClient({ client: { maxRetries: 2 } });
  shim.interceptors.push(() => ({ statusCode: 503, header: {}, data: 'Service Unavailable' }));
  await assert.rejects(client.query(operations.SubscriptionTemplates), (error) => {
    assert.equal(error.code, 'SERVICE_UNAVAILABLE');
    assert.equal(error.statusCode, 503);
    return true;
  });
  assert.equal(shim.requests.length, 3);
  assert.equal(sleep.delays.length, 2);
  assert.ok(sleep.delays[1] > sleep.delays[0] * 1.1, `back-off grows: ${sleep.delays}`);
});

test('network failures: queries and keyed mutations are retried, other mutations are not', async () => {
  const r = await residentClient();
  let drops = 0;
  r.shim.interceptors.push((call) => {
    if (drops > 0) { drops--; return { after: () => { throw Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' }); } }; }
    return undefined;
  });
  drops = 1;
  const home = await r.client.query(operations.HomeScreen);
  assert.equal(home.me.resident.id, r.record.id);

  drops = 1;
  const { submitWorkOrder } = await r.client.mutate(operations.SubmitWorkOrder, { description: '电梯异响' });
  const sends = r.shim.calls('SubmitWorkOrder');
  assert.equal(sends[0].errMsg, 'request:fail ECONNRESET');
  assert.equal(sends.at(-1).body.variables.idempotencyKey, sends[0].body.variables.idempotencyKey);
  assert.equal(submitWorkOrder.state, 'SUBMITTED');

  drops = 1;
  await assert.rejects(r.client.mutate(operations.MarkNotificationsRead, {}), (error) => {
    assert.equal(error.code, 'NETWORK_ERROR');
    return true;
  });
  assert.equal(r.shim.calls('MarkNotificationsRead').length, 1, 'a mutation without a key is not repeated');
});
