// Visit plans (走访计划) of the community: residents with a tag are visited every N days; the
// grid workers' Today screen lists who is due. Shown on the grids page for community admins.

import { gql } from '../api.js';
import { clear, errorMessage, field, h, label, select, TAG_LABELS, toast } from '../ui.js';

const PLANS = 'query VisitPlans { visitPlans { id tag intervalDays } }';
const SET = `mutation SetVisitPlan($tag: ResidentTag!, $days: Int!) {
  setVisitPlan(tag: $tag, intervalDays: $days) { id tag intervalDays }
}`;
const REMOVE = 'mutation RemoveVisitPlan($tag: ResidentTag!) { removeVisitPlan(tag: $tag) }';

/** The plans card, or null when the viewer acts in no single community (region admins). */
export async function visitPlansCard(ctx) {
  let plans;
  try {
    plans = (await gql(PLANS)).visitPlans;
  } catch (err) {
    return null;
  }
  if (!ctx.alive()) return null;
  const list = h('ul', { class: 'plain', 'aria-label': '走访计划列表' });
  const show = () => clear(list, plans.length ? plans.map((p) => h('li', {},
    `${label(TAG_LABELS, p.tag)}：每 ${p.intervalDays} 天走访一次 `,
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': `删除${label(TAG_LABELS, p.tag)}的走访计划`,
      onclick: async () => {
        try {
          await gql(REMOVE, { tag: p.tag });
          plans = plans.filter((x) => x.tag !== p.tag);
          show();
        } catch (err) { toast(errorMessage(err), 'error'); }
      } }, '删除'))) : h('li', { class: 'muted' }, '尚未设置走访计划'));
  show();
  const days = h('input', { name: 'days', type: 'number', min: '1', max: '366', value: '7', required: true });
  const form = h('form', { class: 'filters', 'aria-label': '设置走访计划' },
    field('重点人群', select('tag', Object.entries(TAG_LABELS), 'LIVING_ALONE')),
    field('走访间隔（天）', days),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '保存计划')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    try {
      const plan = (await gql(SET, { tag: values.tag, days: Number(values.days) })).setVisitPlan;
      plans = [...plans.filter((x) => x.tag !== plan.tag), plan];
      show();
      toast('走访计划已保存');
    } catch (err) { toast(errorMessage(err), 'error'); }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'visit-plans' },
    h('h2', { id: 'visit-plans' }, '走访计划'),
    h('p', { class: 'muted' }, '按重点人群设置走访频次；到期和逾期的居民出现在网格员的“今日待办”中。'), list, form);
}
