/**
 * Errors the SDK rejects with. Every one has a stable `code`: the server's
 * `extensions.code` (UNAUTHENTICATED, BAD_USER_INPUT, RATE_LIMITED…) for GraphQL errors, or
 * one of the SDK's own (NETWORK_ERROR, TIMEOUT, BAD_RESPONSE, SESSION_ENDED, PHONE_DENIED…).
 */
'use strict';

class CommunityPlusError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = 'CommunityPlusError';
    this.code = code;
    if (details) Object.assign(this, details);
  }
}

/** The server answered with GraphQL errors (and maybe partial `data`). */
class GraphQLRequestError extends CommunityPlusError {
  constructor(errors, details) {
    var first = errors[0] || {};
    var ext = first.extensions || {};
    super(ext.code || 'INTERNAL_SERVER_ERROR', first.message || 'GraphQL error', details);
    this.name = 'GraphQLRequestError';
    this.errors = errors;
    this.extensions = ext;
    this.reason = ext.reason;
    if (ext.retryAfter != null && this.retryAfter == null) this.retryAfter = ext.retryAfter;
    if (ext.requestId && !this.requestId) this.requestId = ext.requestId;
  }
}

/** wx.request / wx.uploadFile failed before any HTTP answer (`errMsg` is WeChat's). */
class NetworkError extends CommunityPlusError {
  constructor(errMsg, details) {
    var timeout = /timeout|time out|超时/i.test(errMsg || '');
    super(timeout ? 'TIMEOUT' : 'NETWORK_ERROR', errMsg || 'network error', details);
    this.name = 'NetworkError';
    this.errMsg = errMsg;
    this.timeout = timeout;
  }
}

function errorCodes(errors) {
  return (errors || []).map(function (e) { return (e && e.extensions && e.extensions.code) || null; });
}

function findError(errors, code) {
  var list = errors || [];
  for (var i = 0; i < list.length; i++) {
    if (list[i] && list[i].extensions && list[i].extensions.code === code) return list[i];
  }
  return null;
}

module.exports = {
  CommunityPlusError: CommunityPlusError,
  GraphQLRequestError: GraphQLRequestError,
  NetworkError: NetworkError,
  errorCodes: errorCodes,
  findError: findError,
};
