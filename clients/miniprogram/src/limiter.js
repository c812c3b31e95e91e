/** At most `max` tasks at a time (wx.request allows 10 in flight); the rest wait in order. */
'use strict';

function createLimiter(max) {
  var active = 0;
  var waiting = [];

  function next() {
    if (active >= max || waiting.length === 0) return;
    active++;
    var job = waiting.shift();
    var done = function () {
      active--;
      next();
    };
    Promise.resolve()
      .then(job.task)
      .then(function (value) { done(); job.resolve(value); }, function (error) { done(); job.reject(error); });
  }

  return {
    run: function (task) {
      return new Promise(function (resolve, reject) {
        waiting.push({ task: task, resolve: resolve, reject: reject });
        next();
      });
    },
    get active() { return active; },
    get pending() { return waiting.length; },
  };
}

module.exports = { createLimiter: createLimiter };
