/** The shipped pure-JS sha256 against Node's crypto. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { sha256, utf8 } = require('../../src/sha256');
const { operations } = require('../../src');

const node = (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

test('known vectors (FIPS 180-4)', () => {
  assert.equal(sha256(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
});

test('every length across block boundaries, and long inputs', () => {
  for (let n = 0; n <= 200; n++) {
    const s = 'x'.repeat(n);
    assert.equal(sha256(s), node(s), `length ${n}`);
  }
  const big = crypto.randomBytes(300000).toString('base64');
  assert.equal(sha256(big), node(big));
});

test('UTF-8: Chinese, emoji (surrogate pairs), lone surrogates as U+FFFD', () => {
  const samples = ['社区+ 网格员', '😀🏘️', 'a\u00e9\u0800\uffff', '\ud83d', 'x\udc00y', '\ud800\ud800'];
  for (const s of samples) {
    assert.equal(sha256(s), node(s), JSON.stringify(s));
    assert.deepEqual(utf8(s), [...Buffer.from(s, 'utf8')]);
  }
  for (let i = 0; i < 300; i++) {
    const s = String.fromCharCode(...Array.from({ length: i % 90 }, () => crypto.randomInt(0, 0x10000)));
    assert.equal(sha256(s), node(s));
  }
});

test('the hash of every shipped operation matches', () => {
  for (const [name, doc] of Object.entries(operations)) assert.equal(sha256(doc), node(doc), name);
});
