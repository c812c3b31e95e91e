// Thin wrapper over the vendored Chart.js (vendor/chart.umd.min.js, loaded as a classic script).
// Every chart also gets a data table for screen readers and keyboard users.

import { h } from './ui.js';

export const STATE_COLORS = {
  SUBMITTED: '#d97706', ACCEPTED: '#2563eb', ASSIGNED: '#7c3aed', IN_PROGRESS: '#0891b2',
  RESOLVED: '#16a34a', CLOSED: '#64748b', REJECTED: '#dc2626', CANCELLED: '#a8a29e',
};
export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#7c3aed', '#dc2626', '#0891b2', '#db2777', '#65a30d'];

const FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", system-ui, sans-serif';

/**
 * A chart card: title, canvas (role=img with a summary), and a collapsible data table.
 * Returns {element, chart} — call chart.destroy() when leaving the page.
 */
export function chartCard({ id, title, type, labels, datasets, options = {}, summary, height = 260, table }) {
  const Chart = window.Chart;
  const canvas = h('canvas', { id, role: 'img', 'aria-label': summary || title });
  const card = h('section', { class: 'card chart-card', 'aria-labelledby': `${id}-title`, 'data-chart': id },
    h('h2', { id: `${id}-title` }, title),
    h('div', { class: 'chart-box', style: { height: `${height}px` } }, canvas),
    table ? h('details', { class: 'chart-data' }, h('summary', {}, '查看数据表'), table) : null);
  let chart = null;
  if (Chart) {
    Chart.defaults.font.family = FONT;
    Chart.defaults.color = '#334155';
    chart = new Chart(canvas, {
      type,
      data: { labels, datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        datasets: { bar: { maxBarThickness: 40 } },
        ...options,
      },
    });
  } else {
    canvas.replaceWith(h('p', { class: 'alert alert-error' }, '图表组件未能加载，请查看下方数据表。'));
  }
  return { element: card, chart };
}

export function dataTable(headers, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table table-compact' },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c))))))));
}
