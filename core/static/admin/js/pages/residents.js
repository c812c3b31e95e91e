// Residents: search (masked personal data), view one; revealing a number is audited.

import { download, gql } from '../api.js';
import {
  clear, dialog, dl, errorMessage, field, fmtDate, fmtDateTime, h, hashWith, label, loading, RELATION_LABELS, select,
  stateBadge, TAG_LABELS, table, toast, zh,
} from '../ui.js';
import { pager } from './work-orders.js';
import { renderImport } from './resident-import.js';

const PAGE = 20;

const LIST = `query Residents($filter: ResidentFilter, $first: Int!, $after: String) {
  residents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name gender age phone idNumber registered tags relation grid { id name } community { id name } } }
  }
  grids(first: 100) { edges { node { id name community { id name } } } }
}`;

const DETAIL = `query Resident($id: ID!) {
  resident(id: $id) {
    id name gender birthDate age phone idNumber registered tags relation householdId createdAt version
    address { building unit room detail } grid { id name workers { id name phone } } community { id name }
    visits(first: 10) { id purpose notes visitedAt workerName locationCheck workOrderId }
  }
  workOrders(filter: { residentId: $id }, first: 10) {
    totalCount edges { node { id title state createdAt } }
  }
}`;

const REVEAL = {
  phone: 'query RevealPhone($id: ID!) { resident(id: $id) { phone(reveal: true) } }',
  idNumber: 'query RevealIdNumber($id: ID!) { resident(id: $id) { idNumber(reveal: true) } }',
};

const GENDER = { MALE: '男', FEMALE: '女' };
const VISIT_PURPOSE = { ROUTINE: '日常走访', CARE: '关爱探视', SAFETY: '安全排查', POLICY: '政策宣传', DISPUTE: '矛盾调解', OTHER: '其他' };
const LOCATION_CHECK = { IN_GRID: '在网格内', OUTSIDE_GRID: '不在网格内', NO_LOCATION: '未定位', NO_GRID: '居民无网格' };
const tags = (list) => (list.length ? list.map((t) => h('span', { class: 'tag' }, label(TAG_LABELS, t))) : '—');

export async function render(ctx) {
  if (ctx.params[0] === 'import') return renderImport(ctx);
  if (ctx.params[0]) return renderDetail(ctx, ctx.params[0]);
  return renderList(ctx);
}

async function renderList(ctx) {
  const { main, query } = ctx;
  const filter = {};
  if (query.name) filter.namePrefix = query.name;
  if (query.grid) filter.gridId = query.grid;
  if (query.tag) filter.tags = [query.tag];
  if (query.registered) filter.registered = query.registered === '1';

  const exportBtn = (fmt, text) => h('button', { type: 'button', class: 'btn', onclick: async (ev) => {
    ev.target.disabled = true;
    try { toast(`已导出 ${await download(`/export/residents.${fmt}`)}`, 'success'); } catch (err) { toast(zh(err.message), 'error'); }
    ev.target.disabled = false;
  } }, text);
  clear(main, h('div', { class: 'page-head page-head-row' }, h('div', {}, h('h1', {}, '居民信息'),
    h('p', { class: 'muted' }, '手机号、身份证号均已脱敏；查看完整号码须在详情页操作，并记入审计日志。')),
  h('div', { class: 'row-actions', role: 'group', 'aria-label': '导出居民（已脱敏，记入审计日志）' },
    h('a', { class: 'btn', href: '#/residents/import' }, '批量导入'),
    exportBtn('csv', '导出 CSV'), exportBtn('xlsx', '导出 Excel'))), loading());
  const cursors = [null];
  let data = await gql(LIST, { filter, first: PAGE, after: null });
  if (!ctx.alive()) return;
  const grids = data.grids.edges.map((e) => e.node);
  const multi = new Set(grids.map((g) => g.community.id)).size > 1;

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': '搜索居民' },
    field('姓名', h('input', { name: 'name', value: query.name || '', placeholder: '输入姓名开头，如“王”' })),
    field('网格', select('grid', [['', '全部网格'],
      ...grids.map((g) => [g.id, multi ? `${g.community.name} ${g.name}` : g.name])], query.grid)),
    field('重点人群', select('tag', [['', '全部'], ...Object.entries(TAG_LABELS)], query.tag)),
    field('户籍', select('registered', [['', '全部'], ['1', '本地户籍'], ['0', '非本地户籍']], query.registered)),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, '搜索'),
      h('a', { class: 'btn btn-ghost', href: '#/residents' }, '重置')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.navigate(hashWith('/residents', Object.fromEntries(new FormData(form).entries())));
  });
  const results = h('section', { class: 'results', 'aria-label': '居民列表' });
  main.querySelector('.loading')?.remove();
  main.append(form, results);

  const show = () => {
    const conn = data.residents;
    const rows = conn.edges.map(({ node: r }) => h('tr', {},
      h('td', {}, h('a', { href: `#/residents/${r.id}` }, r.name)),
      h('td', {}, label(GENDER, r.gender)),
      h('td', {}, r.age ?? '—'),
      h('td', { class: 'mono' }, r.phone || '—'),
      h('td', { class: 'mono' }, r.idNumber || '—'),
      h('td', {}, multi ? `${r.community.name} ` : '', r.grid?.name || '—'),
      h('td', {}, tags(r.tags)),
      h('td', {}, r.registered ? '本地' : '非本地')));
    clear(results,
      h('p', { class: 'result-count', role: 'status' }, `共 ${conn.totalCount ?? 0} 位居民`),
      table(['姓名', '性别', '年龄', '手机号', '身份证号', '网格', '重点人群', '户籍'], rows,
        { caption: '居民列表', empty: '没有符合条件的居民' }),
      pager(cursors.length, conn.pageInfo.hasNextPage, async (dir) => {
        const after = dir > 0 ? conn.pageInfo.endCursor : cursors[cursors.length - 2];
        if (dir > 0) cursors.push(after); else cursors.pop();
        data = { ...data, ...(await gql(LIST, { filter, first: PAGE, after })) };
        if (ctx.alive()) show();
      }));
  };
  show();
}

async function renderDetail(ctx, id) {
  const { main } = ctx;
  clear(main, loading());
  const data = await gql(DETAIL, { id });
  if (!ctx.alive()) return;
  const r = data.resident;
  const part = (v, suffix) => (v ? `${v}${/^\d+$/.test(v) ? suffix : ''}` : null);
  const addr = r.address ? [part(r.address.building, '栋'), part(r.address.unit, '单元'), part(r.address.room, '室'),
    r.address.detail].filter(Boolean).join(' ') : '';

  const revealable = (fieldName, text) => {
    const value = h('span', { class: 'mono' }, text || '—');
    if (!text) return value;
    const btn = h('button', { type: 'button', class: 'btn btn-small btn-ghost' }, '查看完整');
    btn.addEventListener('click', async () => {
      const ok = await dialog({ title: '查看完整号码', confirmText: '查看',
        body: h('p', {}, `将显示 ${r.name} 的完整${fieldName === 'phone' ? '手机号' : '身份证号'}。此操作会记入审计日志，请仅在办理业务需要时查看。`) });
      if (!ok) { btn.focus(); return; }
      try {
        const res = await gql(REVEAL[fieldName], { id: r.id });
        value.textContent = res.resident[fieldName];
        btn.remove();
        value.setAttribute('tabindex', '-1');
        value.focus();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
    return h('span', {}, value, ' ', btn);
  };

  const orders = data.workOrders.edges.map(({ node: o }) => h('tr', {},
    h('td', {}, h('a', { href: `#/work-orders/${o.id}` }, o.title)), h('td', {}, stateBadge(o.state)),
    h('td', {}, fmtDateTime(o.createdAt))));

  const visits = r.visits.map((v) => h('tr', {},
    h('td', {}, fmtDateTime(v.visitedAt)), h('td', {}, label(VISIT_PURPOSE, v.purpose)), h('td', {}, v.workerName),
    h('td', {}, v.notes || '—'), h('td', {}, label(LOCATION_CHECK, v.locationCheck)),
    h('td', {}, v.workOrderId ? h('a', { href: `#/work-orders/${v.workOrderId}` }, '跟进工单') : '—')));

  clear(main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/residents' }, '← 返回居民列表')),
    h('div', { class: 'page-head' }, h('h1', {}, r.name), h('p', {}, tags(r.tags))),
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'res-basic' }, h('h2', { id: 'res-basic' }, '基本信息'),
        dl([
          ['性别', label(GENDER, r.gender)],
          ['出生日期', r.birthDate ? `${fmtDate(r.birthDate)}（${r.age} 岁）` : '—'],
          ['手机号', revealable('phone', r.phone)],
          ['身份证号', revealable('idNumber', r.idNumber)],
          ['户籍', r.registered ? '本地户籍' : '非本地户籍'],
          ['与户主关系', label(RELATION_LABELS, r.relation)],
          ['住址', addr || '—'],
          ['社区', r.community.name],
          ['网格', r.grid ? h('a', { href: hashWith('/residents', { grid: r.grid.id }) }, r.grid.name) : '—'],
          ['网格员', r.grid?.workers.map((w) => `${w.name}${w.phone ? `（${w.phone}）` : ''}`).join('、') || '—'],
          ['登记时间', fmtDateTime(r.createdAt)],
        ])),
      h('section', { class: 'card', 'aria-labelledby': 'res-orders' },
        h('h2', { id: 'res-orders' }, `工单（${data.workOrders.totalCount ?? 0}）`),
        table(['事项', '状态', '提交时间'], orders, { caption: '该居民的工单', empty: '暂无工单' })),
      h('section', { class: 'card', 'aria-labelledby': 'res-visits' },
        h('h2', { id: 'res-visits' }, '走访记录'),
        table(['走访时间', '目的', '网格员', '情况', '定位', '跟进'], visits,
          { caption: '该居民的走访记录（查看记入审计日志）', empty: '暂无走访记录' }))));
}
