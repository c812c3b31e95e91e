/**
 * The shipped code runs in WeChat's JavaScript runtime: ES2017 syntax at most, CommonJS
 * requires of its own files only (no Node built-ins, no npm packages), and none of the
 * globals a mini-program lacks (fetch, WebSocket, XMLHttpRequest, Buffer, process,
 * TextEncoder, window, document…). Only `wx.*` reaches the outside.
 */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const acorn = require('acorn');
const walk = require('acorn-walk');

const SRC = path.resolve(__dirname, '../../src');
const FORBIDDEN = new Set(['fetch', 'WebSocket', 'XMLHttpRequest', 'Buffer', 'process', 'TextEncoder', 'TextDecoder',
  'window', 'document', 'navigator', 'localStorage', 'global', 'globalThis', 'setImmediate', 'queueMicrotask',
  'structuredClone', 'AbortController', 'URL', 'URLSearchParams', '__dirname', '__filename']);
const files = fs.readdirSync(SRC).filter((f) => f.endsWith('.js'));

test('the package has source files to check', () => {
  assert.ok(files.length >= 10);
  assert.equal(require('../../package.json').main, 'src/index.js');
});

const EXAMPLE = path.resolve(__dirname, '../../example');
const exampleFiles = [];
(function collect(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) collect(full);
    else if (entry.name.endsWith('.js')) exampleFiles.push(full);
  }
})(EXAMPLE);

for (const full of exampleFiles) {
  const file = path.relative(path.resolve(__dirname, '../..'), full);
  test(`${file}: ES2017, requires the SDK by name or its own files`, () => {
    const ast = acorn.parse(fs.readFileSync(full, 'utf8'), { ecmaVersion: 2017, sourceType: 'script', locations: true });
    walk.simple(ast, {
      CallExpression(node) {
        if (node.callee.type !== 'Identifier' || node.callee.name !== 'require') return;
        const target = node.arguments[0].value;
        assert.ok(target === '@community-plus/miniprogram' || target.startsWith('./'), `${file} requires ${target}`);
      },
      Identifier(node) {
        assert.ok(!FORBIDDEN.has(node.name), `${file}:${node.loc.start.line} uses ${node.name}`);
      },
    });
  });
}

for (const file of files) {
  test(`src/${file}: ES2017, own requires only, mini-program globals only`, () => {
    const code = fs.readFileSync(path.join(SRC, file), 'utf8');
    const ast = acorn.parse(code, { ecmaVersion: 2017, sourceType: 'script', locations: true });
    walk.simple(ast, {
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') {
          const target = node.arguments[0] && node.arguments[0].value;
          assert.ok(typeof target === 'string' && target.startsWith('./'), `${file}:${node.loc.start.line} requires ${target}`);
          assert.ok(fs.existsSync(path.join(SRC, target + '.js')), `${file} requires a missing ${target}`);
        }
        if (node.callee.type === 'MemberExpression' && !node.callee.computed && node.callee.property.name === 'finally') {
          assert.fail(`${file}:${node.loc.start.line} uses Promise#finally (ES2018)`);
        }
      },
      Identifier(node) {
        assert.ok(!FORBIDDEN.has(node.name), `${file}:${node.loc.start.line} uses ${node.name}, which mini-programs lack`);
      },
    });
  });
}
