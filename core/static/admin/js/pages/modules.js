// Modules of the current community (or the defaults of a region): switch, settings, overrides.

import { ApiError, gql } from '../api.js';
import { staffInvitationsCard } from './staff-invitations.js';
import { settingsForm } from '../settings-form.js';
import {
  clear, dialog, errorMessage, h, label, LEVEL_LABELS, loading, roleLabel, toast,
} from '../ui.js';

const MODULE_FIELDS = `name title description version icon entryPage enabled decidedAt overriddenHere settings
  settingsSchema permissions { name description roles }`;

const LIST = `query Modules($c: ID) { modules(communityId: $c) { ${MODULE_FIELDS} } }`;
const SET_ENABLED = `mutation SetModuleEnabled($c: ID!, $m: String!, $e: Boolean) {
  setModuleEnabled(communityId: $c, module: $m, enabled: $e) { ${MODULE_FIELDS} } }`;
const UPDATE_SETTINGS = `mutation UpdateModuleSettings($c: ID!, $m: String!, $s: JSON!) {
  updateModuleSettings(communityId: $c, module: $m, settings: $s) { ${MODULE_FIELDS} } }`;

function overridesQuery(names) {
  const vars = names.map((_, i) => `$m${i}: String!`).join(', ');
  const fields = names.map((_, i) => `m${i}: moduleOverrides(module: $m${i}, regionId: $r) {
    regionId regionName level enabled settings }`).join('\n');
  return `query ModuleOverrides($r: ID${vars ? `, ${vars}` : ''}) { ${fields} }`;
}

/** Region id → name, from what the console already knows (no extra request). */
function regionNames(ctx) {
  const names = new Map();
  for (const c of ctx.communities) {
    names.set(c.id, c.name);
    for (const a of c.ancestors) names.set(a.id, a.name);
  }
  for (const s of ctx.context.scopes) if (!names.has(s.id)) names.set(s.id, s.name.replace(/（全辖区）$/, ''));
  return names;
}

export async function render(ctx) {
  const { main, scope } = ctx;
  const region = scope?.kind === 'region';
  const where = region ? scope.name.replace(/（全辖区）$/, '') : scope?.name || '本社区';
  clear(main,
    h('div', { class: 'page-head' },
      h('h1', {}, '模块管理'),
      h('p', { class: 'muted' }, region
        ? `设置「${where}」下各社区的默认模块与默认设置；已自行设定的社区不受影响，列在各模块下方。`
        : `「${where}」启用的功能模块。停用后居民端对应功能立即下线，已有数据保留。`)),
    loading());
  if (!scope) { clear(main, h('h1', {}, '模块管理'), h('p', {}, '请先在顶部选择管理范围。')); return; }

  const regionId = scope.id;
  const data = await gql(LIST, { c: regionId });
  if (!ctx.alive()) return;
  let overrides = {};
  if (region && data.modules.length) {
    const names = data.modules.map((m) => m.name);
    const vars = { r: regionId };
    names.forEach((n, i) => { vars[`m${i}`] = n; });
    const o = await gql(overridesQuery(names), vars);
    if (!ctx.alive()) return;
    names.forEach((n, i) => { overrides[n] = o[`m${i}`]; });
  }

  const names = regionNames(ctx);
  const list = h('div', { class: 'module-list' });
  main.querySelector('.loading')?.remove();
  main.append(list);
  if (!data.modules.length) list.append(h('p', { class: 'empty' }, '尚未安装任何模块。'));

  for (const m of data.modules) {
    const card = h('article', { class: 'card module-card', 'data-module': m.name, 'aria-labelledby': `mod-${m.name}` });
    list.append(card);
    renderCard(card, m, { ctx, region, regionId, where, names, overrides: overrides[m.name] || [] });
  }
  const invitations = region ? null : await staffInvitationsCard(ctx, data.modules);
  if (invitations && ctx.alive()) main.append(invitations);
}

function sourceText(m, { region, regionId, where, names }) {
  if (m.overriddenHere || m.decidedAt === regionId) return region ? `由「${where}」统一设定` : '本社区自行设定';
  if (m.decidedAt) return `沿用「${names.get(m.decidedAt) || m.decidedAt}」的设定`;
  return '模块默认状态';
}

function renderCard(card, m, opts) {
  const { region, regionId } = opts;
  const titleId = `mod-${m.name}`;
  const switchBtn = h('button', {
    type: 'button', role: 'switch', class: 'switch', 'aria-checked': String(m.enabled),
    'aria-label': `启用「${m.title}」`, 'data-testid': `switch-${m.name}`,
  }, h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' })),
  h('span', { class: 'switch-text', 'aria-hidden': 'true' }, m.enabled ? '已启用' : '已停用'));

  const settingsId = `settings-${m.name}`;
  const settingsToggle = h('button', {
    type: 'button', class: 'btn', 'aria-expanded': 'false', 'aria-controls': settingsId,
  }, '设置');
  const settingsPanel = h('section', { id: settingsId, class: 'module-settings', hidden: true,
    'aria-label': `「${m.title}」设置` });

  const inherit = m.overriddenHere
    ? h('button', { type: 'button', class: 'btn btn-ghost', title: '删除本级的开关设定，改为沿用上级或模块默认' },
      region ? '取消本级设定' : '恢复沿用上级')
    : null;

  clear(card,
    h('header', { class: 'module-head' },
      h('div', { class: 'module-icon', 'aria-hidden': 'true' }, (m.title || m.name).slice(0, 1)),
      h('div', { class: 'module-title' },
        h('h2', { id: titleId }, m.title),
        h('p', { class: 'module-meta' }, h('code', {}, m.name), ` · 版本 ${m.version}`)),
      h('span', { class: `pill ${m.enabled ? 'pill-on' : 'pill-off'}` }, m.enabled ? '已启用' : '已停用')),
    h('p', { class: 'module-desc' }, m.description || '（无说明）'),
    h('p', { class: 'module-source muted' }, sourceText(m, opts)),
    h('div', { class: 'module-actions' }, switchBtn, settingsToggle, inherit),
    m.permissions.length ? h('details', { class: 'module-perms' }, h('summary', {}, `权限（${m.permissions.length}）`),
      h('ul', {}, m.permissions.map((p) => h('li', {}, p.description || p.name, ' — ',
        p.roles.map((r) => roleLabel(r)).join('、'))))) : null,
    settingsPanel,
    region ? overridesBlock(opts.overrides) : null);

  switchBtn.addEventListener('click', async () => {
    const enabling = !m.enabled;
    if (!enabling) {
      const ok = await dialog({
        title: `停用「${m.title}」？`,
        body: h('div', {},
          h('p', {}, region
            ? `「${opts.where}」下所有未自行设定的社区将停用此模块。`
            : '停用后，本社区居民和工作人员将无法使用此模块的功能；已有数据会保留，重新启用后恢复。'),
          h('p', { class: 'muted' }, '此操作会记入审计日志。')),
        confirmText: '停用', danger: true,
      });
      if (!ok) { switchBtn.focus(); return; }
    }
    switchBtn.disabled = true;
    try {
      const res = await gql(SET_ENABLED, { c: regionId, m: m.name, e: enabling });
      Object.assign(m, res.setModuleEnabled);
      toast(`已${enabling ? '启用' : '停用'}「${m.title}」`, 'success');
      renderCard(card, m, opts);
      card.querySelector('[role=switch]').focus();
    } catch (err) {
      switchBtn.disabled = false;
      toast(errorMessage(err), 'error');
    }
  });

  inherit?.addEventListener('click', async () => {
    try {
      const res = await gql(SET_ENABLED, { c: regionId, m: m.name, e: null });
      Object.assign(m, res.setModuleEnabled);
      toast(`「${m.title}」已改为沿用上级设定`, 'success');
      renderCard(card, m, opts);
      card.querySelector('[role=switch]').focus();
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  });

  settingsToggle.addEventListener('click', () => {
    const open = settingsPanel.hidden;
    settingsPanel.hidden = !open;
    settingsToggle.setAttribute('aria-expanded', String(open));
    if (open) {
      buildSettings(settingsPanel, m, opts, card);
      settingsPanel.querySelector('input, select, textarea')?.focus();
    }
  });
}

function buildSettings(panel, m, opts, card) {
  const form = settingsForm(m.settingsSchema, m.settings || {}, { idPrefix: `set-${m.name}` });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存设置');
  const status = h('span', { class: 'save-status', role: 'status' });
  const el = h('form', { class: 'settings-form', novalidate: true },
    h('h3', {}, opts.region ? `默认设置（${opts.where}）` : '模块设置'),
    form.element,
    h('div', { class: 'form-actions' }, save, status));
  clear(panel, el);
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.textContent = '';
    const { value, error } = form.values();
    if (error) { form.focusFirstError(); return; }
    // send only what the admin changed: untouched values stay inherited from the region or the module
    const before = m.settings || {};
    const changed = Object.fromEntries(Object.entries(value)
      .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])));
    save.disabled = true;
    try {
      const res = await gql(UPDATE_SETTINGS, { c: opts.regionId, m: m.name, s: changed });
      Object.assign(m, res.updateModuleSettings);
      form.clearErrors();
      status.textContent = '已保存';
      status.className = 'save-status ok';
      toast(`「${m.title}」设置已保存`, 'success');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'BAD_USER_INPUT') {
        form.showErrors(err.fields, errorMessage(err));
        status.textContent = '保存失败，请修改标红的项目';
        status.className = 'save-status error';
        form.focusFirstError();
      } else {
        status.textContent = errorMessage(err);
        status.className = 'save-status error';
      }
    } finally {
      save.disabled = false;
    }
  });
}

function overridesBlock(rows) {
  const title = h('h3', {}, '自行设定的下级地区');
  if (!rows.length) return h('section', { class: 'overrides' }, title, h('p', { class: 'muted' }, '没有下级地区自行设定，全部沿用此默认。'));
  return h('section', { class: 'overrides' }, title,
    h('ul', { class: 'override-list' }, rows.map((r) => h('li', {},
      h('strong', {}, r.regionName), ` （${label(LEVEL_LABELS, r.level)}）：`,
      r.enabled === null || r.enabled === undefined ? '开关沿用上级' : (r.enabled ? '启用' : '停用'),
      r.settings && Object.keys(r.settings).length ? `；自定设置 ${Object.keys(r.settings).join('、')}` : ''))));
}

