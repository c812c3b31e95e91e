/** The example home page, run as WeChat would run it, against the real server. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createWx } = require('../support/wx-shim');
const { launch, EXAMPLE } = require('../support/miniprogram');
const { residentClient, residentRecord, operations, SERVER, WECHAT, unique } = require('../support/world');

test('the home page shows a bound resident everything in one request', async (t) => {
  const r = await residentClient();
  await r.client.mutate(operations.SubmitWorkOrder, { description: '单元门禁坏了' });
  const mp = launch(r.shim.wx, SERVER); // the same phone: the stored session is used
  t.after(() => mp.close());
  const page = mp.openPage('pages/home/index');
  const before = r.shim.requests.length;
  await page.onLoad();
  assert.equal(page.data.error, '');
  assert.equal(page.data.loading, false);
  assert.equal(page.data.needsPhone, false);
  assert.equal(page.data.name, r.record.name);
  assert.match(page.data.phone, /^1\d{2}\*{4}\d{4}$/);
  assert.equal(page.data.communityName, r.community.name);
  assert.equal(page.data.openCount, 1);
  assert.equal(page.data.orders[0].state, '已提交');
  assert.ok(Array.isArray(page.data.modules));
  const home = r.shim.requests.slice(before).filter((q) => q.body && q.body.operationName === 'HomeScreen');
  assert.equal(home.filter((q) => q.statusCode === 200 && !/PERSISTED_QUERY_NOT_FOUND/.test(q.response.body)).length, 1,
    'one request for the screen');

  await page.onSubscribe();
  assert.deepEqual(r.shim.ui.at(-1), { api: 'showToast', options: { title: '已订阅工单提醒', icon: 'none' } });
  page.openOrder({ currentTarget: { dataset: { id: page.data.orders[0].id } } });
  assert.equal(r.shim.ui.at(-1).options.url, `/pages/work-orders/detail?id=${page.data.orders[0].id}`);
});

test('a first-time user logs in silently, binds the phone from the button, and the page reloads', async (t) => {
  const shim = createWx({ wechatBase: WECHAT, user: unique('wx') });
  const mp = launch(shim.wx, SERVER);
  t.after(() => mp.close());
  const page = mp.openPage('pages/home/index');
  await page.onLoad();
  assert.equal(shim.loginCalls, 1);
  assert.equal(page.data.needsPhone, true, page.data.error);
  assert.equal(page.data.error, '');
  assert.equal(shim.calls('HomeScreen').length, 0, 'nothing to show before binding');

  await page.onGetPhoneNumber(shim.deniedPhoneNumberEvent());
  assert.equal(shim.ui.at(-1).options.title, '需要手机号才能绑定居民档案');

  const { phone, record, community } = await residentRecord();
  await shim.addWeChatUser(shim.user, phone);
  await page.onGetPhoneNumber(await shim.phoneNumberEvent());
  assert.equal(page.data.needsPhone, false, page.data.error);
  assert.equal(page.data.name, record.name);
  assert.equal(page.data.communityName, community.name);
  assert.equal(page.data.openCount, 0);
  assert.equal(shim.loginCalls, 1);
});

test('every binding in the WXML names page data, a loop item or a page method', () => {
  const dir = path.join(EXAMPLE, 'pages', 'home');
  const wxml = fs.readFileSync(path.join(dir, 'index.wxml'), 'utf8');
  const mp = launch(createWx().wx, SERVER);
  try {
    const page = mp.openPage('pages/home/index');
    const known = new Set(Object.keys(page.data));
    for (const m of wxml.matchAll(/wx:for-item="(\w+)"/g)) known.add(m[1]);
    known.add('index');
    for (const m of wxml.matchAll(/\{\{\s*!?\s*([A-Za-z_]\w*)/g)) assert.ok(known.has(m[1]), `{{${m[1]}}} is not page data`);
    for (const m of wxml.matchAll(/bind\w+="(\w+)"/g)) assert.equal(typeof page[m[1]], 'function', `${m[1]} is not a method`);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    assert.equal(json.enablePullDownRefresh, true);
    const appJson = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'app.json'), 'utf8'));
    assert.deepEqual(appJson.pages, ['pages/home/index']);
  } finally {
    mp.close();
  }
});
