/** The committed types and operations are what the generators make from schema/ and operations/. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

test('types/generated.d.ts is current (graphql-codegen --check)', () => {
  const run = spawnSync(bin('graphql-codegen'), ['--config', 'codegen.yml', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, `stale: run \`npm run codegen\` in clients/miniprogram\n${run.stdout}${run.stderr}`);
});

test('src/operations.js and types/operations.d.ts are current', () => {
  const run = spawnSync(process.execPath, ['scripts/build-operations.js', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});

test('the declarations type-check real use (tsc --strict), including expected errors', () => {
  execFileSync(bin('tsc'), ['--noEmit', '--strict', '--target', 'es2017', '--module', 'commonjs',
    '--moduleResolution', 'node', 'test/types/usage.ts'], { cwd: ROOT, encoding: 'utf8' });
});

test('the check notices a stale file', () => {
  const { render } = require('../../scripts/build-operations');
  const fresh = render();
  assert.match(fresh.js, /exports\.HomeScreen = "query HomeScreen/);
  assert.match(fresh.dts, /export declare const HomeScreen: Operation<T\.HomeScreenQuery, T\.HomeScreenQueryVariables>;/);
  assert.equal(require('node:fs').readFileSync(path.join(ROOT, 'src/operations.js'), 'utf8'), fresh.js);
});
