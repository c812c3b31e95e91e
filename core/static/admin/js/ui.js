// Small DOM helpers, Chinese labels and formatting. Data is always inserted as text, never as HTML.

/** h('button', {class: 'btn', onclick: fn, 'aria-label': '…'}, 'text', child…) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'required') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

// -- labels ------------------------------------------------------------------------------
export const STATE_LABELS = {
  SUBMITTED: '待受理', ACCEPTED: '已受理', ASSIGNED: '已派单', IN_PROGRESS: '处理中',
  RESOLVED: '已办结', CLOSED: '已关闭', REJECTED: '已驳回', CANCELLED: '已撤销',
};
export const STATES = Object.keys(STATE_LABELS);
export const OPEN_STATES = ['SUBMITTED', 'ACCEPTED', 'ASSIGNED', 'IN_PROGRESS'];

export const TAG_LABELS = {
  ELDERLY: '老年人', CHILD: '儿童', DISABLED: '残疾人', LOW_INCOME: '低收入', LEFT_BEHIND: '留守人员',
  VETERAN: '退役军人', NEW_CITIZEN: '新市民', LIVING_ALONE: '独居', SPECIAL_CARE: '特殊关爱',
};

export const ROLE_LABELS = {
  PLATFORM_ADMIN: '平台管理员', REGION_ADMIN: '区域管理员', COMMUNITY_ADMIN: '社区管理员',
  GRID_WORKER: '网格员', RESIDENT: '居民', SYSTEM: '系统', HOTLINE_OPERATOR: '热线话务员',
  DEPARTMENT_STAFF: '职能部门',
};

export const ACTION_LABELS = {
  submit: '提交', accept: '受理', reject: '驳回', assign: '派单', start: '开始处理', resolve: '办结',
  rate: '评价', cancel: '撤销', note: '备注', create: '新建', update: '修改', reveal: '查看敏感信息',
  set_module_enabled: '模块开关', wechat_bind: '微信绑定', binding_approve: '通过绑定申请',
  guardianship_add: '添加监护关系', guardianship_remove: '解除监护关系',
  escalate: '上报', dispatch: '派至部门', hand_back: '退回', return_visit: '回访', lookup_phone: '按号码查找',
  guardian_read: '监护人查看', visit: '走访', visit_history_read: '查看走访记录', visit_plan_set: '设置走访计划',
  import_start: '开始导入', import: '批量导入', staff_invite: '邀请服务人员', staff_invite_redeem: '服务人员加入',
  staff_invite_revoke: '撤销邀请',
  update_module_settings: '修改模块设置',
  create_staff: '新建工作人员', disable_staff: '停用账号', enable_staff: '启用账号', update_staff_role: '调整角色范围',
  issue_password_reset: '签发密码重置码', redeem_password_reset: '使用重置码', change_own_password: '修改本人密码',
  unlock_staff: '解锁账号', reset_totp: '重置动态验证码', lock_account: '账号锁定', enable_totp: '开启动态验证码',
};

export const ENTITY_LABELS = {
  resident: '居民', work_order: '工单', module: '模块', resident_import: '居民导入', visit_plan: '走访计划',
  staff_invitation: '服务人员邀请', staff: '工作人员',
};

export const LEVEL_LABELS = {
  province: '省', city: '市', district: '区县', street: '街道', community: '社区',
  PROVINCE: '省', CITY: '市', DISTRICT: '区县', STREET: '街道', COMMUNITY: '社区',
  DEPARTMENT: '职能部门',
};

export const RELATION_LABELS = { self: '户主', spouse: '配偶', child: '子女', parent: '父母' };

export const label = (map, key) => (key == null ? '—' : map[key] ?? map[String(key).toUpperCase()] ?? key);
export const roleLabel = (r) => label(ROLE_LABELS, r && String(r).toUpperCase());

// -- formatting ----------------------------------------------------------------------------
const dtFormat = new Intl.DateTimeFormat('zh-CN', {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});
const dFormat = new Intl.DateTimeFormat('zh-CN', { year: 'numeric', month: '2-digit', day: '2-digit' });

export function fmtDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dtFormat.format(d);
}

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dFormat.format(d);
}

export function fmtNumber(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function fmtHours(v) {
  if (v === null || v === undefined) return '—';
  return v >= 48 ? `${(v / 24).toFixed(1)} 天` : `${v.toFixed(1)} 小时`;
}

export function stateBadge(state) {
  return h('span', { class: `badge state-${String(state).toLowerCase()}` }, label(STATE_LABELS, state));
}

// -- feedback ------------------------------------------------------------------------------
/** Announce a status message (polite live region) and show it briefly. */
export function toast(message, kind = 'info') {
  const region = document.getElementById('toast');
  if (!region) return;
  const item = h('div', { class: `toast toast-${kind}` }, message);
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** The Chinese message; the English developer hint (and code) only behind a details toggle. */
export function errorBox(err) {
  const hint = /\(([^()]*)\)\s*$/.exec(String(err?.message || ''));
  const details = hint || err?.code
    ? h('details', { class: 'error-details' }, h('summary', {}, '技术细节'),
      h('p', { class: 'small' }, [err?.code, hint && zh(err.message) !== err.message ? hint[1] : null].filter(Boolean).join(' · ')))
    : null;
  return h('div', { class: 'alert alert-error', role: 'alert' }, h('span', {}, errorMessage(err)), details);
}

/** Server messages read "中文 (English)": show the Chinese part when there is one. */
export function zh(message) {
  const m = /^(.*[\u4e00-\u9fff].*?)\s*\(([^()]*)\)\s*$/.exec(String(message || ''));
  return m ? m[1] : String(message || '');
}

export function errorMessage(err) {
  if (!err) return '';
  const code = err.code || '';
  const prefix = {
    FORBIDDEN: '没有权限：', NOT_FOUND: '未找到：', CONFLICT: '操作冲突：', UNAUTHENTICATED: '登录已失效：',
    RATE_LIMITED: '操作过于频繁：', MODULE_DISABLED: '模块未启用：',
  }[code] || '';
  return prefix + zh(err.message || String(err));
}

export function loading(text = '加载中…') {
  return h('p', { class: 'loading', role: 'status' }, text);
}

/**
 * A modal dialog (<dialog>): resolves with the submitted form values, or null when cancelled.
 * `body` is a node or a function building the form's fields.
 */
export function dialog({ title, body, confirmText = '确定', cancelText = '取消', danger = false }) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const form = h('form', { method: 'dialog', class: 'dialog-form' });
    const content = typeof body === 'function' ? body() : body;
    const confirm = h('button', { type: 'submit', class: danger ? 'btn btn-danger' : 'btn btn-primary', value: 'ok' },
      confirmText);
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, cancelText);
    append(form, [h('h2', { id: titleId }, title), content,
      h('div', { class: 'dialog-actions' }, cancel, confirm)]);
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    let result = null;
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', (ev) => {
      if (!form.checkValidity()) { ev.preventDefault(); form.reportValidity(); return; }
      result = Object.fromEntries(new FormData(form).entries());
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector('input, select, textarea');
    (first || (danger ? cancel : confirm)).focus();
  });
}

/** A labelled form control wrapped for layout: field('姓名', h('input', …)). */
export function field(text, control, hint) {
  const id = control.id || (control.id = nextId('in'));
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, text), control, hintEl);
}

export function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs },
    options.map(([v, t]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, t)));
}

/** Read the hash query (#/page?a=1) and build hashes. */
export function hashWith(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== '' && v != null && v !== false) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function table(headers, rows, { caption, empty = '暂无数据' } = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table' },
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, empty)))));
}

export function dl(pairs) {
  return h('dl', { class: 'dl' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}
