// Work-order desk: filtered list, detail with timeline, accept / assign / reject.

import { gql } from '../api.js';
import {
  ACTION_LABELS, clear, dialog, dl, errorMessage, field, fmtDateTime, h, hashWith, label, loading, OPEN_STATES,
  roleLabel, select, STATE_LABELS, STATES, stateBadge, table, toast,
} from '../ui.js';

const PAGE = 20;

const LIST = `query WorkOrders($filter: WorkOrderFilter, $first: Int!, $after: String) {
  workOrders(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id number title kind state createdAt dueAt overdue
      grid { id name } assignee { id name } resident { id name } } } }
  grids(first: 100) { edges { node { id name community { id name } } } }
  serviceItems(first: 100) { edges { node { id title } } }
}`;

const DETAIL = `query WorkOrder($id: ID!) {
  workOrder(id: $id) {
    id number title kind state description answers formSchema version createdAt updatedAt dueAt overdue rejectReason
    resolution rating { score comment at } location communityId
    item { id title slaHours }
    grid { id name community { name grids { id name workers { id name phone } } } }
    assignee { id name phone }
    resident { id name phone tags }
    timeline { at action fromState toState note actorId actorRole actorName }
  }
}`;

const NOTE = `mutation AddWorkOrderNote($id: ID!, $note: String!) {
  addWorkOrderNote(id: $id, note: $note) { id version updatedAt timeline { at action fromState toState note actorId actorRole actorName } } }`;

const ORDER_FIELDS = `id state version overdue rejectReason updatedAt assignee { id name phone }
  timeline { at action fromState toState note actorId actorRole actorName }`;
const ACCEPT = `mutation AcceptWorkOrder($id: ID!, $v: Int, $note: String) {
  acceptWorkOrder(id: $id, version: $v, note: $note) { ${ORDER_FIELDS} } }`;
const ASSIGN = `mutation AssignWorkOrder($id: ID!, $a: ID, $v: Int, $note: String) {
  assignWorkOrder(id: $id, assigneeId: $a, version: $v, note: $note) { ${ORDER_FIELDS} } }`;
const REJECT = `mutation RejectWorkOrder($id: ID!, $reason: String!, $v: Int) {
  rejectWorkOrder(id: $id, reason: $reason, version: $v) { ${ORDER_FIELDS} } }`;

export async function render(ctx) {
  if (ctx.params[0]) return renderDetail(ctx, ctx.params[0]);
  return renderList(ctx);
}

// -- list ----------------------------------------------------------------------------------
async function renderList(ctx) {
  const { main, query } = ctx;
  const filter = {};
  if (query.state === 'OPEN') filter.states = OPEN_STATES;
  else if (query.state) filter.states = [query.state];
  if (query.item) filter.itemId = query.item;
  if (query.grid) filter.gridId = query.grid;
  if (query.overdue === '1') filter.overdue = true;
  if (query.number) filter.number = query.number;

  clear(main, h('div', { class: 'page-head' }, h('h1', {}, '工单受理'),
    h('p', { class: 'muted' }, '居民提交的服务申请和问题上报：受理、派给网格员或驳回。')), loading());
  const cursors = [null];
  let data = await gql(LIST, { filter, first: PAGE, after: null });
  if (!ctx.alive()) return;

  const grids = data.grids.edges.map((e) => e.node);
  const multiCommunity = new Set(grids.map((g) => g.community.id)).size > 1;
  const items = data.serviceItems.edges.map((e) => e.node);

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': '筛选工单' },
    field('工单号', h('input', { name: 'number', value: query.number || '', class: 'mono', placeholder: 'GD20261201-0001' })),
    field('状态', select('state', [['', '全部状态'], ['OPEN', '未办结（全部）'],
      ...STATES.map((s) => [s, STATE_LABELS[s]])], query.state)),
    field('事项', select('item', [['', '全部事项'], ...items.map((i) => [i.id, i.title])], query.item)),
    field('网格', select('grid', [['', '全部网格'],
      ...grids.map((g) => [g.id, multiCommunity ? `${g.community.name} ${g.name}` : g.name])], query.grid)),
    h('div', { class: 'field field-check' },
      h('input', { type: 'checkbox', id: 'wo-overdue', name: 'overdue', value: '1', checked: query.overdue === '1' }),
      h('label', { for: 'wo-overdue' }, '只看超期')),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, '筛选'),
      h('a', { class: 'btn btn-ghost', href: '#/work-orders' }, '重置')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = Object.fromEntries(new FormData(form).entries());
    ctx.navigate(hashWith('/work-orders', f));
  });

  const results = h('section', { class: 'results', 'aria-label': '工单列表' });
  main.querySelector('.loading')?.remove();
  main.append(form, results);

  const show = () => {
    const conn = data.workOrders;
    const rows = conn.edges.map(({ node: o }) => h('tr', { class: o.overdue ? 'row-overdue' : '' },
      h('td', {}, h('a', { href: `#/work-orders/${o.id}` }, o.title),
        o.number ? h('div', { class: 'small muted mono' }, o.number) : null),
      h('td', {}, o.resident?.name || '—'),
      h('td', {}, o.grid?.name || '—'),
      h('td', {}, stateBadge(o.state)),
      h('td', {}, fmtDateTime(o.createdAt)),
      h('td', {}, fmtDateTime(o.dueAt), o.overdue ? h('span', { class: 'badge badge-danger' }, '超期') : null),
      h('td', {}, o.assignee?.name || '—')));
    const page = cursors.length;
    clear(results,
      h('p', { class: 'result-count', role: 'status' }, `共 ${conn.totalCount ?? 0} 条工单`),
      table(['事项', '居民', '网格', '状态', '提交时间', '办理时限', '处理人'], rows, { caption: '工单列表', empty: '没有符合条件的工单' }),
      pager(page, conn.pageInfo.hasNextPage, async (dir) => {
        const after = dir > 0 ? conn.pageInfo.endCursor : cursors[cursors.length - 2];
        if (dir > 0) cursors.push(after); else cursors.pop();
        data = { ...data, ...(await gql(LIST, { filter, first: PAGE, after })) };
        if (ctx.alive()) show();
      }));
  };
  show();
}

export function pager(page, hasNext, go) {
  const prev = h('button', { type: 'button', class: 'btn', disabled: page <= 1, onclick: () => go(-1) }, '上一页');
  const next = h('button', { type: 'button', class: 'btn', disabled: !hasNext, onclick: () => go(1) }, '下一页');
  return h('nav', { class: 'pager', 'aria-label': '分页' }, prev, h('span', {}, `第 ${page} 页`), next);
}

// -- detail --------------------------------------------------------------------------------
async function renderDetail(ctx, id) {
  const { main } = ctx;
  clear(main, loading());
  const data = await gql(DETAIL, { id });
  if (!ctx.alive()) return;
  const o = data.workOrder;
  drawDetail(ctx, o);
}

function answersList(o) {
  const props = o.formSchema?.properties || {};
  const entries = Object.entries(o.answers || {});
  if (!entries.length) return null;
  return dl(entries.map(([k, v]) => [props[k]?.title || k,
    Array.isArray(v) ? v.join('、') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)]));
}

function timeline(o) {
  return h('ol', { class: 'timeline', 'aria-label': '办理过程' }, [...o.timeline].reverse().map((e) => h('li', {},
    h('div', { class: 'tl-head' },
      h('strong', {}, label(ACTION_LABELS, e.action)),
      e.toState ? [' → ', stateBadge(e.toState)] : null,
      h('time', { datetime: e.at }, fmtDateTime(e.at))),
    h('div', { class: 'tl-actor muted' }, `${e.actorName || e.actorId || '系统'}（${roleLabel(e.actorRole)}）`),
    e.note ? h('p', { class: 'tl-note' }, e.note) : null)));
}

function drawDetail(ctx, o) {
  const { main } = ctx;
  const actions = h('div', { class: 'wo-actions', role: 'group', 'aria-label': '办理操作' });
  const canAccept = o.state === 'SUBMITTED';
  const canAssign = o.state === 'ACCEPTED' || o.state === 'ASSIGNED';
  const canReject = o.state === 'SUBMITTED' || o.state === 'ACCEPTED';
  const workers = [];
  for (const g of o.grid?.community?.grids || []) {
    for (const w of g.workers) if (!workers.some((x) => x.id === w.id)) workers.push({ ...w, grid: g.name, own: g.id === o.grid.id });
  }
  workers.sort((a, b) => Number(b.own) - Number(a.own));

  const run = async (mutation, vars, done) => {
    for (const b of actions.querySelectorAll('button')) b.disabled = true;
    try {
      const res = await gql(mutation, { id: o.id, v: o.version, ...vars });
      const updated = Object.values(res)[0];
      Object.assign(o, updated);
      toast(done, 'success');
      drawDetail(ctx, o);
      (main.querySelector('.wo-actions button:not([disabled])') || main.querySelector('h1'))?.focus();
    } catch (err) {
      toast(errorMessage(err), 'error');
      if (err.code === 'CONFLICT') { ctx.navigate(location.hash); return; }
      for (const b of actions.querySelectorAll('button')) b.disabled = false;
    }
  };

  if (canAccept) {
    actions.append(h('button', { type: 'button', class: 'btn btn-primary', onclick: async () => {
      const r = await dialog({ title: '受理工单', confirmText: '受理',
        body: () => field('受理意见（可选）', h('textarea', { name: 'note', rows: 3, maxlength: 500 })) });
      if (r) run(ACCEPT, { note: r.note || null }, '已受理');
    } }, '受理'));
  }
  if (canAssign) {
    actions.append(h('button', { type: 'button', class: 'btn btn-primary', onclick: async () => {
      const r = await dialog({
        title: o.state === 'ASSIGNED' ? '改派工单' : '派单给网格员', confirmText: '派单',
        body: () => h('div', {},
          workers.length
            ? field('网格员', select('assignee', workers.map((w) => [w.id,
              `${w.name}（${w.grid}${w.own ? '，本网格' : ''}）`]), o.assignee?.id || workers[0]?.id, { required: true }))
            : h('p', { class: 'alert alert-error' }, '本社区没有网格员，无法派单。'),
          field('派单说明（可选）', h('textarea', { name: 'note', rows: 3, maxlength: 500 }))),
      });
      if (r && r.assignee) {
        const w = workers.find((x) => x.id === r.assignee);
        run(ASSIGN, { a: r.assignee, note: r.note || null }, `已派给 ${w?.name || '网格员'}`);
      }
    } }, o.state === 'ASSIGNED' ? '改派' : '派单'));
  }
  if (canReject) {
    actions.append(h('button', { type: 'button', class: 'btn btn-danger', onclick: async () => {
      const r = await dialog({ title: '驳回工单', confirmText: '驳回', danger: true,
        body: () => field('驳回理由（居民可见）', h('textarea', { name: 'reason', rows: 3, required: true, maxlength: 500 })) });
      if (r && r.reason?.trim()) run(REJECT, { reason: r.reason.trim() }, '已驳回');
    } }, '驳回'));
  }
  if (!actions.childElementCount) actions.append(h('p', { class: 'muted' }, '当前状态下没有需要管理员处理的操作。'));

  clear(main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/work-orders' }, '← 返回工单列表')),
    h('div', { class: 'page-head' },
      h('h1', {}, o.title, ' ', stateBadge(o.state), o.overdue ? h('span', { class: 'badge badge-danger' }, '超期') : null)),
    actions,
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'wo-info' }, h('h2', { id: 'wo-info' }, '工单信息'),
        dl([
          ['编号', o.number ? h('span', { class: 'mono', 'data-testid': 'wo-number' }, o.number) : h('code', {}, o.id)],
          ['类型', o.kind === 'report' ? '问题上报' : '服务申请'],
          ['居民', o.resident ? h('a', { href: `#/residents/${o.resident.id}` }, o.resident.name) : '—'],
          ['联系电话', o.resident?.phone || '—'],
          ['网格', o.grid?.name || '—'],
          ['处理人', o.assignee ? `${o.assignee.name}${o.assignee.phone ? `（${o.assignee.phone}）` : ''}` : '未派单'],
          ['提交时间', fmtDateTime(o.createdAt)],
          ['办理时限', fmtDateTime(o.dueAt)],
          o.rejectReason ? ['驳回理由', o.rejectReason] : null,
          o.resolution ? ['办理结果', o.resolution] : null,
          o.rating ? ['评价', `${'★'.repeat(o.rating.score)}${'☆'.repeat(5 - o.rating.score)} ${o.rating.comment || ''}`] : null,
        ]),
        o.description ? [h('h3', {}, '描述'), h('p', { class: 'prewrap' }, o.description)] : null,
        answersList(o) ? [h('h3', {}, '申请表内容'), answersList(o)] : null),
      h('section', { class: 'card', 'aria-labelledby': 'wo-tl' }, h('h2', { id: 'wo-tl' }, '办理过程'),
        noteBox(ctx, o), timeline(o))));
}

/** A handling note added to the timeline (addWorkOrderNote). */
function noteBox(ctx, o) {
  const text = h('textarea', { name: 'note', rows: 2, maxlength: 1000, required: true });
  const form = h('form', { class: 'note-form' }, field('添加备注', text, '记录办理情况，写入办理过程'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '添加备注')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!text.value.trim()) { text.focus(); return; }
    try {
      Object.assign(o, (await gql(NOTE, { id: o.id, note: text.value.trim() })).addWorkOrderNote);
      toast('备注已添加', 'success');
      drawDetail(ctx, o);
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  });
  return form;
}
