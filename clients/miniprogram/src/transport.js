/**
 * wx.request and wx.uploadFile as promises. `success` fires for every HTTP status (WeChat
 * leaves status checks to the caller); `fail` means no HTTP answer at all, e.g.
 * `request:fail timeout`, and becomes a NetworkError.
 */
'use strict';

var errors = require('./errors');

/** Resolves {statusCode, data, header}; `data` is parsed JSON when the body is JSON. */
function request(wx, options) {
  return new Promise(function (resolve, reject) {
    wx.request({
      url: options.url,
      method: options.method || 'POST',
      data: options.data,
      header: options.header,
      timeout: options.timeout,
      dataType: 'json',
      responseType: 'text',
      success: function (res) {
        resolve({ statusCode: res.statusCode, data: res.data, header: res.header || {} });
      },
      fail: function (res) {
        reject(new errors.NetworkError((res && res.errMsg) || 'request:fail'));
      },
    });
  });
}

/**
 * Resolves {statusCode, data (parsed JSON or the raw string), header}. WeChat hands upload
 * headers (Retry-After…) only to UploadTask.onHeadersReceived, not to `success`.
 */
function uploadFile(wx, options, onProgress) {
  return new Promise(function (resolve, reject) {
    var headers = {};
    var task = wx.uploadFile({
      url: options.url,
      filePath: options.filePath,
      name: options.name,
      header: options.header,
      formData: options.formData,
      timeout: options.timeout,
      success: function (res) {
        var data = res.data;
        if (typeof data === 'string') {
          try { data = JSON.parse(data); } catch (e) { /* leave the string: BAD_RESPONSE upstream */ }
        }
        resolve({ statusCode: res.statusCode, data: data, header: res.header || headers });
      },
      fail: function (res) {
        reject(new errors.NetworkError((res && res.errMsg) || 'uploadFile:fail'));
      },
    });
    if (task && typeof task.onHeadersReceived === 'function') {
      task.onHeadersReceived(function (res) { headers = (res && res.header) || {}; });
    }
    if (onProgress && task && typeof task.onProgressUpdate === 'function') {
      task.onProgressUpdate(function (p) {
        onProgress({ progress: p.progress, totalBytesSent: p.totalBytesSent,
          totalBytesExpectedToSend: p.totalBytesExpectedToSend });
      });
    }
  });
}

module.exports = { request: request, uploadFile: uploadFile };
