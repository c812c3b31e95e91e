/** wx.uploadFile to the real server's /upload: multipart, Bearer, purpose, progress. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { residentClient, staffClient, operations, expiredCopy, withStoredAccessToken, WORLD } = require('../support/world');
const { noisyPng } = require('../support/png');

test('a resident uploads a photo with progress and attaches it to a report', async () => {
  const r = await residentClient();
  const bytes = noisyPng(300, 300);
  const filePath = r.shim.addTempFile(bytes, '.png');
  const progress = [];
  const file = await r.client.upload({ filePath, purpose: 'photo', onProgress: (p) => progress.push(p) });
  assert.equal(file.purpose, 'photo');
  assert.equal(file.contentType, 'image/png');
  assert.ok(file.id && file.url && file.size > 0);

  const sent = r.shim.uploads[0];
  assert.equal(sent.name, 'file');
  assert.deepEqual(sent.formData, { purpose: 'photo' });
  assert.equal(sent.header.Authorization, `Bearer ${r.client.session.accessToken}`);
  assert.ok(progress.length >= 5, `${progress.length} progress events for ${bytes.length} bytes`);
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i].totalBytesSent > progress[i - 1].totalBytesSent);
    assert.ok(progress[i].progress >= progress[i - 1].progress);
  }
  const last = progress.at(-1);
  assert.equal(last.progress, 100);
  assert.equal(last.totalBytesSent, last.totalBytesExpectedToSend);
  assert.ok(last.totalBytesExpectedToSend > bytes.length, 'the multipart body is what is counted');

  const { submitWorkOrder } = await r.client.mutate(operations.SubmitWorkOrder,
    { description: '路面塌陷', attachments: [file.id] });
  const detail = await r.client.query(operations.WorkOrderDetail, { id: submitWorkOrder.id });
  assert.deepEqual(detail.workOrder.attachments, [file.id]);
  const url = await r.client.query(operations.FileUrl, { id: file.id });
  assert.equal(url.file.contentType, 'image/png');
});

test('an upload refused for an expired token refreshes once and goes through', async () => {
  const r = await residentClient();
  const app = withStoredAccessToken(r, expiredCopy(r.client.session.accessToken));
  const file = await app.client.upload({ filePath: r.shim.addTempFile(noisyPng(16, 16)), purpose: 'photo' });
  assert.ok(file.id);
  assert.equal(r.shim.uploads.length, 2);
  assert.equal(r.shim.uploads[0].statusCode, 401);
  assert.equal(r.shim.calls('RefreshSession').length, 1);
});

test('uploads honour Retry-After on 429 and report the server\'s error codes', async () => {
  const r = await residentClient();
  let refused = false;
  r.shim.interceptors.push((call) => {
    if (!call.upload || refused) return undefined;
    refused = true;
    return { statusCode: 429, header: { 'Retry-After': '3' },
      data: { errors: [{ message: '太频繁', extensions: { code: 'RATE_LIMITED' } }] } };
  });
  const file = await r.client.upload({ filePath: r.shim.addTempFile(noisyPng(16, 16)), purpose: 'photo' });
  assert.ok(file.id);
  assert.deepEqual(r.sleep.delays, [3000]);

  await assert.rejects(r.client.upload({ filePath: r.shim.addTempFile(noisyPng(16, 16)), purpose: 'spaceship' }),
    (e) => e.code === 'BAD_USER_INPUT' && e.statusCode === 400);
  await assert.rejects(r.client.upload({ filePath: r.shim.addTempFile(Buffer.from('not a picture'), '.png'), purpose: 'photo' }),
    (e) => e.code === 'BAD_USER_INPUT');
});

test('at most 10 uploads in flight', async () => {
  const r = await residentClient();
  const files = await Promise.all(Array.from({ length: 12 },
    () => r.client.upload({ filePath: r.shim.addTempFile(noisyPng(8, 8)), purpose: 'photo' })));
  assert.equal(new Set(files.map((f) => f.id)).size, 12);
  assert.equal(r.shim.maxUploadsInFlight, 10);
  assert.ok(r.shim.uploads.every((u) => !u.errMsg));
});

test('staff upload into the community chosen with setCommunity (X-Community-Id)', async () => {
  const staff = await staffClient(WORLD.regionAdmin);
  const target = WORLD.communities[1];
  staff.client.setCommunity(target.id);
  const file = await staff.client.upload({ filePath: staff.shim.addTempFile(noisyPng(16, 16)), purpose: 'photo' });
  assert.ok(file.id);
  assert.equal(staff.shim.uploads.at(-1).header['X-Community-Id'], target.id);
});
