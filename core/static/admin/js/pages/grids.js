// Grids: their workers and resident counts, with links to the grid's residents and work orders.

import { gql } from '../api.js';
import { clear, h, hashWith, loading, table } from '../ui.js';
import { visitPlansCard } from './visit-plans.js';

const GRIDS = `query Grids($after: String) {
  grids(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name residentCount community { id name } workers { id name phone } } }
  }
}`;

export async function render(ctx) {
  const { main } = ctx;
  clear(main, h('div', { class: 'page-head' }, h('h1', {}, '网格管理'),
    h('p', { class: 'muted' }, '各网格的网格员与登记居民数。')), loading());
  const nodes = [];
  let after = null;
  let total = 0;
  for (let page = 0; page < 20; page += 1) { // at most 2,000 grids: pages, not one request per grid
    const data = await gql(GRIDS, { after });
    if (!ctx.alive()) return;
    nodes.push(...data.grids.edges.map((e) => e.node));
    total = data.grids.totalCount ?? nodes.length;
    if (!data.grids.pageInfo.hasNextPage) break;
    after = data.grids.pageInfo.endCursor;
  }
  const multi = new Set(nodes.map((g) => g.community.id)).size > 1;
  const residents = nodes.reduce((n, g) => n + g.residentCount, 0);
  const workers = new Set(nodes.flatMap((g) => g.workers.map((w) => w.id))).size;

  const rows = nodes.map((g) => h('tr', {},
    multi ? h('td', {}, g.community.name) : null,
    h('th', { scope: 'row' }, g.name),
    h('td', { class: 'num' }, g.residentCount),
    h('td', {}, g.workers.length
      ? h('ul', { class: 'plain' }, g.workers.map((w) => h('li', {}, w.name, w.phone ? h('span', { class: 'muted' }, ` ${w.phone}`) : null)))
      : h('span', { class: 'badge badge-danger' }, '未配备网格员')),
    h('td', {},
      h('a', { href: hashWith('/residents', { grid: g.id }), 'aria-label': `查看${g.name}的居民` }, '居民'), ' · ',
      h('a', { href: hashWith('/work-orders', { grid: g.id }), 'aria-label': `查看${g.name}的工单` }, '工单'))));

  main.querySelector('.loading')?.remove();
  main.append(
    h('div', { class: 'kpis' },
      kpi('网格数', total), kpi('登记居民', residents), kpi('网格员', workers)),
    table([...(multi ? ['社区'] : []), '网格', '居民数', '网格员', '查看'], rows, { caption: '网格列表', empty: '暂无网格' }));
  const plans = await visitPlansCard(ctx);
  if (plans && ctx.alive()) main.append(plans);
}

function kpi(title, value) {
  return h('div', { class: 'kpi' }, h('div', { class: 'kpi-label' }, title), h('div', { class: 'kpi-value' }, String(value)));
}
