// Console shell: session check, scope picker, navigation and a small hash router.

import { gql, gqlUpload, logout, session } from './api.js';
import { clear, errorBox, h, loading, roleLabel, toast } from './ui.js';
import * as ui from './ui.js';
import * as loginPage from './pages/login.js';
import * as dashboardPage from './pages/dashboard.js';
import * as modulesPage from './pages/modules.js';
import * as workOrdersPage from './pages/work-orders.js';
import * as residentsPage from './pages/residents.js';
import * as gridsPage from './pages/grids.js';
import * as auditPage from './pages/audit.js';
import * as hotlinePage from './pages/hotline.js';
import * as linkagePage from './pages/linkage.js';
import * as staffPage from './pages/staff.js';

export const ADMIN_ROLES = ['PLATFORM_ADMIN', 'REGION_ADMIN', 'COMMUNITY_ADMIN'];
// desk roles: each sees only its own pages
const DESK_PAGES = { HOTLINE_OPERATOR: ['/hotline'], DEPARTMENT_STAFF: ['/linkage'] };
const CONSOLE_ROLES = [...ADMIN_ROLES, ...Object.keys(DESK_PAGES)];

const NAV = [
  { path: '/dashboard', text: '数据概览', page: dashboardPage },
  { path: '/modules', text: '模块管理', page: modulesPage },
  { path: '/work-orders', text: '工单受理', page: workOrdersPage },
  { path: '/residents', text: '居民信息', page: residentsPage },
  { path: '/grids', text: '网格管理', page: gridsPage },
  { path: '/audit', text: '审计日志', page: auditPage },
  { path: '/hotline', text: '12349热线', page: hotlinePage, roles: ['HOTLINE_OPERATOR'] },
  { path: '/linkage', text: '联动指挥', page: linkagePage, roles: ['REGION_ADMIN', 'COMMUNITY_ADMIN', 'DEPARTMENT_STAFF'] },
  { path: '/staff', text: '工作人员', page: staffPage },
];

const navFor = (role) => [...NAV.filter((n) => (DESK_PAGES[role] ? DESK_PAGES[role].includes(n.path)
  : !n.roles || n.roles.includes(role))), ...(context?.modulePages || [])];

// -- pages contributed by modules (Module.console_pages): only those of the modules enabled in
// the chosen community, for the viewer's role; each page's script comes from the module itself.
const MODULE_PAGES = `query ModuleConsolePages($c: ID) {
  modules(communityId: $c) { name enabled consolePages { path title script roles } } }`;
const SUPERVISORS = ['PLATFORM_ADMIN', 'REGION_ADMIN'];

function modulePage(module, p) {
  return {
    path: `/m/${module}/${p.path}`, text: p.title, module,
    page: {
      async render(ctx) {
        const loaded = await import(p.script);
        return loaded.render({ ...ctx, module, gql, gqlUpload, ui });
      },
    },
  };
}

async function loadModulePages() {
  const key = context.scope ? `${context.scope.kind}:${context.scope.id}` : '';
  if (context.modulePagesFor === key) return false;
  let pages = [];
  const role = context.viewer.role;
  if (context.scope?.kind === 'community' && !DESK_PAGES[role]) {
    try {
      const data = await gql(MODULE_PAGES, { c: context.scope.id });
      for (const m of data.modules.filter((x) => x.enabled)) {
        for (const p of m.consolePages) {
          const shown = p.roles.includes(role) || (SUPERVISORS.includes(role) && p.roles.includes('COMMUNITY_ADMIN'));
          if (shown) pages.push(modulePage(m.name, p));
        }
      }
    } catch { pages = []; /* the core pages still work */ }
  }
  context.modulePages = pages;
  context.modulePagesFor = key;
  return true;
}

function navList() {
  return h('ul', {}, navFor(context.viewer.role).map((n) => h('li', {},
    h('a', { href: `#${n.path}`, 'data-path': n.path, ...(n.module ? { 'data-module': n.module } : {}) }, n.text))));
}

const app = document.getElementById('app');
let context = null; // {viewer, communities, regions, scope}
let renderToken = 0;
let cleanup = null;
let lastPath = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/dashboard';
  const [path, qs] = raw.split('?');
  return { path: path || '/dashboard', query: Object.fromEntries(new URLSearchParams(qs || '')) };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// -- boot: who am I, which communities can I act in ------------------------------------------
const BOOT = `query Boot {
  me { id name role communityId regionId community { id name ancestors { id name level } } }
  communities(first: 100) { totalCount edges { node { id name ancestors { id name level } } } }
  regions { id name level }
}`;

async function loadContext() {
  const data = await gql(BOOT);
  const viewer = data.me;
  if (!viewer || !CONSOLE_ROLES.includes(viewer.role)) {
    session.clear();
    throw Object.assign(new Error('此账号没有管理后台权限（仅限管理员、热线话务员和职能部门）'), { code: 'FORBIDDEN' });
  }
  const communities = data.communities.edges.map((e) => e.node);
  const regionName = (id) => {
    for (const c of communities) {
      const a = c.ancestors.find((x) => x.id === id);
      if (a) return { name: a.name, level: a.level };
    }
    const top = data.regions.find((r) => r.id === id);
    return top ? { name: top.name, level: top.level } : { name: '本辖区', level: '' };
  };
  const scopes = [];
  if (DESK_PAGES[viewer.role]) {
    scopes.push({ kind: 'desk', id: viewer.regionId || viewer.id, name: regionName(viewer.regionId).name });
  } else if (viewer.role === 'COMMUNITY_ADMIN') {
    scopes.push({ kind: 'community', id: viewer.communityId, name: viewer.community?.name || '本社区' });
  } else {
    if (viewer.role === 'REGION_ADMIN') {
      const r = regionName(viewer.regionId);
      scopes.push({ kind: 'region', id: viewer.regionId, name: `${r.name}（全辖区）`, level: r.level });
    } else {
      for (const r of data.regions) scopes.push({ kind: 'region', id: r.id, name: `${r.name}（全辖区）`, level: r.level });
    }
    for (const c of communities) scopes.push({ kind: 'community', id: c.id, name: c.name });
  }
  let scope = session.scope();
  if (!scope || !scopes.some((s) => s.kind === scope.kind && s.id === scope.id)) {
    scope = scopes[0] || null;
    session.setScope(scope);
  }
  return { viewer, communities, scopes, scope, truncated: data.communities.totalCount > communities.length };
}

// -- layout ------------------------------------------------------------------------------
function scopePicker() {
  if (context.scopes.length <= 1) {
    return h('span', { class: 'scope-name', 'data-testid': 'scope-name' }, context.scope?.name || '');
  }
  const sel = h('select', {
    id: 'scope-select', class: 'scope-select',
    onchange: () => {
      const [kind, id] = sel.value.split(':');
      context.scope = context.scopes.find((s) => s.kind === kind && s.id === id);
      session.setScope(context.scope);
      toast(`已切换到 ${context.scope.name}`);
      route();
    },
  }, ...scopeOptions());
  return h('span', { class: 'scope-picker' }, h('label', { for: 'scope-select' }, '管理范围'), sel);
}

function scopeOptions() {
  const option = (s) => h('option', {
    value: `${s.kind}:${s.id}`, selected: s.kind === context.scope?.kind && s.id === context.scope?.id,
  }, s.name);
  const regions = context.scopes.filter((s) => s.kind === 'region');
  const communities = context.scopes.filter((s) => s.kind === 'community');
  return [
    regions.length ? h('optgroup', { label: '辖区（默认设置与汇总）' }, regions.map(option)) : null,
    communities.length ? h('optgroup', { label: context.truncated ? '社区（仅列出前 100 个）' : '社区' },
      communities.map(option)) : null,
  ];
}

function shell() {
  const v = context.viewer;
  const nav = h('nav', { class: 'sidenav', 'aria-label': '主导航' }, navList());
  const main = h('main', { id: 'main', tabindex: '-1' });
  const skip = h('button', { class: 'skip-link', type: 'button', onclick: () => main.focus() }, '跳到主要内容');
  const header = h('header', { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '社'), '社区+ 管理后台'),
    h('div', { class: 'topbar-scope' }, scopePicker()),
    h('div', { class: 'topbar-user' },
      h('span', { class: 'user-name' }, v.name), h('span', { class: 'user-role' }, roleLabel(v.role)),
      h('button', {
        type: 'button', class: 'btn btn-ghost', onclick: async () => {
          await logout();
          context = null;
          navigate('#/login');
        },
      }, '退出登录')));
  clear(app, skip, header, h('div', { class: 'layout' }, nav, main));
  return main;
}

function markNav(path) {
  for (const a of app.querySelectorAll('.sidenav a')) {
    const active = path === a.dataset.path || path.startsWith(`${a.dataset.path}/`);
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// -- routing -------------------------------------------------------------------------------
async function route(force = false, { initial = false } = {}) {
  const token = ++renderToken;
  const { path, query } = parseHash();
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }

  if (path === '/login' || !session.get()) {
    context = null;
    lastPath = '/login';
    document.title = '登录 - 社区+ 管理后台';
    cleanup = loginPage.render(app, {
      onLoggedIn: () => {
        const next = sessionStorage.getItem('cp.admin.next') || '#/dashboard';
        sessionStorage.removeItem('cp.admin.next');
        navigate(next === '#/login' ? '#/dashboard' : next);
      },
    });
    if (path !== '/login') {
      sessionStorage.setItem('cp.admin.next', location.hash || '#/dashboard');
      history.replaceState(null, '', '#/login');
    }
    return;
  }

  if (!context) {
    clear(app, loading('正在加载…'));
    try {
      context = await loadContext();
    } catch (err) {
      if (token !== renderToken) return;
      if (!session.get()) {
        cleanup = loginPage.render(app, { onLoggedIn: () => navigate('#/dashboard'), error: err.message });
        history.replaceState(null, '', '#/login');
        return;
      }
      clear(app, h('main', { id: 'main', class: 'boot-error' }, errorBox(err),
        h('button', { class: 'btn', type: 'button', onclick: () => route(true) }, '重试')));
      return;
    }
    if (token !== renderToken) return;
    shell();
    lastPath = null;
  } else if (!app.querySelector('#main')) {
    shell();
  }

  if (await loadModulePages()) {
    if (token !== renderToken) return;
    const nav = app.querySelector('nav.sidenav');
    if (nav) clear(nav, navList());
  }
  const allowed = navFor(context.viewer.role);
  const entry = allowed.find((n) => path === n.path || path.startsWith(`${n.path}/`));
  if (!entry) { navigate(`#${allowed[0].path}`); return; }
  markNav(path);
  const main = app.querySelector('#main');
  const pathChanged = force || lastPath !== path;
  lastPath = path;
  document.title = `${entry.text} - 社区+ 管理后台`;
  const ctx = {
    main, path, query, params: path.slice(entry.path.length + 1).split('/').filter(Boolean),
    viewer: context.viewer, scope: context.scope, communities: context.communities, context,
    alive: () => token === renderToken, navigate,
  };
  try {
    const maybe = await entry.page.render(ctx);
    if (token === renderToken && typeof maybe === 'function') cleanup = maybe;
    if (token === renderToken && pathChanged && !initial) {
      const heading = main.querySelector('h1');
      if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
    }
  } catch (err) {
    if (token !== renderToken) return;
    clear(main, h('h1', {}, entry.text), errorBox(err));
  }
}

window.addEventListener('hashchange', () => route());
window.addEventListener('cp:session-expired', () => {
  if (parseHash().path === '/login') return;
  context = null;
  toast('登录已过期，请重新登录', 'error');
  sessionStorage.setItem('cp.admin.next', location.hash);
  navigate('#/login');
});

route(false, { initial: true });
