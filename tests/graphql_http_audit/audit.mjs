// graphql-http's auditServer (the GraphQL-over-HTTP spec's server checks) against one URL.
// Usage: node audit.mjs http://127.0.0.1:8080/graphql  → one JSON line: [{id, name, status, reason}]
// status is "ok", "warn" (a SHOULD/MAY not met) or "error" (a MUST not met).
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}
const results = await auditServer({ url });
const summary = [];
for (const r of results) {
  let body;
  if (r.status !== 'ok' && r.response) {
    try { body = (await r.response.text()).slice(0, 500); } catch { body = undefined; }
  }
  summary.push({ id: r.id, name: r.name, status: r.status, reason: r.reason, httpStatus: r.response?.status, body });
}
console.log(JSON.stringify(summary));
