/** Subscriptions over wx.connectSocket (graphql-transport-ws) against the real server: a
 * resident's order reaches the community desk's subscription as it is submitted, and the
 * resident's own subscription sees the desk accept it. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { residentClient, staffClient } = require('../support/world');

const UPDATES = 'subscription Updates { workOrderUpdated { cursor action previousState workOrder { id state } } }';
const SUBMIT = 'mutation Submit($input: SubmitWorkOrderInput!) { submitWorkOrder(input: $input) { id state } }';
const ACCEPT = 'mutation Accept($id: ID!) { acceptWorkOrder(id: $id) { state } }';

/** Subscribe and collect events; `until(predicate)` resolves with the first matching one. */
function watch(client) {
  const events = [];
  const waiters = [];
  const stop = client.subscribe(UPDATES, {}, {
    next(payload) {
      const event = payload.data && payload.data.workOrderUpdated;
      if (!event) return;
      events.push(event);
      for (const w of waiters.slice()) if (w.predicate(event)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(event); }
    },
    error(err) { for (const w of waiters) w.reject(err); },
  });
  function until(predicate, timeout = 15000) {
    const found = events.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such event within 15 s')), timeout);
      waiters.push({ predicate, resolve: (e) => { clearTimeout(timer); resolve(e); }, reject });
    });
  }
  return { events, until, stop };
}

/** A subscription starts at "now" once the server has registered it: trigger events until one
 * arrives, so that what the test does next is certainly seen (no sleeps, no race). */
async function live(watcher, trigger) {
  for (let i = 0; i < 50 && watcher.events.length === 0; i++) {
    await trigger();
    await Promise.race([watcher.until(() => true, 300).catch(() => null)]);
  }
  assert.ok(watcher.events.length > 0, 'the subscription never went live');
}

test('the desk sees a resident\'s order arrive, and the resident sees it accepted', async () => {
  const r = await residentClient();
  const desk = await staffClient(r.community.admin);
  const report = (text) => r.client.mutate(SUBMIT, { input: { description: text } });

  const deskWatch = watch(desk.client);
  await live(deskWatch, () => report('试一下'));
  const { submitWorkOrder: order } = await report('楼道灯坏了');
  const seen = await deskWatch.until((e) => e.action === 'submit' && e.workOrder.id === order.id);
  assert.equal(seen.workOrder.state, 'SUBMITTED');
  assert.ok(seen.cursor);

  const residentWatch = watch(r.client);
  await live(residentWatch, () => report('再试一下'));
  await desk.client.mutate(ACCEPT, { id: order.id });
  const accepted = await residentWatch.until((e) => e.action === 'accept' && e.workOrder.id === order.id);
  assert.equal(accepted.previousState, 'SUBMITTED');
  assert.equal(accepted.workOrder.state, 'ACCEPTED');
  deskWatch.stop();
  residentWatch.stop();
});
