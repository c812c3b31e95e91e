/** Subscription-message templates come from the server; accepting one lets it deliver. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { newClient, residentClient, operations, WORLD } = require('../support/world');

async function until(what, probe, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

test('the template ids are read from the server, not hard-coded', async () => {
  const { client } = newClient();
  const map = await client.loadSubscriptionTemplates();
  assert.deepEqual(map, WORLD.templates);
});

test('requestSubscribeMessage asks WeChat synchronously once templates are loaded; the grant is used', async () => {
  const r = await residentClient();
  await r.client.loadSubscriptionTemplates();
  const asked = r.client.requestSubscribeMessage(['work_order_status']);
  assert.deepEqual(r.shim.subscribeCalls, [[WORLD.templates.work_order_status]], 'still inside the tap handler');
  const answer = await asked;
  assert.deepEqual(answer.accepted, ['work_order_status']);
  assert.equal(answer.result[WORLD.templates.work_order_status], 'accept');

  const { submitWorkOrder: order } = await r.client.mutate(operations.SubmitWorkOrder, { description: '路灯不亮' });
  const message = await until('the subscription message', async () => (await r.shim.sentMessages())
    .find((m) => m.touser === r.shim.openid && (m.page || '').includes(order.id)));
  assert.equal(message.template_id, WORLD.templates.work_order_status);
});

test('unknown keys, too many keys and refusals are reported', async () => {
  const r = newClient();
  await assert.rejects(r.client.requestSubscribeMessage(['no_such_template']), (e) => e.code === 'UNKNOWN_TEMPLATE');
  await assert.rejects(r.client.requestSubscribeMessage(['a', 'b', 'c', 'd']), (e) => e.code === 'BAD_USER_INPUT');
  assert.equal(r.shim.subscribeCalls.length, 0);
  r.shim.subscribeAnswer = () => 'reject';
  const answer = await r.client.requestSubscribeMessage(['work_order_status', 'module_notice']);
  assert.deepEqual(answer.accepted, []);
  assert.deepEqual(answer.rejected, ['work_order_status', 'module_notice']);
});
