/**
 * Runs the example mini-program's code under node the way WeChat does: globals `wx`, `App`,
 * `getApp`, `Page`; `require('@community-plus/miniprogram')` resolved to this package (what
 * DevTools' "Build npm" does); a page instance whose `setData` merges into `data`.
 */
'use strict';

const Module = require('node:module');
const path = require('node:path');

const PACKAGE = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(PACKAGE, 'example');

function launch(wx, apiBase) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === '@community-plus/miniprogram') return path.join(PACKAGE, 'src', 'index.js');
    return resolve.call(this, request, ...rest);
  };
  for (const key of Object.keys(require.cache)) if (key.startsWith(EXAMPLE)) delete require.cache[key];
  require(path.join(EXAMPLE, 'config.js')).apiBase = apiBase;
  let app = null;
  let pageConfig = null;
  Object.assign(global, {
    wx,
    App: (config) => { app = Object.assign({}, config); },
    getApp: () => app,
    Page: (config) => { pageConfig = config; },
  });
  require(path.join(EXAMPLE, 'app.js'));
  app.onLaunch();

  function openPage(route) {
    pageConfig = null;
    require(path.join(EXAMPLE, route + '.js'));
    const page = Object.assign({}, pageConfig, {
      route,
      data: JSON.parse(JSON.stringify(pageConfig.data || {})),
      setData(patch, callback) {
        Object.assign(this.data, JSON.parse(JSON.stringify(patch)));
        if (callback) setImmediate(callback);
      },
    });
    return page;
  }

  function close() {
    Module._resolveFilename = resolve;
    for (const key of ['wx', 'App', 'getApp', 'Page']) delete global[key];
  }

  return { app, openPage, close };
}

module.exports = { launch, EXAMPLE };
