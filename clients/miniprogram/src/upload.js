/**
 * `wx.uploadFile` to the server's `/upload`: multipart, field `file` (or `name`), string field
 * `purpose` (photo, document, video), Bearer token, `X-Community-Id` for staff; progress
 * through the UploadTask. Expired tokens are renewed once; 429/503 wait for Retry-After.
 * Resolves the server's JSON: {id, purpose, contentType, size, name, url, thumbnailUrl, createdAt}.
 */
'use strict';

var transport = require('./transport');
var retry = require('./retry');
var errors = require('./errors');

var STATUS_CODES = { 400: 'BAD_USER_INPUT', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 413: 'BAD_USER_INPUT',
  429: 'RATE_LIMITED', 503: 'SERVICE_UNAVAILABLE' };

function upload(client, options) {
  options = options || {};
  if (!options.filePath) return Promise.reject(new TypeError('upload: filePath is required'));
  if (!options.purpose) return Promise.reject(new TypeError('upload: purpose is required (photo, document, video)'));
  var recovered = false;
  var attempt = 0;
  var maxRetries = options.maxRetries == null ? client.maxRetries : options.maxRetries;

  function send() {
    var token = client.session.accessToken;
    var header = client._authHeaders(token, options.communityId);
    var formData = { purpose: options.purpose };
    if (options.communityId) formData.communityId = options.communityId;
    return client._uploads.run(function () {
      return transport.uploadFile(client.wx, {
        url: client.uploadUrl, filePath: options.filePath, name: options.name || 'file',
        header: header, formData: formData, timeout: options.timeout || client.timeout,
      }, options.onProgress);
    }).then(function (res) {
      var body = res.data;
      if (res.statusCode >= 200 && res.statusCode < 300 && body && typeof body === 'object' && body.id) return body;
      var list = body && typeof body === 'object' && body.errors ? body.errors : [{
        message: '上传失败 (upload failed, HTTP ' + res.statusCode + ')',
        extensions: { code: STATUS_CODES[res.statusCode] || 'BAD_RESPONSE', statusCode: res.statusCode },
      }];
      var authError = errors.findError(list, 'UNAUTHENTICATED');
      if (authError && !recovered) {
        recovered = true;
        return client.session.recover(authError, token).then(function (ok) { return ok ? send() : fail(); });
      }
      if ((res.statusCode === 429 || res.statusCode === 503) && attempt < maxRetries) {
        var wait = retry.retryAfterMs(retry.header(res.header, 'Retry-After'));
        if (wait == null) wait = retry.backoffMs(attempt);
        if (wait <= client.maxRetryDelay) {
          attempt++;
          client._emit('retry', { attempt: attempt, delay: wait, statusCode: res.statusCode, operationName: 'upload' });
          return client.sleep(wait).then(send);
        }
      }
      return fail();

      function fail() {
        throw new errors.GraphQLRequestError(list, { statusCode: res.statusCode });
      }
    });
  }
  return send();
}

module.exports = { upload: upload };
