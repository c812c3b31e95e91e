/**
 * The Community+ client: GraphQL over wx.request with automatic persisted queries, at most
 * `maxConcurrentRequests` requests in flight, retries that honour Retry-After, idempotency
 * keys on mutations, the session (see session.js) and the staff's community choice.
 */
'use strict';

var Emitter = require('./emitter').Emitter;
var transport = require('./transport');
var createLimiter = require('./limiter').createLimiter;
var retry = require('./retry');
var errors = require('./errors');
var documents = require('./document');
var sha256 = require('./sha256').sha256;
var ids = require('./ids');
var ops = require('./operations');
var Session = require('./session').Session;
var upload = require('./upload').upload;
var templates = require('./templates');
var SubscriptionClient = require('./socket').SubscriptionClient;

var PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND';
var PERSISTED_QUERY_NOT_SUPPORTED = 'PERSISTED_QUERY_NOT_SUPPORTED';

function globalWx() {
  return typeof wx !== 'undefined' ? wx : undefined; // eslint-disable-line no-undef
}

function persistedQueryError(res) {
  var list = res.errors || [];
  for (var i = 0; i < list.length; i++) {
    var e = list[i] || {};
    var code = e.extensions && e.extensions.code;
    if (code === PERSISTED_QUERY_NOT_FOUND || e.message === 'PersistedQueryNotFound') return PERSISTED_QUERY_NOT_FOUND;
    if (code === PERSISTED_QUERY_NOT_SUPPORTED || e.message === 'PersistedQueryNotSupported') return PERSISTED_QUERY_NOT_SUPPORTED;
  }
  return null;
}

var STATUS_CODES = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'BAD_USER_INPUT',
  429: 'RATE_LIMITED', 503: 'SERVICE_UNAVAILABLE' };

/** {data, errors, extensions, statusCode, header} from any HTTP answer, GraphQL-shaped or not. */
function normalize(res) {
  var body = res.data;
  if (typeof body === 'string') {
    try { body = JSON.parse(body); } catch (e) { /* not JSON */ }
  }
  if (body && typeof body === 'object' && ('data' in body || 'errors' in body)) {
    return { data: body.data === undefined ? null : body.data, errors: body.errors, extensions: body.extensions,
      statusCode: res.statusCode, header: res.header };
  }
  var code = STATUS_CODES[res.statusCode] || 'BAD_RESPONSE';
  return { data: null, statusCode: res.statusCode, header: res.header,
    errors: [{ message: '服务器返回了无法识别的应答 (unexpected response, HTTP ' + res.statusCode + ')',
      extensions: { code: code, statusCode: res.statusCode } }] };
}

function retryAfterSeconds(res) {
  var ms = retry.retryAfterMs(retry.header(res.header, 'Retry-After'));
  return ms == null ? undefined : Math.ceil(ms / 1000);
}

function dataOrThrow(res) {
  if (res.errors && res.errors.length) {
    throw new errors.GraphQLRequestError(res.errors, { data: res.data, statusCode: res.statusCode,
      retryAfter: retryAfterSeconds(res) });
  }
  return res.data;
}

class Client extends Emitter {
  constructor(options) {
    super();
    options = options || {};
    if (!options.url) throw new TypeError('createClient: `url` is required, e.g. https://api.example.com');
    this.wx = options.wx || globalWx();
    if (!this.wx) throw new TypeError('createClient: no `wx` here; pass options.wx outside a mini-program');
    var base = String(options.url).replace(/\/+$/, '');
    this.url = base;
    this.graphqlUrl = options.graphqlUrl || base + '/graphql';
    this.uploadUrl = options.uploadUrl || base + '/upload';
    this.subscriptionUrl = options.subscriptionUrl || this.graphqlUrl.replace(/^http/, 'ws');
    this.timeout = options.timeout || 60000;
    this.maxRetries = options.maxRetries == null ? 3 : options.maxRetries;
    this.maxRetryDelay = options.maxRetryDelay == null ? 30000 : options.maxRetryDelay;
    this.persistedQueries = options.persistedQueries !== false;
    this.headers = options.headers || {};
    this.sleep = options.sleep || retry.sleep;
    this.socketOptions = options.socket || {};
    this._requests = createLimiter(options.maxConcurrentRequests || 10);
    this._uploads = createLimiter(options.maxConcurrentUploads || 10);
    this._hashes = {};
    this._communityKey = (options.storageKey || 'communityPlus.session') + '.community';
    this._community = this.wx.getStorageSync(this._communityKey) || null;
    this._templates = null;
    this._socket = null;
    this._socketToken = null;
    this.session = new Session(this, options);
  }

  // events (client.on): 'session' (state or null), 'sessionEnded' ({reason}), 'retry' ({attempt, delay, statusCode})
  get viewer() { return this.session.viewer; }
  get isLoggedIn() { return this.session.accessToken !== null; }
  get communityId() { return this._community; }

  /** Staff covering several communities: send `X-Community-Id` from now on (null: none). */
  setCommunity(communityId) {
    this._community = communityId || null;
    if (this._community) this.wx.setStorageSync(this._communityKey, this._community);
    else this.wx.removeStorageSync(this._communityKey);
  }

  // -- sessions -------------------------------------------------------------------------
  /** wx.login → loginWithWechat; resolves the viewer. */
  login() { return this.session.loginWithWechat(); }

  /** Staff accounts; a password session is never renewed by wx.login. */
  loginWithPassword(username, password) {
    var self = this;
    return this.execute(ops.LoginWithPassword, { username: username, password: password }, { auth: false })
      .then(dataOrThrow)
      .then(function (data) { return self.session.save(data.loginWithPassword, 'password').viewer; });
  }

  /**
   * Bind the phone behind a `<button open-type="getPhoneNumber">` tap: pass the event (or
   * `event.detail.code`). BOUND stores the new tokens; PENDING means staff will decide.
   */
  bindPhone(codeOrEvent, options) {
    var self = this;
    options = options || {};
    var detail = codeOrEvent && typeof codeOrEvent === 'object' ? (codeOrEvent.detail || codeOrEvent) : { code: codeOrEvent };
    var variables = { communityId: options.communityId || null, name: options.name || null };
    var run;
    if (detail.code) {
      variables.code = detail.code;
      run = this.mutate(ops.BindPhone, variables).then(function (d) { return d.bindPhone; });
    } else if (detail.encryptedData && detail.iv) {
      variables.encryptedData = detail.encryptedData;
      variables.iv = detail.iv;
      run = this.mutate(ops.BindPhoneEncrypted, variables).then(function (d) { return d.bindPhoneEncrypted; });
    } else {
      return Promise.reject(new errors.CommunityPlusError('PHONE_DENIED',
        '用户未授权手机号 (the user declined to share the phone number): ' + (detail.errMsg || 'no code')));
    }
    return run.then(function (payload) {
      if (payload.auth) self.session.save(payload.auth, 'wechat');
      return payload;
    });
  }

  /** Revoke the session on the server (best effort), then forget it here and close the socket. */
  logout() {
    var self = this;
    var revoke = this.session.accessToken
      ? this.execute(ops.Logout, {}, { recover: 'refresh', maxRetries: 0 }).then(null, function () { return null; })
      : Promise.resolve(null);
    return revoke.then(function () {
      self.session.clear();
      self.setCommunity(null);
      if (self._socket) self._socket.dispose();
      self._socket = null;
      return true;
    });
  }

  // -- GraphQL --------------------------------------------------------------------------
  /** Resolves `data`; rejects with GraphQLRequestError (code, errors, data) or NetworkError. */
  query(operation, variables, options) {
    return this.execute(operation, variables, options).then(dataOrThrow);
  }

  /** Like query; one idempotency key per call, reused by every retry of it. */
  mutate(operation, variables, options) {
    return this.execute(operation, variables, options).then(dataOrThrow);
  }

  /**
   * The full response {data, errors, extensions, statusCode}; GraphQL errors do not reject.
   * options: auth (default true), recover ('full' | 'refresh' | false), idempotencyKey,
   * communityId, headers, timeout, maxRetries, operationName.
   */
  execute(operation, variables, options) {
    options = options || {};
    var info = documents.describe(operation);
    var vars = Object.assign({}, variables || {});
    var key = null;
    var keyed = false;
    if (info.type === 'mutation') {
      key = options.idempotencyKey || vars.idempotencyKey || ids.uuid();
      keyed = documents.declaresVariable(operation, 'idempotencyKey');
      if (keyed && vars.idempotencyKey == null) vars.idempotencyKey = key;
    }
    var op = {
      query: String(operation),
      variables: vars,
      operationName: options.operationName || info.name,
      type: info.type,
      idempotencyKey: key,
      // network failures are retried only where a repeat cannot act twice
      retryable: info.type !== 'mutation' || keyed,
      auth: options.auth !== false,
      recover: options.auth === false ? false : (options.recover === undefined ? 'full' : options.recover),
      communityId: options.communityId,
      headers: options.headers,
      timeout: options.timeout || this.timeout,
      maxRetries: options.maxRetries == null ? this.maxRetries : options.maxRetries,
    };
    return this._withSession(op);
  }

  _withSession(op) {
    var self = this;
    var recovered = false;
    function attempt() {
      var token = op.auth ? self.session.accessToken : null;
      return self._withRetries(op, token).then(function (res) {
        var authError = op.recover ? errors.findError(res.errors, 'UNAUTHENTICATED') : null;
        if (!authError || recovered) return res;
        recovered = true;
        var again = op.recover === 'refresh'
          ? (token && self.session.accessToken !== token ? Promise.resolve(true) : self.session.refresh())
          : self.session.recover(authError, token);
        return again.then(function (ok) { return ok ? attempt() : res; });
      });
    }
    return attempt();
  }

  _withRetries(op, token) {
    var self = this;
    var attempt = 0;
    function once() {
      return self._persisted(op, token).then(function (res) {
        if ((res.statusCode === 429 || res.statusCode === 503) && attempt < op.maxRetries) {
          var wait = retry.retryAfterMs(retry.header(res.header, 'Retry-After'));
          if (wait == null) wait = retry.backoffMs(attempt);
          if (wait <= self.maxRetryDelay) {
            attempt++;
            self._emit('retry', { attempt: attempt, delay: wait, statusCode: res.statusCode,
              operationName: op.operationName, idempotencyKey: op.idempotencyKey });
            return self.sleep(wait).then(once);
          }
        }
        return res;
      }, function (error) {
        if (error instanceof errors.NetworkError && !error.timeout && op.retryable && attempt < op.maxRetries) {
          var wait = retry.backoffMs(attempt);
          attempt++;
          self._emit('retry', { attempt: attempt, delay: wait, error: error, operationName: op.operationName,
            idempotencyKey: op.idempotencyKey });
          return self.sleep(wait).then(once);
        }
        throw error;
      });
    }
    return once();
  }

  /** Automatic persisted queries: the hash alone first, the query too when the server asks. */
  _persisted(op, token) {
    var self = this;
    var body = { variables: op.variables };
    if (op.operationName) body.operationName = op.operationName;
    if (!this.persistedQueries) {
      body.query = op.query;
      return this._post(body, op, token);
    }
    body.extensions = { persistedQuery: { version: 1, sha256Hash: this.hashOf(op.query) } };
    return this._post(body, op, token).then(function (res) {
      var miss = persistedQueryError(res);
      if (!miss) return res;
      if (miss === PERSISTED_QUERY_NOT_SUPPORTED) self.persistedQueries = false;
      return self._post(Object.assign({}, body, { query: op.query }), op, token);
    });
  }

  /** sha256 of a document, computed once per document. */
  hashOf(text) {
    var hash = this._hashes[text];
    if (!hash) hash = this._hashes[text] = sha256(text);
    return hash;
  }

  _authHeaders(token, communityId) {
    var header = Object.assign({}, this.headers);
    if (token) header.Authorization = 'Bearer ' + token;
    var community = communityId !== undefined ? communityId : this._community;
    if (community) header['X-Community-Id'] = community;
    return header;
  }

  _post(body, op, token) {
    var self = this;
    var header = Object.assign(this._authHeaders(token, op.communityId), {
      'content-type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
    }, op.headers || {});
    if (op.idempotencyKey) header['Idempotency-Key'] = op.idempotencyKey;
    return this._requests.run(function () {
      return transport.request(self.wx, { url: self.graphqlUrl, method: 'POST', data: body, header: header,
        timeout: op.timeout });
    }).then(normalize);
  }

  // -- uploads, subscriptions, subscription messages ----------------------------------------
  /** wx.uploadFile to /upload: {filePath, purpose, name?, communityId?, onProgress?, timeout?}. */
  upload(options) { return upload(this, options); }

  /**
   * A graphql-transport-ws subscription over wx.connectSocket; `sink` = {next, error, complete}.
   * options.resume = {variable: 'after', cursor(payload)} or false. Returns unsubscribe().
   */
  subscribe(operation, variables, sink, options) {
    var info = documents.describe(operation);
    var payload = { query: String(operation), variables: variables || {} };
    if (info.name) payload.operationName = info.name;
    return this.subscriptions.subscribe(payload, sink || {}, options || {});
  }

  /** The socket (created on first use): `.on('connected' | 'closed' | 'reconnecting', fn)`. */
  get subscriptions() {
    var self = this;
    if (!this._socket) {
      var params = function () {
        self._socketToken = self.session.accessToken;
        var header = self._authHeaders(self._socketToken);
        return header;
      };
      this._socket = new SubscriptionClient(Object.assign({}, this.socketOptions, {
        wx: this.wx,
        url: this.subscriptionUrl,
        headers: params,
        connectionParams: params,
        onAuthFailure: function () {
          return self.session.recover({ extensions: {} }, self._socketToken);
        },
      }));
    }
    return this._socket;
  }

  /** Fetch (and cache) the template ids of subscription messages; call on page load. */
  loadSubscriptionTemplates() { return templates.load(this); }

  /**
   * Ask the user (inside a tap handler) to accept subscription messages by key, e.g.
   * ['work_order_status']; resolves {accepted, rejected, result}.
   */
  requestSubscribeMessage(keys) { return templates.request(this, keys); }
}

module.exports = { Client: Client, dataOrThrow: dataOrThrow, normalize: normalize };
