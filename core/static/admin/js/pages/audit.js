// Audit trail: who read or changed what, when — filtered by action, record, actor and dates.

import { gql } from '../api.js';
import {
  ACTION_LABELS, clear, ENTITY_LABELS, field, fmtDateTime, h, hashWith, label, loading, roleLabel, select,
  STATE_LABELS, table,
} from '../ui.js';
import { pager } from './work-orders.js';

const PAGE = 30;

const ENTRIES = `query AuditEntries($filter: AuditFilter, $first: Int!, $after: String) {
  auditEntries(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id at action entity entityId communityId fields actorId actorRole actorName requestId details } }
  }
}`;

const FIELD_LABELS = {
  name: '姓名', phone: '手机号', idNumber: '身份证号', gridId: '网格', address: '住址', tags: '重点人群',
  enabled: '启用状态', birthDate: '出生日期', gender: '性别', registered: '户籍', relation: '与户主关系',
  acceptedAt: '受理', assignedAt: '派单', rejectedAt: '驳回', startedAt: '开始处理', resolvedAt: '办结',
  closedAt: '关闭', cancelledAt: '撤销', householdId: '户号',
};

/** Local calendar day (yyyy-mm-dd) → ISO instant at local midnight, optionally the next day. */
function dayStart(value, next = false) {
  if (!value) return null;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + (next ? 1 : 0)).toISOString();
}

function entityLink(n) {
  const text = h('code', {}, n.entityId);
  if (n.entity === 'resident') return h('a', { href: `#/residents/${n.entityId}` }, text);
  if (n.entity === 'work_order') return h('a', { href: `#/work-orders/${n.entityId}` }, text);
  return text;
}

function detailsText(n) {
  const d = n.details || {};
  const parts = [];
  if ('enabled' in d) parts.push(d.enabled === null ? '改为沿用上级' : d.enabled ? '启用' : '停用');
  if (d.toState) parts.push(`→ ${label(STATE_LABELS, String(d.toState).toUpperCase())}`);
  for (const [k, v] of Object.entries(d)) {
    if (k === 'enabled' || k === 'toState') continue;
    parts.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  }
  return parts.join('；');
}

const OPERATORS = `query AuditOperators { staffMembers(first: 100) { edges { node { id username displayName } } } }`;

/** Pick the operator by name (staff in scope); an id from a link that is not among them stays selectable. */
async function operatorField(actorId) {
  let staff = [];
  try { staff = (await gql(OPERATORS)).staffMembers.edges.map((e) => e.node); } catch { /* a text box then */ }
  if (!staff.length) return field('操作人编号', h('input', { name: 'actorId', value: actorId || '', class: 'mono' }));
  const options = [['', '全部操作人'], ...staff.map((s) => [s.id, `${s.displayName || s.username}（${s.username}）`])];
  if (actorId && !staff.some((s) => s.id === actorId)) options.push([actorId, `编号 ${actorId}`]);
  return field('操作人', select('actorId', options, actorId || ''));
}

export async function render(ctx) {
  const { main, query } = ctx;
  const filter = {};
  if (query.action) filter.action = query.action;
  if (query.entityId) filter.entityId = query.entityId;
  if (query.actorId) filter.actorId = query.actorId;
  if (query.since) filter.since = dayStart(query.since);
  if (query.until) filter.until = dayStart(query.until, true);

  clear(main, h('div', { class: 'page-head' }, h('h1', {}, '审计日志')), loading()); // while the operators load
  const operator = await operatorField(query.actorId);
  if (!ctx.alive()) return;
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': '筛选审计日志' },
    field('操作', select('action', [['', '全部操作'], ...Object.entries(ACTION_LABELS).filter(([k]) => !['submit', 'note'].includes(k))],
      query.action)),
    field('对象编号', h('input', { name: 'entityId', value: query.entityId || '', class: 'mono', placeholder: '居民、工单等的编号' })),
    operator,
    field('开始日期', h('input', { type: 'date', name: 'since', value: query.since || '' })),
    field('结束日期', h('input', { type: 'date', name: 'until', value: query.until || '' })),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, '筛选'),
      h('a', { class: 'btn btn-ghost', href: '#/audit' }, '重置')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.navigate(hashWith('/audit', Object.fromEntries(new FormData(form).entries())));
  });

  clear(main, h('div', { class: 'page-head' }, h('h1', {}, '审计日志'),
    h('p', { class: 'muted' }, '对居民信息、工单和模块的查看与修改记录（只读，不可更改）。')), form, loading());
  const results = h('section', { class: 'results', 'aria-label': '审计记录' });
  const cursors = [null];
  let data = await gql(ENTRIES, { filter, first: PAGE, after: null });
  if (!ctx.alive()) return;
  main.querySelector('.loading')?.remove();
  main.append(results);

  const filterLink = (key, value, text) => h('a', { href: hashWith('/audit', { ...query, [key]: value }),
    title: `只看此${key === 'actorId' ? '操作人' : '对象'}的记录` }, text);

  const show = () => {
    const conn = data.auditEntries;
    const rows = conn.edges.map(({ node: n }) => h('tr', {},
      h('td', { class: 'nowrap' }, h('time', { datetime: n.at }, fmtDateTime(n.at))),
      h('td', {}, n.actorId ? filterLink('actorId', n.actorId, n.actorName || n.actorId) : (n.actorName || '系统'),
        h('div', { class: 'muted small' }, roleLabel(n.actorRole))),
      h('td', {}, label(ACTION_LABELS, n.action)),
      h('td', {}, label(ENTITY_LABELS, n.entity), h('div', { class: 'small' }, entityLink(n), ' ',
        filterLink('entityId', n.entityId, '筛选'))),
      h('td', {}, n.fields.map((f) => label(FIELD_LABELS, f)).join('、') || '—'),
      h('td', { class: 'small' }, detailsText(n) || '—')));
    clear(results,
      h('p', { class: 'result-count', role: 'status' }, `共 ${conn.totalCount ?? 0} 条记录`),
      table(['时间', '操作人', '操作', '对象', '涉及字段', '详情'], rows, { caption: '审计记录', empty: '没有符合条件的记录' }),
      pager(cursors.length, conn.pageInfo.hasNextPage, async (dir) => {
        const after = dir > 0 ? conn.pageInfo.endCursor : cursors[cursors.length - 2];
        if (dir > 0) cursors.push(after); else cursors.pop();
        data = await gql(ENTRIES, { filter, first: PAGE, after });
        if (ctx.alive()) show();
      }));
  };
  show();
}
