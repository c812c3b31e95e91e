/** Small pieces: Retry-After, back-off, the request limiter, reading documents, ids. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const retry = require('../../src/retry');
const { createLimiter } = require('../../src/limiter');
const documents = require('../../src/document');
const { uuid } = require('../../src/ids');
const { operations } = require('../../src');

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(retry.retryAfterMs('5'), 5000);
  assert.equal(retry.retryAfterMs(' 0 '), 0);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retry.retryAfterMs('Thu, 01 Jan 2026 00:00:07 GMT', now), 7000);
  assert.equal(retry.retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past: now');
  assert.equal(retry.retryAfterMs('soon'), null);
  assert.equal(retry.retryAfterMs(undefined), null);
  assert.equal(retry.header({ 'retry-after': '3' }, 'Retry-After'), '3');
});

test('back-off doubles up to the cap, with jitter', () => {
  for (let attempt = 0; attempt < 8; attempt++) {
    const ms = retry.backoffMs(attempt, 500, 10000);
    const nominal = Math.min(10000, 500 * 2 ** attempt);
    assert.ok(ms >= nominal * 0.75 && ms <= nominal * 1.25, `${attempt}: ${ms}`);
  }
});

test('the limiter runs at most N tasks at once, in order, and survives failures', async () => {
  const limiter = createLimiter(3);
  let running = 0;
  let peak = 0;
  const order = [];
  const gates = [];
  const tasks = Array.from({ length: 8 }, (_, i) => limiter.run(() => {
    running++;
    peak = Math.max(peak, running);
    order.push(i);
    return new Promise((resolve, reject) => gates.push(() => { running--; (i === 2 ? reject : resolve)(i); }));
  })).map((p) => p.then((value) => ({ status: 'fulfilled', value }), (reason) => ({ status: 'rejected', reason })));
  while (order.length < 8) {
    await new Promise((r) => setImmediate(r));
    assert.ok(limiter.active <= 3);
    if (gates.length) gates.shift()();
  }
  while (gates.length) gates.shift()();
  const results = await Promise.all(tasks);
  assert.equal(peak, 3);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(results[2].status, 'rejected');
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 7);
});

test('documents: operation type and name, fragments first, comments, declared variables', () => {
  assert.deepEqual(documents.describe('{ me { id } }'), { type: 'query', name: null });
  assert.deepEqual(documents.describe('# mutation Fake\nquery Q { a }'), { type: 'query', name: 'Q' });
  assert.deepEqual(documents.describe('fragment F on X { a { b } } mutation M { m }'), { type: 'mutation', name: 'M' });
  assert.deepEqual(documents.describe('subscription { s }'), { type: 'subscription', name: null });
  assert.deepEqual(documents.describe(operations.BindPhone), { type: 'mutation', name: 'BindPhone' });
  assert.ok(documents.declaresVariable(operations.SubmitWorkOrder, 'idempotencyKey'));
  assert.ok(documents.declaresVariable(operations.RateWorkOrder, 'idempotencyKey'));
  assert.ok(!documents.declaresVariable(operations.CancelWorkOrder, 'idempotencyKey'));
  assert.ok(!documents.declaresVariable('mutation { x(note: "$idempotencyKey: no") }', 'idempotencyKey'));
});

test('ids are RFC 4122 version 4 and distinct', () => {
  const seen = new Set(Array.from({ length: 1000 }, uuid));
  assert.equal(seen.size, 1000);
  for (const id of seen) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
