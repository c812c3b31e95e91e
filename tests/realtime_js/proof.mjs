// The end-to-end proof with the npm `graphql-ws` client, through two server workers:
// a resident submits an order (HTTP, worker B); the grid worker's subscription (worker A)
// receives it; the desk accepts and assigns, the worker starts and resolves it (HTTP, A);
// the resident's subscription and notification (worker B) arrive. Then the resident's
// socket reconnects with `after` and gets what it missed. Prints one JSON line.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const env = JSON.parse(process.env.PROOF);
const WAIT = 5000;

function client(url, token) {
  return createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0,
    connectionParams: { accessToken: token } });
}

function collect(c, query, variables = {}) {
  const items = [];
  const waiters = [];
  let error = null;
  const stop = c.subscribe({ query, variables }, {
    next: (v) => { items.push(v); waiters.forEach((w) => w()); },
    error: (e) => { error = e; waiters.forEach((w) => w()); },
    complete: () => {},
  });
  const waitFor = (pred, what) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(items)}`)), WAIT);
    const check = () => {
      if (error) { clearTimeout(timer); reject(new Error(JSON.stringify(error))); return true; }
      const found = items.find(pred);
      if (found) { clearTimeout(timer); resolve(found); return true; }
      return false;
    };
    if (!check()) waiters.push(check);
  });
  return { items, waitFor, stop };
}

async function gql(url, token, query, variables) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json',
    Authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const ORDERS = `subscription($after: String) { workOrderUpdated(after: $after) {
  cursor action previousState workOrder { id state } } }`;
const NOTES = `subscription { notificationReceived { cursor notification { title state page } } }`;
const acked = (c) => new Promise((resolve) => c.on('connected', resolve));

const worker = client(env.wsA, env.worker);
const resident = client(env.wsB, env.resident);
await Promise.all([acked(worker), acked(resident)]);
const workerOrders = collect(worker, ORDERS);
const residentOrders = collect(resident, ORDERS);
const residentNotes = collect(resident, NOTES);
// a subscribe is asynchronous: wait until both workers report the subscriptions live (/metrics)
async function live(metricsUrl) {
  const text = await (await fetch(metricsUrl)).text();
  const m = text.match(/^cp_realtime_subscriptions (\S+)$/m);
  return m ? Number(m[1]) : 0;
}
for (const [url, n] of [[env.metricsA, 1], [env.metricsB, 2]]) {
  for (let i = 0; i < 500 && (await live(url)) < n; i++) await new Promise((r) => setTimeout(r, 10));
}

const { submitWorkOrder: order } = await gql(env.httpB, env.resident,
  'mutation($i: SubmitWorkOrderInput!) { submitWorkOrder(input: $i) { id } }', { i: { description: '电梯异响' } });
const submitted = await workerOrders.waitFor((v) => v.data.workOrderUpdated.workOrder.id === order.id, 'the submit');
await gql(env.httpA, env.desk, 'mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }', { id: order.id });
await gql(env.httpA, env.desk, 'mutation($id: ID!, $a: ID) { assignWorkOrder(id: $id, assigneeId: $a) { state } }',
  { id: order.id, a: env.workerId });
await gql(env.httpA, env.worker, 'mutation($id: ID!) { startWorkOrder(id: $id) { state } }', { id: order.id });
await gql(env.httpA, env.worker, 'mutation($id: ID!) { resolveWorkOrder(id: $id, note: "已处理") { state } }',
  { id: order.id });
const resolved = await residentOrders.waitFor((v) => v.data.workOrderUpdated.workOrder.state === 'RESOLVED',
  'the resolve');
const note = await residentNotes.waitFor((v) => v.data.notificationReceived.notification.state === '待评价',
  'the notification');

// resume: reconnect with the cursor of the submit; the four later changes are replayed
const again = client(env.wsA, env.resident);
await acked(again);
const replay = collect(again, ORDERS, { after: residentOrders.items[0].data.workOrderUpdated.cursor });
await replay.waitFor((v) => v.data.workOrderUpdated.action === 'resolve', 'the replay');

console.log(JSON.stringify({
  orderId: order.id,
  workerSaw: submitted.data.workOrderUpdated.action,
  residentActions: residentOrders.items.map((v) => v.data.workOrderUpdated.action),
  resolvedFrom: resolved.data.workOrderUpdated.previousState,
  notification: note.data.notificationReceived.notification,
  replayed: replay.items.map((v) => v.data.workOrderUpdated.action),
}));
for (const c of [worker, resident, again]) await c.dispose();
