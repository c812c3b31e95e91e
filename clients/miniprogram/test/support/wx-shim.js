/**
 * A faithful `wx` for node: the mini-program APIs the SDK uses, doing real I/O.
 *
 * - request: real HTTP (node:http); `success` for every status, `fail` with WeChat's errMsg
 *   (`request:fail timeout`…); JSON bodies both ways (dataType 'json' parses, falls back to
 *   the string); at most 10 in flight, like WeChat — an 11th fails
 *   (`request:fail exceed max task count`). Counts in-flight calls and records every call.
 * - uploadFile: multipart/form-data (form fields, then the file part) written in chunks, with
 *   UploadTask.onProgressUpdate; temp files are added with `addTempFile` (what chooseMedia
 *   would return). Also 10 at most.
 * - connectSocket: a SocketTask over the `ws` package (subprotocols, headers, close codes
 *   1000 or 3000–4999 only), at most 5 sockets.
 * - storage: synchronous, in memory, values stored as JSON copies; '' for a missing key.
 * - login: codes minted by the fake WeChat (`POST /_fake/code?user=`) for `shim.user`.
 * - requestSubscribeMessage: 1–3 template ids; accepted ones are granted on the fake WeChat.
 *
 * `interceptors` let a test stand in for the network between phone and server: a function
 * gets {url, method, header, body} and returns undefined (pass), a response
 * {statusCode, header, data} (answered without reaching the server) or {after(res)} (sent,
 * then the answer is replaced — e.g. a gateway's 503 after the server did the work).
 */
'use strict';

const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { WebSocket } = require('ws');

const MAX_REQUESTS = 10;
const MAX_UPLOADS = 10;
const MAX_SOCKETS = 5;
const MAX_ITEM_BYTES = 1024 * 1024;
const MIME = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.pdf': 'application/pdf',
  '.mp4': 'video/mp4', '.txt': 'text/plain' };

function later(fn) { setImmediate(fn); }

function headerValue(headers, name) {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers || {})) if (key.toLowerCase() === wanted) return headers[key];
  return undefined;
}

function flatHeaders(raw) {
  const out = {};
  for (const [k, v] of Object.entries(raw)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(url, method, headers, chunks, timeout, onWrite) {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method, headers, agent: false });
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      req.destroy();
      reject(new Error('timeout'));
    }, timeout);
    req.on('response', (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        resolve({ statusCode: res.statusCode, header: flatHeaders(res.headers), body: Buffer.concat(parts).toString('utf8') });
      });
      res.on('error', (e) => { clearTimeout(timer); if (!settled) { settled = true; reject(e); } });
    });
    req.on('error', (e) => { clearTimeout(timer); if (!settled) { settled = true; reject(e); } });
    (async () => {
      for (const chunk of chunks) {
        if (settled) return;
        const flushed = req.write(chunk);
        if (!flushed) await new Promise((r) => req.once('drain', r));
        if (onWrite) onWrite(chunk.length);
      }
      req.end();
    })();
  });
}

function parseJson(text) {
  try { return JSON.parse(text); } catch (e) { return text; }
}

function createWx(options = {}) {
  const storage = new Map();
  const tempFiles = new Map();
  const shim = {
    user: options.user || null,
    wechatBase: options.wechatBase || null,
    requests: [],
    uploads: [],
    sockets: [],
    interceptors: [],
    inFlight: 0,
    maxInFlight: 0,
    uploadsInFlight: 0,
    maxUploadsInFlight: 0,
    openSockets: 0,
    loginCalls: 0,
    openid: null,
    subscribeCalls: [],
    subscribeAnswer: options.subscribeAnswer || (() => 'accept'),
  };

  async function fake(pathAndQuery, body) {
    if (!shim.wechatBase) throw new Error('wx shim: no wechatBase (the fake WeChat server) configured');
    const url = new URL(shim.wechatBase + pathAndQuery);
    const data = body === undefined ? [] : [Buffer.from(JSON.stringify(body))];
    const res = await send(url, 'POST', { 'content-type': 'application/json' }, data, 10000);
    if (res.statusCode !== 200) throw new Error(`fake WeChat ${pathAndQuery}: HTTP ${res.statusCode} ${res.body}`);
    return JSON.parse(res.body);
  }

  function intercepted(call) {
    for (const fn of shim.interceptors) {
      const verdict = fn(call);
      if (verdict) return verdict;
    }
    return null;
  }

  const wx = {
    request(o) {
      const record = { url: o.url, method: (o.method || 'GET').toUpperCase(), header: Object.assign({}, o.header), data: o.data };
      let aborted = false;
      const task = { abort() { aborted = true; }, onHeadersReceived() {}, offHeadersReceived() {} };
      const fail = (errMsg) => later(() => {
        record.errMsg = errMsg;
        if (o.fail) o.fail({ errMsg });
        if (o.complete) o.complete({ errMsg });
      });
      if (shim.inFlight >= MAX_REQUESTS) {
        record.errMsg = 'request:fail exceed max task count';
        shim.requests.push(record);
        fail(record.errMsg);
        return task;
      }
      shim.requests.push(record);
      shim.inFlight++;
      shim.maxInFlight = Math.max(shim.maxInFlight, shim.inFlight);
      const url = new URL(o.url);
      const header = Object.assign({ 'content-type': 'application/json' }, o.header);
      let body = [];
      if (record.method === 'GET' && o.data && typeof o.data === 'object') {
        for (const [k, v] of Object.entries(o.data)) url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      } else if (o.data !== undefined) {
        const json = /json/i.test(headerValue(header, 'content-type') || '');
        const text = typeof o.data === 'string' ? o.data : (json ? JSON.stringify(o.data)
          : new URLSearchParams(o.data).toString());
        body = [Buffer.from(text)];
      }
      record.body = body.length ? parseJson(body[0].toString('utf8')) : undefined;
      const verdict = intercepted({ url: o.url, method: record.method, header, body: record.body });
      const done = (res) => {
        shim.inFlight--;
        if (aborted) return fail('request:fail abort');
        record.statusCode = res.statusCode;
        record.response = res;
        const data = o.dataType === undefined || o.dataType === 'json' ? parseJson(res.body) : res.body;
        later(() => {
          const result = { data, statusCode: res.statusCode, header: res.header, cookies: [], errMsg: 'request:ok' };
          if (o.success) o.success(result);
          if (o.complete) o.complete(result);
        });
      };
      const failed = (error) => {
        shim.inFlight--;
        fail(error.message === 'timeout' ? 'request:fail timeout' : `request:fail ${error.code || error.message}`);
      };
      if (verdict && verdict.statusCode) {
        later(() => done({ statusCode: verdict.statusCode, header: verdict.header || {},
          body: typeof verdict.data === 'string' ? verdict.data : JSON.stringify(verdict.data) }));
        return task;
      }
      send(url, record.method, header, body, o.timeout || 60000)
        .then((res) => (verdict && verdict.after ? verdict.after(res) : res))
        .then(done, failed);
      return task;
    },

    uploadFile(o) {
      const progress = [];
      const headerListeners = [];
      const task = {
        onProgressUpdate(cb) { progress.push(cb); },
        offProgressUpdate(cb) { const i = progress.indexOf(cb); if (i >= 0) progress.splice(i, 1); },
        onHeadersReceived(cb) { headerListeners.push(cb); },
        offHeadersReceived(cb) { const i = headerListeners.indexOf(cb); if (i >= 0) headerListeners.splice(i, 1); },
        abort() {},
      };
      // Like WeChat: the success result has data and statusCode only; headers come through the task.
      const answer = (statusCode, header, data) => later(() => {
        headerListeners.forEach((cb) => cb({ header }));
        const result = { data, statusCode, errMsg: 'uploadFile:ok' };
        if (o.success) o.success(result);
        if (o.complete) o.complete(result);
      });
      const record = { url: o.url, header: Object.assign({}, o.header), formData: Object.assign({}, o.formData),
        name: o.name, filePath: o.filePath, progress: [] };
      shim.uploads.push(record);
      const fail = (errMsg) => later(() => {
        record.errMsg = errMsg;
        if (o.fail) o.fail({ errMsg });
        if (o.complete) o.complete({ errMsg });
      });
      const file = tempFiles.get(o.filePath);
      if (!file) { fail(`uploadFile:fail file not found: ${o.filePath}`); return task; }
      const verdict = intercepted({ url: o.url, method: 'POST', header: record.header, formData: record.formData, upload: true });
      if (verdict && verdict.statusCode) {
        record.statusCode = verdict.statusCode;
        answer(verdict.statusCode, verdict.header || {},
          typeof verdict.data === 'string' ? verdict.data : JSON.stringify(verdict.data));
        return task;
      }
      if (shim.uploadsInFlight >= MAX_UPLOADS) { fail('uploadFile:fail exceed max upload connection count 10'); return task; }
      shim.uploadsInFlight++;
      shim.maxUploadsInFlight = Math.max(shim.maxUploadsInFlight, shim.uploadsInFlight);
      const boundary = '----WxShimFormBoundary' + Math.random().toString(16).slice(2);
      const parts = [];
      for (const [k, v] of Object.entries(o.formData || {})) {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
      }
      const filename = path.basename(o.filePath.replace(/^[a-z]+:\/\//i, ''));
      const type = MIME[path.extname(filename).toLowerCase()] || 'application/octet-stream';
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${o.name}"; filename="${filename}"\r\n` +
        `Content-Type: ${type}\r\n\r\n`));
      for (let i = 0; i < file.length; i += 16384) parts.push(file.subarray(i, i + 16384));
      parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
      const total = parts.reduce((n, p) => n + p.length, 0);
      let sent = 0;
      const header = Object.assign({}, o.header, { 'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(total) });
      send(new URL(o.url), 'POST', header, parts, o.timeout || 60000, (n) => {
        sent += n;
        const event = { progress: Math.floor((sent / total) * 100), totalBytesSent: sent, totalBytesExpectedToSend: total };
        record.progress.push(event);
        progress.forEach((cb) => cb(event));
      }).then((res) => {
        shim.uploadsInFlight--;
        record.statusCode = res.statusCode;
        answer(res.statusCode, res.header, res.body);
      }, (error) => {
        shim.uploadsInFlight--;
        fail(error.message === 'timeout' ? 'uploadFile:fail timeout' : `uploadFile:fail ${error.code || error.message}`);
      });
      return task;
    },

    connectSocket(o) {
      const handlers = { open: [], close: [], error: [], message: [] };
      const record = { url: o.url, header: Object.assign({}, o.header), protocols: o.protocols, sent: [], closed: null };
      shim.sockets.push(record);
      const emit = (name, value) => later(() => handlers[name].forEach((cb) => cb(value)));
      const task = {
        readyState: 0,
        onOpen(cb) { handlers.open.push(cb); },
        onClose(cb) { handlers.close.push(cb); },
        onError(cb) { handlers.error.push(cb); },
        onMessage(cb) { handlers.message.push(cb); },
        send(s) {
          if (!ws || ws.readyState !== WebSocket.OPEN) {
            later(() => s && s.fail && s.fail({ errMsg: 'sendSocketMessage:fail WebSocket is not connected' }));
            return;
          }
          record.sent.push(parseJson(String(s.data)));
          ws.send(s.data, (err) => later(() => (err ? s && s.fail && s.fail({ errMsg: `sendSocketMessage:fail ${err.message}` })
            : s && s.success && s.success({ errMsg: 'sendSocketMessage:ok' }))));
        },
        close(s) {
          const code = s && s.code !== undefined ? s.code : 1000;
          if (code !== 1000 && (code < 3000 || code > 4999)) {
            later(() => s && s.fail && s.fail({ errMsg: 'closeSocket:fail invalid code' }));
            return;
          }
          if (ws) ws.close(code, s && s.reason);
          later(() => s && s.success && s.success({ errMsg: 'closeSocket:ok' }));
        },
      };
      if (shim.openSockets >= MAX_SOCKETS) {
        later(() => o.fail && o.fail({ errMsg: 'connectSocket:fail exceed max socket connect count 5' }));
        return task;
      }
      shim.openSockets++;
      let ws;
      let finished = false;
      const finish = () => { if (!finished) { finished = true; shim.openSockets--; } };
      try {
        ws = new WebSocket(o.url, o.protocols || [], { headers: o.header || {} });
      } catch (e) {
        finish();
        later(() => o.fail && o.fail({ errMsg: `connectSocket:fail ${e.message}` }));
        return task;
      }
      later(() => o.success && o.success({ errMsg: 'connectSocket:ok' }));
      let upgradeHeaders = {};
      ws.on('upgrade', (res) => { upgradeHeaders = flatHeaders(res.headers); });
      ws.on('open', () => { task.readyState = 1; emit('open', { header: upgradeHeaders, profile: {} }); });
      ws.on('message', (data) => emit('message', { data: data.toString('utf8') }));
      ws.on('error', (e) => emit('error', { errMsg: e.message }));
      ws.on('close', (code, reason) => {
        finish();
        task.readyState = 3;
        record.closed = { code, reason: reason.toString('utf8') };
        emit('close', { code, reason: reason.toString('utf8') });
      });
      return task;
    },

    setStorageSync(key, data) {
      if (typeof key !== 'string' || !key) throw new Error('setStorageSync:fail parameter error: key should be String');
      const json = JSON.stringify(data === undefined ? null : data);
      if (Buffer.byteLength(json) > MAX_ITEM_BYTES) throw new Error('setStorageSync:fail exceed storage item max length');
      storage.set(key, json);
    },
    getStorageSync(key) {
      return storage.has(key) ? JSON.parse(storage.get(key)) : '';
    },
    removeStorageSync(key) { storage.delete(key); },
    clearStorageSync() { storage.clear(); },
    getStorageInfoSync() {
      let size = 0;
      for (const v of storage.values()) size += Buffer.byteLength(v);
      return { keys: [...storage.keys()], currentSize: Math.ceil(size / 1024), limitSize: 10240 };
    },

    login(o = {}) {
      shim.loginCalls++;
      const reply = (name, value) => later(() => { if (o[name]) o[name](value); if (o.complete) o.complete(value); });
      if (!shim.user) { reply('fail', { errMsg: 'login:fail no user in the shim' }); return; }
      fake(`/_fake/code?user=${encodeURIComponent(shim.user)}`)
        .then((r) => { shim.openid = r.openid; reply('success', { code: r.code, errMsg: 'login:ok' }); }, (e) => reply('fail', { errMsg: `login:fail ${e.message}` }));
    },

    requestSubscribeMessage(o) {
      const ids = o.tmplIds || [];
      shim.subscribeCalls.push(ids.slice());
      const reply = (name, value) => later(() => { if (o[name]) o[name](value); if (o.complete) o.complete(value); });
      if (ids.length === 0 || ids.length > 3) {
        reply('fail', { errMsg: 'requestSubscribeMessage:fail invalid tmplIds', errCode: 20001 });
        return;
      }
      const result = { errMsg: 'requestSubscribeMessage:ok' };
      const grants = [];
      for (const id of ids) {
        result[id] = shim.subscribeAnswer(id);
        if (result[id] === 'accept') grants.push(fake('/_fake/grant', { user: shim.user, template_id: id }));
      }
      Promise.all(grants).then(() => reply('success', result), (e) => reply('fail', { errMsg: e.message }));
    },
  };

  // Interface calls a page makes: recorded (there is no screen).
  shim.ui = [];
  for (const name of ['showToast', 'navigateTo', 'stopPullDownRefresh', 'makePhoneCall']) {
    wx[name] = (o = {}) => {
      shim.ui.push({ api: name, options: o });
      later(() => { if (o.success) o.success({ errMsg: `${name}:ok` }); if (o.complete) o.complete({ errMsg: `${name}:ok` }); });
    };
  }

  shim.wx = wx;
  shim.storage = storage;
  /** A temp file as wx.chooseMedia would give it: returns its `wxfile://` path. */
  shim.addTempFile = (bytes, ext = '.png') => {
    const p = `wxfile://tmp_${Math.random().toString(36).slice(2)}${ext}`;
    tempFiles.set(p, Buffer.from(bytes));
    return p;
  };
  /** The event a `<button open-type="getPhoneNumber">` tap hands the page. */
  shim.phoneNumberEvent = async (user = shim.user) => {
    const r = await fake(`/_fake/phone_code?user=${encodeURIComponent(user)}`);
    return { type: 'getphonenumber', detail: { code: r.code, errMsg: 'getPhoneNumber:ok' } };
  };
  shim.deniedPhoneNumberEvent = () => ({ type: 'getphonenumber', detail: { errMsg: 'getPhoneNumber:fail user deny' } });
  shim.addWeChatUser = (name, phone) => fake('/_fake/users', { name, phone });
  /** Subscription messages the fake WeChat has accepted for sending. */
  shim.sentMessages = async () => {
    const res = await send(new URL(shim.wechatBase + '/_fake/messages'), 'GET', {}, [], 10000);
    return JSON.parse(res.body);
  };
  /** GraphQL requests of one operation, less the persisted-query misses the SDK answers itself. */
  shim.calls = (operationName) => shim.requests.filter((r) => r.body && r.body.operationName === operationName &&
    !(r.response && /PERSISTED_QUERY_NOT_FOUND/.test(r.response.body)));
  return shim;
}

module.exports = { createWx, MAX_REQUESTS, MAX_SOCKETS };
