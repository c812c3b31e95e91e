/**
 * A tiny graphql-transport-ws server (ws package) for the socket client's unit tests. It
 * follows PROTOCOL.md: subprotocol check, connection_init within a wait time (4408), one init
 * (4429), subscribe only after ack (4401), unique ids (4409), ping/pong, invalid messages
 * (4400). Its one subscription field, `events(after)`, streams a log of events with cursors:
 * on subscribe it replays what came after `after`, then sends new events live — the shape
 * of a resumable feed.
 */
'use strict';

const { WebSocketServer } = require('ws');

const PROTOCOL = 'graphql-transport-ws';

function startServer(options = {}) {
  const log = [];
  const connections = [];
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });
  const authorize = options.authorize || (() => true);

  wss.on('connection', (socket, request) => {
    const conn = { socket, headers: request.headers, protocol: socket.protocol, received: [], acknowledged: false,
      init: null, subs: new Map(), closed: null };
    connections.push(conn);
    if (socket.protocol !== PROTOCOL) { socket.close(4406, 'Subprotocol not acceptable'); return; }
    const initTimer = setTimeout(() => { if (!conn.init) socket.close(4408, 'Connection initialisation timeout'); },
      options.initTimeout || 3000);
    const send = (m) => socket.send(JSON.stringify(m));
    conn.send = send;
    socket.on('close', (code, reason) => {
      clearTimeout(initTimer);
      if (!conn.closed) conn.closed = { code, reason: reason.toString() };
    });
    socket.on('message', (raw) => {
      let m;
      try { m = JSON.parse(raw.toString()); } catch (e) { socket.close(4400, 'Invalid message'); return; }
      conn.received.push(m);
      switch (m.type) {
        case 'connection_init': {
          if (conn.init) { socket.close(4429, 'Too many initialisation requests'); return; }
          conn.init = m.payload || {};
          if (options.silent && options.silent(conn, connections)) return; // never acknowledge
          if (!authorize(conn.init, conn.headers, connections.length)) { socket.close(4403, 'Forbidden'); return; }
          conn.acknowledged = true;
          send({ type: 'connection_ack', payload: { server: 'test' } });
          return;
        }
        case 'ping':
          if (!options.ignorePings) send({ type: 'pong' });
          return;
        case 'pong':
          return;
        case 'subscribe': {
          if (!conn.acknowledged) { socket.close(4401, 'Unauthorized'); return; }
          if (conn.subs.has(m.id)) { socket.close(4409, `Subscriber for ${m.id} already exists`); return; }
          if (options.authorizeSubscribe && !options.authorizeSubscribe(conn)) {
            send({ id: m.id, type: 'error', payload: [{ message: '登录已过期 (access token expired)',
              extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' } }] });
            return;
          }
          if (/\bbroken\b/.test(m.payload.query)) {
            send({ id: m.id, type: 'error', payload: [{ message: 'Cannot query field "broken"',
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
            return;
          }
          const after = (m.payload.variables || {}).after;
          const start = after == null ? log.length : log.findIndex((e) => e.cursor === after) + 1;
          conn.subs.set(m.id, m.payload);
          for (const event of log.slice(start)) send({ id: m.id, type: 'next', payload: { data: { events: event } } });
          return;
        }
        case 'complete':
          conn.subs.delete(m.id);
          return;
        default:
          socket.close(4400, `Invalid message type ${m.type}`);
      }
    });
  });

  const ready = new Promise((resolve) => wss.once('listening', resolve));
  const server = {
    log,
    connections,
    get url() { return `ws://127.0.0.1:${wss.address().port}/graphql`; },
    ready,
    /** Append an event and send it to every live subscription. */
    publish(text) {
      const event = { cursor: `c${log.length + 1}`, text };
      log.push(event);
      for (const conn of connections) {
        if (conn.closed) continue;
        for (const id of conn.subs.keys()) conn.send({ id, type: 'next', payload: { data: { events: event } } });
      }
      return event;
    },
    /** Cut every connection without a closing handshake (the client sees 1006). */
    dropAll() {
      for (const c of connections) {
        if (c.closed) continue;
        c.closed = { code: 1006, reason: 'dropped by the test' };
        c.socket.terminate();
      }
    },
    completeAll() {
      for (const c of connections) {
        if (c.closed) continue;
        for (const id of c.subs.keys()) c.send({ id, type: 'complete' });
        c.subs.clear();
      }
    },
    live() { return connections.filter((c) => !c.closed); },
    close() {
      for (const c of connections) if (!c.closed) c.socket.terminate();
      return new Promise((resolve) => wss.close(resolve));
    },
  };
  return server;
}

/** Wait for a condition (checked on every turn of the event loop, bounded). */
async function until(what, probe, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 5));
  }
}

module.exports = { startServer, until, PROTOCOL };
