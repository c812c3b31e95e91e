// 12349 hotline desk (hotline operators): find the caller by phone, take the call (file the
// order on their behalf, or record an enquiry), recent calls, and return visits of resolved orders.

import { gql } from '../api.js';
import { clear, dialog, errorMessage, field, fmtDateTime, h, select, stateBadge, table, toast } from '../ui.js';

const CALLERS = `query HotlineCallers($p: String!) {
  hotlineCallers(phone: $p, first: 10) { totalCount edges { node { id name phone community { id name } } } } }`;
const CALLS = `query HotlineCalls($first: Int!) {
  hotlineCalls(first: $first) { totalCount edges { node { id at kind summary callerName callerPhone registered
    community { name } workOrder { id state channel } } } } }`;
const TO_VISIT = `query ToVisit { workOrders(filter: { channels: [HOTLINE], states: [RESOLVED, CLOSED] }, first: 50) {
  edges { node { id title state resolution resident { name } } } } }`;
const TAKE = `mutation TakeHotlineCall($input: TakeHotlineCallInput!) {
  takeHotlineCall(input: $input) { id kind workOrder { id state } } }`;
const VISIT = `mutation RecordReturnVisit($input: ReturnVisitInput!) {
  recordReturnVisit(input: $input) { id satisfaction } }`;
const VISITED = `query Visited($id: ID!) { returnVisit(workOrderId: $id) { satisfaction } }`;

export const SATISFACTION = [['VERY_SATISFIED', '非常满意'], ['SATISFIED', '满意'],
  ['BASICALLY_SATISFIED', '基本满意'], ['DISSATISFIED', '不满意']];

export async function render(ctx) {
  const { main } = ctx;
  let caller = null; // the resident chosen after a lookup, or null (unregistered caller)
  const phone = h('input', { name: 'phone', type: 'tel', required: true, maxlength: 20, autocomplete: 'off' });
  const found = h('div', { class: 'callers', 'aria-live': 'polite' });
  const lookup = h('form', { class: 'filters', role: 'search', 'aria-label': '查找来电人' },
    field('来电号码', phone),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '查找来电人')));

  const callerName = h('input', { name: 'callerName', maxlength: 50 });
  const community = select('communityId', ctx.communities.map((c) => [c.id, c.name]), '');
  const summary = h('textarea', { name: 'summary', required: true, maxlength: 1000, rows: 2 });
  const description = h('textarea', { name: 'description', maxlength: 2000, rows: 3 });
  const enquiry = h('input', { type: 'checkbox', id: 'hl-enquiry', name: 'enquiry' });
  const who = h('p', { class: 'muted', 'data-testid': 'caller' }, '未选择登记居民：按未登记来电人记录');
  const unregistered = h('div', { class: 'unregistered' }, field('来电人姓名', callerName), field('所在社区', community));
  const take = h('form', { class: 'card take-call', 'aria-label': '受理来电' },
    h('h2', {}, '受理来电'), who, unregistered, field('来电摘要', summary), field('问题描述（生成工单）', description),
    h('div', { class: 'field field-check' }, enquiry, h('label', { for: 'hl-enquiry' }, '仅咨询，不生成工单')),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '提交受理')));

  const calls = h('section', { 'aria-label': '来电记录' });
  const visits = h('section', { 'aria-label': '待回访工单' });
  clear(main, h('div', { class: 'page-head' }, h('h1', {}, '12349热线'),
    h('p', { class: 'muted' }, '按号码查找来电人（查询留痕），代居民提交工单，办结后回访。')),
  lookup, found, take, h('h2', {}, '来电记录'), calls, h('h2', {}, '待回访'), visits);

  const choose = (r) => {
    caller = r;
    who.textContent = r ? `来电人：${r.name}（${r.community.name}，${r.phone}）` : '未选择登记居民：按未登记来电人记录';
    unregistered.hidden = !!r;
  };

  lookup.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const conn = (await gql(CALLERS, { p: phone.value.trim() })).hotlineCallers;
      choose(null);
      const rows = conn.edges.map(({ node: r }) => h('tr', {}, h('td', {}, r.name), h('td', {}, r.phone),
        h('td', {}, r.community.name),
        h('td', {}, h('button', { type: 'button', class: 'btn', onclick: () => choose(r) }, '选择'))));
      clear(found, h('p', { role: 'status', class: 'result-count' },
        conn.totalCount ? `找到 ${conn.totalCount} 位登记居民` : '未找到登记居民，可按未登记来电人受理'),
      conn.totalCount ? table(['姓名', '电话', '社区', ''], rows, { caption: '来电人' }) : null);
    } catch (err) { toast(errorMessage(err), 'error'); }
  });

  take.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = { phone: phone.value.trim(), summary: summary.value, fileOrder: !enquiry.checked };
    if (!enquiry.checked) input.description = description.value;
    if (caller) input.residentId = caller.id;
    else Object.assign(input, { callerName: callerName.value, communityId: community.value });
    try {
      const call = (await gql(TAKE, { input })).takeHotlineCall;
      toast(call.workOrder ? '已受理，工单已生成' : '已记录咨询来电');
      take.reset();
      choose(null);
      await showCalls();
    } catch (err) { toast(errorMessage(err), 'error'); }
  });

  const showCalls = async () => {
    const conn = (await gql(CALLS, { first: 20 })).hotlineCalls;
    const rows = conn.edges.map(({ node: c }) => h('tr', {}, h('td', {}, fmtDateTime(c.at)),
      h('td', {}, c.callerName || '—', c.registered ? null : h('span', { class: 'badge' }, '未登记')),
      h('td', {}, c.callerPhone || '—'), h('td', {}, c.community.name), h('td', {}, c.summary),
      h('td', {}, c.workOrder ? stateBadge(c.workOrder.state) : '咨询')));
    clear(calls, h('p', { class: 'result-count', role: 'status' }, `共 ${conn.totalCount} 次来电`),
      table(['时间', '来电人', '号码', '社区', '摘要', '工单'], rows, { caption: '来电记录', empty: '暂无来电' }));
    const orders = (await gql(TO_VISIT)).workOrders.edges.map((e) => e.node);
    const rows2 = orders.map((o) => h('tr', {}, h('td', {}, o.title), h('td', {}, o.resident?.name || '未登记来电人'),
      h('td', {}, stateBadge(o.state)), h('td', {}, o.resolution || '—'),
      h('td', {}, h('button', { type: 'button', class: 'btn', onclick: () => visit(o) }, '回访'))));
    clear(visits, table(['事项', '居民', '状态', '办理结果', ''], rows2, { caption: '待回访', empty: '没有待回访的工单' }));
  };

  const visit = async (o) => {
    const done = (await gql(VISITED, { id: o.id })).returnVisit;
    if (done) { toast('该工单已回访'); return; }
    const values = await dialog({
      title: `回访：${o.title}`, confirmText: '保存回访',
      body: () => h('div', {}, field('满意度', select('satisfaction', SATISFACTION, 'SATISFIED')),
        field('回访记录', h('textarea', { name: 'note', maxlength: 1000, rows: 3 }))),
    });
    if (!values) return;
    try {
      await gql(VISIT, { input: { workOrderId: o.id, satisfaction: values.satisfaction, note: values.note } });
      toast('回访已记录');
    } catch (err) { toast(errorMessage(err), 'error'); }
  };

  await showCalls();
}
