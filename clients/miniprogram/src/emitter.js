/**
 * A tiny event emitter shared by the client and the socket: `on(event, listener)` returns an
 * `off()` function; `_emit` calls a snapshot of the listeners (one may remove itself).
 */
'use strict';

class Emitter {
  constructor() {
    this._listeners = {};
  }

  on(event, listener) {
    var list = this._listeners[event] || (this._listeners[event] = []);
    list.push(listener);
    return function off() {
      var i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  _emit(event, value) {
    (this._listeners[event] || []).slice().forEach(function (listener) { listener(value); });
  }
}

module.exports = { Emitter: Emitter };
