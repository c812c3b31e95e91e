/**
 * Subscription messages: the server lists the template ids (`subscriptionTemplates`, from its
 * CP_WECHAT_TEMPLATES) so the app never hard-codes them. WeChat lets
 * `wx.requestSubscribeMessage` run only inside a tap handler, and at most 3 templates a call:
 * load the templates when the page loads, then `request(keys)` calls WeChat synchronously.
 */
'use strict';

var ops = require('./operations');
var errors = require('./errors');

var MAX_PER_CALL = 3;

function load(client) {
  return client.query(ops.SubscriptionTemplates, {}, { recover: false }).then(function (data) {
    var map = {};
    data.subscriptionTemplates.forEach(function (t) { map[t.key] = t.templateId; });
    client._templates = map;
    return map;
  });
}

function ask(client, keys, map) {
  var unknown = keys.filter(function (k) { return !map[k]; });
  if (unknown.length) {
    return Promise.reject(new errors.CommunityPlusError('UNKNOWN_TEMPLATE',
      '服务器未配置这些订阅消息模板 (no template configured for: ' + unknown.join(', ') + ')', { keys: unknown }));
  }
  var tmplIds = keys.map(function (k) { return map[k]; });
  return new Promise(function (resolve, reject) {
    client.wx.requestSubscribeMessage({
      tmplIds: tmplIds,
      success: function (res) {
        var accepted = keys.filter(function (k) { return res[map[k]] === 'accept'; });
        var rejected = keys.filter(function (k) { return res[map[k]] !== 'accept'; });
        resolve({ accepted: accepted, rejected: rejected, result: res });
      },
      fail: function (res) {
        reject(new errors.CommunityPlusError('SUBSCRIBE_MESSAGE_FAILED', (res && res.errMsg) || 'requestSubscribeMessage:fail',
          { errCode: res && res.errCode }));
      },
    });
  });
}

function request(client, keys) {
  keys = Array.isArray(keys) ? keys : [keys];
  if (keys.length === 0 || keys.length > MAX_PER_CALL) {
    return Promise.reject(new errors.CommunityPlusError('BAD_USER_INPUT',
      '每次最多申请3个订阅消息模板 (ask for 1 to 3 templates per tap)'));
  }
  if (client._templates) return ask(client, keys, client._templates); // still inside the tap
  return load(client).then(function (map) { return ask(client, keys, map); });
}

module.exports = { load: load, request: request, MAX_PER_CALL: MAX_PER_CALL };
