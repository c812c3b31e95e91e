// Dashboard: the community's (or region's) statistics for a time window, with charts.
// One request: the whole window plus one aliased `statistics` per bucket, and module figures.

import { gql } from '../api.js';
import { chartCard, dataTable, PALETTE, STATE_COLORS } from '../charts.js';
import {
  clear, errorMessage, field, fmtHours, fmtNumber, h, hashWith, label, loading, OPEN_STATES, select, STATE_LABELS, STATES,
  TAG_LABELS,
} from '../ui.js';

const WINDOWS = {
  7: { buckets: 7, text: '近 7 天' },
  30: { buckets: 6, text: '近 30 天' },
  90: { buckets: 13, text: '近 90 天' },
  365: { buckets: 12, text: '近一年' },
};

const FULL = `total byState { key count } byItem { key title count } byPriorityGroup { key count } resolvedCount
  handlingHoursMedian handlingHoursP90 averageRating ratedCount overdueCount overdueShare since until`;
const BUCKET = 'total byState { key count } handlingHoursMedian handlingHoursP90 averageRating ratedCount';

function buildQuery(target, withModules, buckets) {
  const arg = target ? `${target.kind === 'region' ? 'regionId' : 'communityId'}: $target, ` : '';
  const vars = ['$since: DateTime!', '$until: DateTime!', ...(target ? ['$target: ID'] : []),
    ...buckets.map((_, i) => `$s${i}: DateTime!, $u${i}: DateTime!`)];
  return `query Dashboard(${vars.join(', ')}) {
    window: statistics(${arg}since: $since, until: $until) { ${FULL} }
    ${buckets.map((_, i) => `b${i}: statistics(${arg}since: $s${i}, until: $u${i}) { ${BUCKET} }`).join('\n    ')}
    ${withModules ? `moduleStatistics(${target ? 'communityId: $target, ' : ''}since: $since, until: $until) { module key label value unit }
    modules${target ? '(communityId: $target)' : ''} { name title enabled }` : ''}
  }`;
}

const dayFmt = new Intl.DateTimeFormat('zh-CN', { month: '2-digit', day: '2-digit' });

export async function render(ctx) {
  const { main, query, scope } = ctx;
  const days = WINDOWS[query.days] ? Number(query.days) : 30;
  const spec = WINDOWS[days];
  const charts = [];
  const cleanup = () => charts.forEach((c) => c?.destroy());

  const form = h('form', { class: 'filters filters-inline', 'aria-label': '统计时间范围' },
    field('时间范围', select('days', Object.entries(WINDOWS).map(([k, v]) => [k, v.text]), days)),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn' }, '更新')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.navigate(hashWith('/dashboard', { days: new FormData(form).get('days') }));
  });

  clear(main, h('div', { class: 'page-head page-head-row' },
    h('div', {}, h('h1', {}, '数据概览'), h('p', { class: 'muted' }, `${scope?.name || ''} · ${spec.text}的工单与模块数据`)),
    form), loading());

  if (!scope) { main.querySelector('.loading').replaceWith(h('p', {}, '请先在顶部选择管理范围。')); return cleanup; }

  const until = new Date();
  const since = new Date(until.getTime() - days * 86_400_000);
  const step = (until - since) / spec.buckets;
  const buckets = Array.from({ length: spec.buckets }, (_, i) => ({
    since: new Date(since.getTime() + i * step), until: new Date(since.getTime() + (i + 1) * step),
  }));
  const withModules = scope.kind === 'community';
  const vars = { since: since.toISOString(), until: until.toISOString(), target: scope.id };
  buckets.forEach((b, i) => { vars[`s${i}`] = b.since.toISOString(); vars[`u${i}`] = b.until.toISOString(); });

  const { data, errors } = await gql(buildQuery(scope, withModules, buckets), vars, { partial: true });
  if (!ctx.alive()) return cleanup;
  main.querySelector('.loading')?.remove();
  if (errors.length) {
    main.append(h('div', { class: 'alert alert-warn', role: 'status' },
      `部分数据未能加载：${errors.map((e) => errorMessage({ message: e.message, code: e.extensions?.code })).join('；')}`));
  }
  const w = data.window;
  if (!w) return cleanup;

  // -- KPIs ----------------------------------------------------------------------------------
  const open = w.byState.filter((s) => OPEN_STATES.includes(s.key))
    .reduce((n, s) => n + s.count, 0);
  main.append(h('section', { class: 'kpis', 'aria-label': '关键指标' },
    kpi('工单总数', w.total, `其中未办结 ${open}`),
    kpi('已办结', w.resolvedCount, w.total ? `办结率 ${Math.round((w.resolvedCount / w.total) * 100)}%` : ''),
    kpi('办理时长中位数', fmtHours(w.handlingHoursMedian), `P90 ${fmtHours(w.handlingHoursP90)}`),
    kpi('平均评分', w.averageRating == null ? '—' : `${fmtNumber(w.averageRating)} / 5`, `${w.ratedCount} 条评价`),
    kpi('超期工单', w.overdueCount, `超期率 ${Math.round(w.overdueShare * 100)}%`, w.overdueShare > 0.2 ? 'danger' : '')));

  const grid = h('div', { class: 'chart-grid' });
  main.append(grid);
  const labels = buckets.map((b) => dayFmt.format(b.since));
  const series = buckets.map((_, i) => data[`b${i}`]);

  // 1. work orders by state over time (stacked bars)
  const stateCount = (s, key) => s?.byState.find((x) => x.key === key)?.count || 0;
  const shownStates = STATES.filter((st) => series.some((s) => stateCount(s, st)));
  const byStateDatasets = shownStates.map((st) => ({
    label: STATE_LABELS[st], data: series.map((s) => stateCount(s, st)), backgroundColor: STATE_COLORS[st], stack: 's',
  }));
  add(chartCard({
    id: 'chart-states', title: '工单状态趋势（按提交时间）', type: 'bar', labels, datasets: byStateDatasets,
    summary: `共 ${w.total} 件工单，按提交时间分 ${buckets.length} 段统计当前状态`,
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    table: dataTable(['时段', ...shownStates.map((s) => STATE_LABELS[s])],
      labels.map((l, i) => [l, ...shownStates.map((st) => stateCount(series[i], st))])),
  }));

  // 2. handling time
  const hours = (v) => (v == null ? null : Math.round(v * 10) / 10);
  add(chartCard({
    id: 'chart-handling', title: '办理时长（小时）', type: 'line', labels,
    datasets: [
      { label: '中位数', data: series.map((s) => hours(s?.handlingHoursMedian)), borderColor: PALETTE[0],
        backgroundColor: PALETTE[0], spanGaps: true, tension: 0.25 },
      { label: 'P90', data: series.map((s) => hours(s?.handlingHoursP90)), borderColor: PALETTE[2],
        backgroundColor: PALETTE[2], spanGaps: true, tension: 0.25, borderDash: [6, 4] },
    ],
    summary: `办理时长中位数 ${fmtHours(w.handlingHoursMedian)}，P90 ${fmtHours(w.handlingHoursP90)}`,
    options: { scales: { y: { beginAtZero: true } } },
    table: dataTable(['时段', '中位数（小时）', 'P90（小时）'],
      labels.map((l, i) => [l, hours(series[i]?.handlingHoursMedian) ?? '—', hours(series[i]?.handlingHoursP90) ?? '—'])),
  }));

  // 3. ratings
  add(chartCard({
    id: 'chart-ratings', title: '居民满意度', type: 'bar', labels,
    datasets: [
      { type: 'line', label: '平均评分', data: series.map((s) => (s?.averageRating == null ? null : Math.round(s.averageRating * 100) / 100)),
        borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: 'y', spanGaps: true, tension: 0.25 },
      { type: 'bar', label: '评价数', data: series.map((s) => s?.ratedCount || 0), backgroundColor: '#cbd5e1', yAxisID: 'y1' },
    ],
    summary: `平均评分 ${w.averageRating == null ? '暂无' : fmtNumber(w.averageRating)}，共 ${w.ratedCount} 条评价`,
    options: { scales: {
      y: { min: 0, max: 5, position: 'left', title: { display: true, text: '评分' } },
      y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, ticks: { precision: 0 },
        title: { display: true, text: '评价数' } },
    } },
    table: dataTable(['时段', '平均评分', '评价数'],
      labels.map((l, i) => [l, series[i]?.averageRating == null ? '—' : fmtNumber(series[i].averageRating, 2), series[i]?.ratedCount || 0])),
  }));

  // 4. service items and priority groups
  const items = w.byItem.slice(0, 8);
  add(chartCard({
    id: 'chart-items', title: '热门事项', type: 'bar', labels: items.map((i) => i.title || i.key),
    datasets: [{ label: '工单数', data: items.map((i) => i.count), backgroundColor: PALETTE[3] }],
    summary: items.length ? `工单最多的事项：${items[0].title || items[0].key}（${items[0].count} 件）` : '暂无工单',
    options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    table: dataTable(['事项', '工单数'], items.map((i) => [i.title || i.key, i.count])),
  }));
  const groups = w.byPriorityGroup;
  add(chartCard({
    id: 'chart-groups', title: '重点人群工单', type: 'doughnut', labels: groups.map((g) => label(TAG_LABELS, g.key)),
    datasets: [{ data: groups.map((g) => g.count), backgroundColor: groups.map((_, i) => PALETTE[i % PALETTE.length]) }],
    summary: groups.length ? groups.map((g) => `${label(TAG_LABELS, g.key)} ${g.count} 件`).join('，') : '暂无重点人群工单',
    options: { plugins: { legend: { position: 'right' } } },
    table: dataTable(['人群', '工单数'], groups.map((g) => [label(TAG_LABELS, g.key), g.count])),
  }));

  // 5. module statistics contributed by plugins
  if (withModules) {
    main.append(moduleSection(data, (chart) => charts.push(chart)));
  } else {
    main.append(h('section', { class: 'card' }, h('h2', {}, '模块统计'),
      h('p', { class: 'muted' }, '模块统计按社区提供：请在顶部“管理范围”中选择一个社区查看。')));
  }
  return cleanup;

  function add({ element, chart }) {
    charts.push(chart);
    grid.append(element);
  }
}

function moduleSection(data, track) {
  const stats = data.moduleStatistics || [];
  const titles = Object.fromEntries((data.modules || []).map((m) => [m.name, m.title]));
  const section = h('section', { class: 'module-stats', 'aria-labelledby': 'module-stats-title' },
    h('h2', { id: 'module-stats-title' }, '模块统计'));
  if (!stats.length) {
    const enabled = (data.modules || []).filter((m) => m.enabled).length;
    section.append(h('p', { class: 'muted' }, enabled ? '已启用的模块没有提供统计数据。' : '本社区尚未启用模块。'));
    return section;
  }
  section.append(h('div', { class: 'kpis' }, stats.map((s) => kpi(
    s.label, s.value == null ? '—' : `${fmtNumber(s.value)}${s.unit ? ` ${s.unit}` : ''}`, titles[s.module] || s.module))));
  // one chart per unit (元, 份, 个, %…): figures of different units never share an axis; a unit
  // with a single figure is only a KPI above
  const byUnit = new Map();
  for (const s of stats.filter((x) => x.value != null)) {
    const unit = s.unit || '';
    if (!byUnit.has(unit)) byUnit.set(unit, []);
    byUnit.get(unit).push(s);
  }
  [...byUnit.entries()].filter(([, group]) => group.length > 1).forEach(([unit, numeric], i) => {
    const name = (s) => `${titles[s.module] || s.module}·${s.label}`;
    const chart = chartCard({
      id: `chart-modules-${i}`, title: `模块数据对比${unit ? `（单位：${unit}）` : ''}`, type: 'bar',
      labels: numeric.map(name),
      datasets: [{ label: unit ? `数值（${unit}）` : '数值', data: numeric.map((s) => s.value), backgroundColor: PALETTE[5] }],
      summary: numeric.map((s) => `${s.label} ${fmtNumber(s.value)}${unit}`).join('，'),
      options: { indexAxis: 'y', plugins: { legend: { display: false } } }, height: Math.max(160, numeric.length * 36),
      table: dataTable(['指标', `数值${unit ? `（${unit}）` : ''}`], numeric.map((s) => [name(s), `${fmtNumber(s.value)}${unit}`])),
    });
    chart.element.dataset.unit = unit;
    track(chart.chart);
    section.append(chart.element);
  });
  return section;
}

function kpi(title, value, sub = '', tone = '') {
  return h('div', { class: `kpi ${tone ? `kpi-${tone}` : ''}` },
    h('div', { class: 'kpi-label' }, title),
    h('div', { class: 'kpi-value' }, String(value)),
    sub ? h('div', { class: 'kpi-sub' }, sub) : null);
}
