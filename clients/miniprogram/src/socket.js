/**
 * A graphql-transport-ws client over wx.connectSocket (protocol:
 * https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
 *
 * One socket for all subscriptions, opened on the first subscribe and closed after the last
 * one ends (`lazyCloseTimeout`). `connection_init` carries `connectionParams()` (the client
 * sends its Authorization and X-Community-Id there and as handshake headers). Pings from the
 * server are answered; the client pings every `keepAlive` ms and drops a socket that does not
 * pong within `pongTimeout`. A socket that closes for any reason but a fatal one reconnects
 * with back-off and re-subscribes; each subscription remembers the cursor of the last event
 * it saw (`resume.cursor(payload)`, by default the root field's `cursor` or
 * `extensions.cursor`) and resubscribes with it as `resume.variable` (default `after`), so no
 * event is lost across reconnects. 4401/4403 (auth) renew the session once, then reconnect.
 */
'use strict';

var Emitter = require('./emitter').Emitter;
var errors = require('./errors');
var retry = require('./retry');

var PROTOCOL = 'graphql-transport-ws';
var CLOSE = {
  NORMAL: 1000,
  ABNORMAL: 1006,
  BAD_REQUEST: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  SUBPROTOCOL_NOT_ACCEPTABLE: 4406,
  INIT_TIMEOUT: 4408,
  SUBSCRIBER_EXISTS: 4409,
  TOO_MANY_INIT: 4429,
  TERMINATED: 4499,
  INTERNAL_SERVER_ERROR: 4500,
};
// Reconnecting would only repeat the same mistake.
var FATAL = [CLOSE.BAD_REQUEST, CLOSE.SUBPROTOCOL_NOT_ACCEPTABLE, CLOSE.SUBSCRIBER_EXISTS, CLOSE.TOO_MANY_INIT,
  CLOSE.INTERNAL_SERVER_ERROR];
var AUTH = [CLOSE.UNAUTHORIZED, CLOSE.FORBIDDEN];

function defaultCursor(payload) {
  if (!payload) return null;
  if (payload.extensions && payload.extensions.cursor != null) return payload.extensions.cursor;
  var data = payload.data;
  if (!data || typeof data !== 'object') return null;
  for (var key in data) {
    var value = data[key];
    if (value && typeof value === 'object' && value.cursor != null) return value.cursor;
  }
  return null;
}

function resumeOf(option) {
  if (option === false) return null;
  option = option || {};
  return { variable: option.variable || 'after', cursor: option.cursor || defaultCursor };
}

function call(fn, value) {
  if (typeof fn === 'function') {
    try { fn(value); } catch (e) { setTimeout(function () { throw e; }, 0); } // a sink's bug must not kill the socket
  }
}

class SubscriptionClient extends Emitter {
  constructor(options) {
    super();
    this.wx = options.wx;
    this.url = options.url;
    this.connectionParams = options.connectionParams || function () { return {}; };
    this.headers = options.headers || function () { return {}; };
    this.onAuthFailure = options.onAuthFailure || null;
    this.retryAttempts = options.retryAttempts == null ? Infinity : options.retryAttempts;
    this.retryDelay = options.retryDelay || function (attempt) { return retry.backoffMs(attempt, 1000, 30000); };
    this.ackTimeout = options.ackTimeout || 10000;
    this.keepAlive = options.keepAlive == null ? 20000 : options.keepAlive;
    this.pongTimeout = options.pongTimeout || 10000;
    this.lazyCloseTimeout = options.lazyCloseTimeout || 0;
    this.state = 'idle'; // idle → connecting → open (init sent) → ready (acknowledged)
    this.subs = {};
    this.retries = 0;
    this._task = null;
    this._generation = 0;
    this._timers = {};
    this._nextId = 1;
    this._authRetried = false;
    this._reconnectNow = false;
    this._disposed = false;
  }

  // events (on): connecting {attempt}, connected (ack payload), closed {code, reason}, reconnecting {attempt, delay}
  subscribe(payload, sink, options) {
    var self = this;
    if (this._disposed) throw new errors.CommunityPlusError('SOCKET_DISPOSED', 'the subscription client was disposed');
    var id = String(this._nextId++);
    var sub = { id: id, payload: payload, sink: sink || {}, resume: resumeOf(options && options.resume), cursor: null,
      sent: false };
    if (options && options.cursor != null) sub.cursor = options.cursor;
    this.subs[id] = sub;
    this._clearTimer('lazyClose');
    if (this.state === 'ready') this._subscribe(sub);
    else this._connect();
    return function unsubscribe() { self._end(id, true); };
  }

  /** Close the socket for good; active subscriptions complete. */
  dispose() {
    var self = this;
    this._disposed = true;
    Object.keys(this.subs).forEach(function (id) {
      var sub = self.subs[id];
      delete self.subs[id];
      call(sub.sink.complete);
    });
    this._close(CLOSE.NORMAL, 'Normal Closure');
  }

  _end(id, byClient) {
    var sub = this.subs[id];
    if (!sub) return null;
    delete this.subs[id];
    if (byClient && sub.sent && this.state === 'ready') this._send({ id: id, type: 'complete' });
    this._closeWhenIdle();
    return sub;
  }

  _closeWhenIdle() {
    if (Object.keys(this.subs).length === 0) {
      var self = this;
      this._setTimer('lazyClose', function () {
        if (Object.keys(self.subs).length === 0 && self.state !== 'idle') self._close(CLOSE.NORMAL, 'Normal Closure');
      }, this.lazyCloseTimeout);
    }
  }

  _subscribe(sub) {
    var payload = Object.assign({}, sub.payload);
    if (sub.resume && sub.cursor != null) {
      var variables = Object.assign({}, payload.variables || {});
      variables[sub.resume.variable] = sub.cursor;
      payload.variables = variables;
    }
    sub.sent = true;
    this._send({ id: sub.id, type: 'subscribe', payload: payload });
  }

  _send(message) {
    if (this._task) this._task.send({ data: JSON.stringify(message) });
  }

  _connect() {
    var self = this;
    if (this.state !== 'idle' || this._disposed) return;
    this._clearTimer('retry');
    this.state = 'connecting';
    var generation = ++this._generation;
    this._emit('connecting', { attempt: this.retries });
    Promise.resolve().then(function () { return self.headers(); }).then(function (header) {
      if (generation !== self._generation) return;
      var task = self.wx.connectSocket({
        url: self.url,
        header: header,
        protocols: [PROTOCOL],
        fail: function (res) { self._closed(generation, CLOSE.ABNORMAL, (res && res.errMsg) || 'connectSocket:fail'); },
      });
      self._task = task;
      self._setTimer('ack', function () {
        self._close(CLOSE.INIT_TIMEOUT, 'Connection acknowledgement timeout', generation);
      }, self.ackTimeout);
      task.onOpen(function () {
        if (generation !== self._generation) return;
        self.state = 'open';
        Promise.resolve().then(function () { return self.connectionParams(); }).then(function (params) {
          if (generation !== self._generation) return;
          self._send({ type: 'connection_init', payload: params || {} });
        }, function (error) {
          self._close(CLOSE.BAD_REQUEST, 'connectionParams failed: ' + (error && error.message), generation);
        });
      });
      task.onMessage(function (res) { if (generation === self._generation) self._message(generation, res.data); });
      task.onClose(function (res) { self._closed(generation, res && res.code, res && res.reason); });
      task.onError(function (res) { self._closed(generation, CLOSE.ABNORMAL, (res && res.errMsg) || 'socket error'); });
    }, function (error) {
      self._closed(generation, CLOSE.ABNORMAL, 'headers failed: ' + (error && error.message));
    });
  }

  _message(generation, data) {
    var message;
    try { message = JSON.parse(data); } catch (e) { message = null; }
    if (!message || typeof message.type !== 'string') {
      this._close(CLOSE.BAD_REQUEST, 'Invalid message received', generation);
      return;
    }
    var sub = message.id != null ? this.subs[message.id] : null;
    switch (message.type) {
      case 'connection_ack':
        if (this.state !== 'open') {
          this._close(CLOSE.BAD_REQUEST, 'Unexpected connection_ack', generation);
          return;
        }
        this._clearTimer('ack');
        this.state = 'ready';
        this.retries = 0;
        this._authRetried = false;
        this._emit('connected', message.payload || {});
        for (var id in this.subs) this._subscribe(this.subs[id]);
        this._schedulePing(generation);
        return;
      case 'ping':
        this._send(message.payload ? { type: 'pong', payload: message.payload } : { type: 'pong' });
        return;
      case 'pong':
        if (this._timers.pong !== undefined) {
          this._clearTimer('pong');
          this._schedulePing(generation);
        }
        return;
      case 'next':
        if (!sub) return; // completed here already: ignore, as the protocol allows
        if (sub.resume) {
          var cursor = sub.resume.cursor(message.payload);
          if (cursor != null) sub.cursor = cursor;
        }
        call(sub.sink.next, message.payload);
        return;
      case 'error': {
        if (!sub) return;
        var list = Array.isArray(message.payload) ? message.payload : [message.payload];
        if (this.onAuthFailure && !sub.authRetried && errors.findError(list, 'UNAUTHENTICATED')) {
          this._reauthenticate(sub, list, generation);
          return;
        }
        this._end(sub.id, false);
        call(sub.sink.error, new errors.GraphQLRequestError(list));
        return;
      }
      case 'complete':
        if (!sub) return;
        this._end(sub.id, false);
        call(sub.sink.complete);
        return;
      default:
        this._close(CLOSE.BAD_REQUEST, 'Unexpected message type ' + message.type, generation);
    }
  }

  /**
   * A subscription refused with UNAUTHENTICATED (the token expired while the socket was up):
   * renew the session once, then open a new connection, whose init carries the new token.
   */
  _reauthenticate(sub, list, generation) {
    var self = this;
    sub.authRetried = true;
    sub.sent = false;
    Promise.resolve().then(function () { return self.onAuthFailure(); }).then(function (ok) {
      if (!self.subs[sub.id]) return;
      if (!ok) {
        self._end(sub.id, false);
        call(sub.sink.error, new errors.GraphQLRequestError(list));
        return;
      }
      if (generation === self._generation) {
        self._reconnectNow = true;
        self._close(CLOSE.TERMINATED, 'Re-authenticating', generation);
      } else if (self.state === 'ready') {
        self._subscribe(sub); // already on a newer connection
      }
    }, function (error) {
      self._end(sub.id, false);
      call(sub.sink.error, error);
    });
  }

  /** Ping `keepAlive` ms after the last pong; no pong within `pongTimeout` → drop, reconnect. */
  _schedulePing(generation) {
    var self = this;
    if (!this.keepAlive) return;
    this._setTimer('ping', function () {
      delete self._timers.ping;
      if (generation !== self._generation || self.state !== 'ready') return;
      self._send({ type: 'ping' });
      self._setTimer('pong', function () {
        delete self._timers.pong;
        self._close(CLOSE.TERMINATED, 'No pong within ' + self.pongTimeout + ' ms', generation);
      }, self.pongTimeout);
    }, this.keepAlive);
  }

  /** Close from this side; handled at once (WeChat may report onClose late, or never). */
  _close(code, reason, generation) {
    if (generation !== undefined && generation !== this._generation) return;
    var task = this._task;
    var current = this._generation;
    if (task) {
      try { task.close({ code: code, reason: reason }); } catch (e) { /* already closed */ }
    }
    this._closed(current, code, reason);
  }

  _closed(generation, code, reason) {
    var self = this;
    if (generation !== this._generation || this.state === 'idle') return;
    this._generation++;
    this._task = null;
    this.state = 'idle';
    ['ack', 'ping', 'pong', 'lazyClose'].forEach(function (name) { self._clearTimer(name); });
    for (var id in this.subs) this.subs[id].sent = false;
    this._emit('closed', { code: code, reason: reason });
    if (this._disposed || Object.keys(this.subs).length === 0) return;
    if (FATAL.indexOf(code) >= 0) {
      this._failAll(new errors.CommunityPlusError('SOCKET_CLOSED', reason || 'socket closed', { closeCode: code }));
      return;
    }
    if (AUTH.indexOf(code) >= 0) {
      if (this._authRetried || !this.onAuthFailure) {
        this._failAll(new errors.CommunityPlusError('UNAUTHENTICATED', reason || 'unauthorized', { closeCode: code }));
        return;
      }
      this._authRetried = true;
      Promise.resolve().then(function () { return self.onAuthFailure(); }).then(function (ok) {
        if (Object.keys(self.subs).length === 0) return;
        if (ok) self._connect();
        else self._failAll(new errors.CommunityPlusError('UNAUTHENTICATED', reason || 'unauthorized', { closeCode: code }));
      }, function (error) { self._failAll(error); });
      return;
    }
    if (this.retries >= this.retryAttempts) {
      this._failAll(new errors.CommunityPlusError('SOCKET_CLOSED', reason || 'socket closed', { closeCode: code }));
      return;
    }
    if (this._reconnectNow) {
      this._reconnectNow = false;
      this._connect();
      return;
    }
    var delay = this.retryDelay(this.retries);
    this.retries++;
    this._emit('reconnecting', { attempt: this.retries, delay: delay, code: code });
    this._setTimer('retry', function () { self._connect(); }, delay);
  }

  _failAll(error) {
    var self = this;
    Object.keys(this.subs).forEach(function (id) {
      var sub = self.subs[id];
      delete self.subs[id];
      call(sub.sink.error, error);
    });
  }

  _setTimer(name, fn, ms) {
    this._clearTimer(name);
    this._timers[name] = setTimeout(fn, ms);
  }

  _clearTimer(name) {
    if (this._timers[name] !== undefined) {
      clearTimeout(this._timers[name]);
      delete this._timers[name];
    }
  }
}

module.exports = { SubscriptionClient: SubscriptionClient, CLOSE: CLOSE, PROTOCOL: PROTOCOL, defaultCursor: defaultCursor };
