// Linkage command (联动指挥): the viewer's queue of escalated orders with its moves (escalate,
// dispatch to a department, hand back, resolve), a community's open orders to escalate,
// departments of a region, and figures per level and department.

import { gql } from '../api.js';
import {
  clear, dialog, errorMessage, field, fmtDateTime, h, label, LEVEL_LABELS, OPEN_STATES, select, stateBadge, table, toast,
} from '../ui.js';

const QUEUE = `query LinkageQueue { linkageQueue(first: 50) { totalCount edges { node {
  id action level fromLevel fromName text dueAt overdue workOrder { id title state } } } } }`;
const OPEN = `query OpenOrders($states: [WorkOrderState!]) {
  workOrders(filter: { states: $states }, first: 50) { edges { node { id title state createdAt } } } }`;
const DEPARTMENTS = `query Departments { departments(first: 100) { totalCount edges { node { id name regionId } } } }`;
const STATS = `query LinkageStatistics { linkageStatistics {
  byLevel { key received resolved passedOn handedBack open overdue }
  byDepartment { key title received resolved passedOn handedBack open overdue } } }`;
const MOVES = {
  escalate: ['上报上级', `mutation Escalate($id: ID!, $text: String!) { escalateWorkOrder(id: $id, reason: $text) { id } }`, '上报理由'],
  dispatch: ['派至部门', `mutation Dispatch($id: ID!, $text: String!, $d: ID!) {
    dispatchWorkOrder(id: $id, departmentId: $d, instructions: $text) { id } }`, '办理要求'],
  handBack: ['退回', `mutation HandBack($id: ID!, $text: String!) { handBackWorkOrder(id: $id, instructions: $text) { id } }`, '退回说明'],
  resolve: ['办结', `mutation Resolve($id: ID!, $text: String!) { resolveEscalatedWorkOrder(id: $id, note: $text) { id } }`, '办理结果'],
};
const CREATE_DEPT = `mutation CreateDepartment($input: DepartmentInput!) { createDepartment(input: $input) { id } }`;

export async function render(ctx) {
  const { main, viewer } = ctx;
  const role = viewer.role;
  const queue = h('section', { 'aria-label': '联动待办' });
  const extra = h('section', { 'aria-label': '联动统计' });
  clear(main, h('div', { class: 'page-head' }, h('h1', {}, '联动指挥'),
    h('p', { class: 'muted' }, '社区无法办理的工单逐级上报街道、区县，或派给职能部门；可附说明退回，每一步留痕并计时。')),
  h('h2', {}, '待办'), queue, extra);
  const departments = role === 'REGION_ADMIN' ? (await gql(DEPARTMENTS)).departments.edges.map((e) => e.node) : [];

  const move = async (kind, orderId, title) => {
    const [text, mutation, prompt] = MOVES[kind];
    const mine = departments.filter((d) => d.regionId === viewer.regionId);
    const values = await dialog({
      title: `${text}：${title}`, confirmText: text,
      body: () => h('div', {}, kind === 'dispatch' ? field('职能部门', select('d', mine.map((d) => [d.id, d.name]), '')) : null,
        field(prompt, h('textarea', { name: 'text', required: true, maxlength: 1000, rows: 3 }))),
    });
    if (!values) return;
    try {
      await gql(mutation, { id: orderId, text: values.text, ...(values.d ? { d: values.d } : {}) });
      toast(`已${text}`);
      await show();
    } catch (err) { toast(errorMessage(err), 'error'); }
  };

  const button = (kind, o) => h('button', { type: 'button', class: 'btn', onclick: () => move(kind, o.id, o.title) },
    MOVES[kind][0]);

  const show = async () => {
    const conn = (await gql(QUEUE)).linkageQueue;
    const rows = conn.edges.map(({ node: hop }) => {
      const o = hop.workOrder;
      const actions = hop.level === 'DEPARTMENT' ? ['handBack', 'resolve']
        : hop.level === 'COMMUNITY' ? ['escalate'] : ['escalate', 'dispatch', 'handBack', 'resolve'];
      return h('tr', { class: hop.overdue ? 'row-overdue' : '' },
        h('td', {}, role === 'DEPARTMENT_STAFF' ? o.title : h('a', { href: `#/work-orders/${o.id}` }, o.title)),
        h('td', {}, stateBadge(o.state)),
        h('td', {}, `${label(LEVEL_LABELS, hop.fromLevel)} ${hop.fromName}`), h('td', {}, hop.text),
        h('td', {}, fmtDateTime(hop.dueAt), hop.overdue ? h('span', { class: 'badge badge-danger' }, '超时') : null),
        h('td', { class: 'actions' }, actions.map((k) => button(k, o))));
    });
    clear(queue, h('p', { class: 'result-count', role: 'status' }, `共 ${conn.totalCount} 件待办`),
      table(['工单', '状态', '来自', '说明', '本级时限', ''], rows, { caption: '联动待办', empty: '没有待办的联动工单' }));
    if (role === 'COMMUNITY_ADMIN') {
      const orders = (await gql(OPEN, { states: OPEN_STATES })).workOrders.edges.map((e) => e.node);
      const rows2 = orders.map((o) => h('tr', {}, h('td', {}, o.title), h('td', {}, stateBadge(o.state)),
        h('td', {}, fmtDateTime(o.createdAt)), h('td', {}, button('escalate', o))));
      queue.append(h('h2', {}, '本社区未办结工单'),
        table(['工单', '状态', '提交时间', ''], rows2, { caption: '未办结工单', empty: '没有未办结的工单' }));
    }
    if (role !== 'DEPARTMENT_STAFF') await showStats();
  };

  const showStats = async () => {
    const s = (await gql(STATS)).linkageStatistics;
    const cells = (r, name) => h('tr', {}, h('td', {}, name), ...['received', 'resolved', 'passedOn', 'handedBack',
      'open', 'overdue'].map((k) => h('td', {}, String(r[k]))));
    const heads = ['接收', '办结', '上报/派出', '退回', '在办', '超时'];
    const parts = [h('h2', {}, '按层级统计（近30天）'),
      table(['层级', ...heads], s.byLevel.map((r) => cells(r, label(LEVEL_LABELS, r.key))), { caption: '按层级' }),
      h('h2', {}, '按职能部门统计'),
      table(['部门', ...heads], s.byDepartment.map((r) => cells(r, r.title || r.key)), { caption: '按部门' })];
    if (role === 'REGION_ADMIN') {
      const name = h('input', { name: 'name', required: true, maxlength: 50 });
      const form = h('form', { class: 'filters', 'aria-label': '新建职能部门' }, field('部门名称', name),
        h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '新建部门')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          await gql(CREATE_DEPT, { input: { regionId: viewer.regionId, name: name.value } });
          toast('部门已创建');
          departments.splice(0, departments.length, ...(await gql(DEPARTMENTS)).departments.edges.map((e) => e.node));
          await showStats();
        } catch (err) { toast(errorMessage(err), 'error'); }
      });
      parts.push(h('h2', {}, '职能部门'), h('ul', { class: 'departments' }, departments.map((d) => h('li', {}, d.name))),
        form);
    }
    clear(extra, ...parts);
  };

  await show();
}
