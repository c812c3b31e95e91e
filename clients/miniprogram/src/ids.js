/**
 * Random ids: idempotency keys (one per logical action, reused on every retry of it) and
 * socket operation ids. RFC 4122 version-4 layout; `crypto.getRandomValues` where the runtime
 * has it, Math.random otherwise (keys are scoped per user on the server, so uniqueness is
 * what matters, not secrecy).
 */
'use strict';

function randomBytes(n) {
  var out = new Array(n);
  var c = typeof crypto !== 'undefined' && crypto && typeof crypto.getRandomValues === 'function' ? crypto : null;
  if (c) {
    var buf = new Uint8Array(n);
    c.getRandomValues(buf);
    for (var i = 0; i < n; i++) out[i] = buf[i];
    return out;
  }
  for (var j = 0; j < n; j++) out[j] = Math.floor(Math.random() * 256);
  return out;
}

function uuid() {
  var b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  var hex = b.map(function (x) { return (x < 16 ? '0' : '') + x.toString(16); }).join('');
  return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
}

module.exports = { uuid: uuid };
