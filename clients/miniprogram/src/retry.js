/** When to try again: `Retry-After` (seconds or an HTTP date) or capped exponential back-off. */
'use strict';

function header(headers, name) {
  if (!headers) return undefined;
  var wanted = name.toLowerCase();
  for (var key in headers) {
    if (Object.prototype.hasOwnProperty.call(headers, key) && key.toLowerCase() === wanted) return headers[key];
  }
  return undefined;
}

/** Milliseconds to wait from a Retry-After value, or null when absent or unreadable. */
function retryAfterMs(value, now) {
  if (value == null || value === '') return null;
  var text = String(value).trim();
  if (/^\d+$/.test(text)) return parseInt(text, 10) * 1000;
  var at = Date.parse(text);
  if (isNaN(at)) return null;
  return Math.max(0, at - (now == null ? Date.now() : now));
}

/** 0.5 s, 1 s, 2 s… up to `cap`, with ±25 % jitter so phones do not retry in step. */
function backoffMs(attempt, base, cap) {
  var raw = Math.min(cap || 10000, (base || 500) * Math.pow(2, attempt));
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}

function sleep(ms) {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

module.exports = { header: header, retryAfterMs: retryAfterMs, backoffMs: backoffMs, sleep: sleep };
