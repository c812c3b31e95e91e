// Staff accounts: list, create, disable/enable, one-time reset codes, unlock; my password and TOTP.

import { gql } from '../api.js';
import { clear, dialog, errorBox, field, fmtDateTime, h, loading, roleLabel, select, table, toast, zh } from '../ui.js';

const LIST = `query Staff($after: String) {
  staffMembers(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id username displayName role communityId disabled lockedUntil totpEnabled community { name } } }
  }
}`;
const GRIDS = `query StaffGrids { grids(first: 100) { edges { node { id name community { id } } } } }`;
const CREATE = `mutation CreateStaff($i: CreateStaffInput!) { createStaff(input: $i) { id username } }`;
const DISABLE = `mutation SetStaffDisabled($id: ID!, $d: Boolean!) { setStaffDisabled(id: $id, disabled: $d) { id disabled } }`;
const RESET = `mutation ResetStaffPassword($id: ID!) { resetStaffPassword(id: $id) { code expiresAt } }`;
const UNLOCK = `mutation UnlockStaff($id: ID!) { unlockStaff(id: $id) { id } }`;
const CHANGE = `mutation ChangeMyPassword($o: String!, $n: String!) { changeMyPassword(oldPassword: $o, newPassword: $n) }`;
const TOTP_START = `mutation StartTotp { startTotpEnrolment { secret provisioningUri } }`;
const TOTP_CONFIRM = `mutation ConfirmTotp($c: String!) { confirmTotp(code: $c) }`;

const RANK = { GRID_WORKER: 1, HOTLINE_OPERATOR: 1, DEPARTMENT_STAFF: 1, COMMUNITY_ADMIN: 2, REGION_ADMIN: 3, PLATFORM_ADMIN: 4 };

export async function render(ctx) {
  const { main, viewer } = ctx;
  clear(main, h('div', { class: 'page-head page-head-row' },
    h('div', {}, h('h1', {}, '工作人员'), h('p', { class: 'muted' }, '管理辖区内角色低于您的工作人员账号；所有操作记入审计日志。')),
    h('button', { type: 'button', class: 'btn btn-primary', onclick: () => createStaff(ctx) }, '新建账号')), loading());
  const data = await gql(LIST, {});
  if (!ctx.alive()) return;
  const rank = RANK[viewer.role] || 0;
  const rows = data.staffMembers.edges.map(({ node: s }) => {
    const manageable = s.id !== viewer.id && (viewer.role === 'PLATFORM_ADMIN' || (RANK[s.role] || 9) < rank);
    const status = s.disabled ? h('span', { class: 'badge badge-danger' }, '已停用')
      : s.lockedUntil ? h('span', { class: 'badge badge-danger' }, `已锁定至 ${fmtDateTime(s.lockedUntil)}`)
        : h('span', { class: 'badge' }, '正常');
    const act = (text, fn, cls = 'btn btn-small') => h('button', { type: 'button', class: cls, onclick: fn,
      'aria-label': `${text}：${s.username}` }, text);
    return h('tr', { 'data-username': s.username },
      h('th', { scope: 'row' }, s.username), h('td', {}, s.displayName || '—'), h('td', {}, roleLabel(s.role)),
      h('td', {}, s.community?.name || '—'), h('td', {}, status, s.totpEnabled ? h('span', { class: 'badge' }, '动态码') : null),
      h('td', { class: 'row-actions' }, manageable ? [
        act(s.disabled ? '启用' : '停用', () => run(ctx, DISABLE, { id: s.id, d: !s.disabled },
          s.disabled ? '已启用' : '已停用，其登录会话已结束'), s.disabled ? 'btn btn-small' : 'btn btn-small btn-danger'),
        act('重置密码', () => resetPassword(s)),
        s.lockedUntil ? act('解锁', () => run(ctx, UNLOCK, { id: s.id }, '已解锁')) : null,
      ] : h('span', { class: 'muted small' }, s.id === viewer.id ? '本人' : '—')));
  });
  main.querySelector('.loading')?.remove();
  main.append(
    h('p', { class: 'result-count' }, `共 ${data.staffMembers.totalCount} 个账号`),
    table(['用户名', '姓名', '角色', '社区', '状态', '操作'], rows, { caption: '工作人员列表', empty: '暂无工作人员' }),
    myAccount(viewer));
}

async function run(ctx, query, variables, done) {
  try {
    await gql(query, variables);
    toast(done, 'success');
    await render(ctx);
  } catch (err) {
    toast(zh(err.message), 'error');
  }
}

async function resetPassword(s) {
  try {
    const r = (await gql(RESET, { id: s.id })).resetStaffPassword;
    await dialog({ title: `${s.username} 的密码重置码`, cancelText: '关闭', confirmText: '已转交',
      body: h('div', {}, h('p', {}, '请把重置码当面或电话转交本人；仅显示这一次，使用一次后失效。'),
        h('p', {}, h('code', { class: 'reset-code', 'data-testid': 'reset-code' }, r.code)),
        h('p', { class: 'muted small' }, `有效期至 ${fmtDateTime(r.expiresAt)}；本人在登录页选择“使用重置码”设置新密码。`)) });
  } catch (err) {
    toast(zh(err.message), 'error');
  }
}

async function createStaff(ctx) {
  const { viewer, communities } = ctx;
  const rank = RANK[viewer.role] || 0;
  const roles = ['COMMUNITY_ADMIN', 'GRID_WORKER'].filter((r) => viewer.role === 'PLATFORM_ADMIN' || RANK[r] < rank);
  let grids = [];
  try { grids = (await gql(GRIDS)).grids.edges.map((e) => e.node); } catch { /* grid workers then cannot be made */ }
  const gridBox = h('select', { name: 'grid' });
  const community = select('communityId', communities.map((c) => [c.id, c.name]), ctx.scope?.kind === 'community' ? ctx.scope.id : '');
  const fillGrids = () => clear(gridBox, grids.filter((g) => g.community.id === community.value)
    .map((g) => h('option', { value: g.id }, g.name)));
  community.addEventListener('change', fillGrids);
  fillGrids();
  const values = await dialog({ title: '新建工作人员账号', confirmText: '创建',
    body: h('div', {},
      field('用户名', h('input', { name: 'username', required: true, autocomplete: 'off' })),
      field('姓名', h('input', { name: 'displayName', required: true })),
      field('初始密码', h('input', { name: 'password', type: 'password', required: true, minlength: 8,
        autocomplete: 'new-password' }), '至少 8 位；请本人登录后修改'),
      field('角色', select('role', roles.map((r) => [r, roleLabel(r)]), roles[roles.length - 1])),
      field('社区', community), field('网格（网格员）', gridBox)) });
  if (!values) return;
  const input = { username: values.username, displayName: values.displayName, password: values.password,
    role: values.role, communityId: values.communityId };
  if (values.role === 'GRID_WORKER') input.gridIds = values.grid ? [values.grid] : [];
  await run(ctx, CREATE, { i: input }, `已创建账号 ${values.username}`);
}

function myAccount(viewer) {
  const status = h('div', { role: 'status', class: 'save-status' });
  const oldPw = h('input', { type: 'password', name: 'old', autocomplete: 'current-password', required: true });
  const newPw = h('input', { type: 'password', name: 'new', autocomplete: 'new-password', required: true, minlength: 8 });
  const form = h('form', { class: 'settings-form', novalidate: true },
    field('当前密码', oldPw), field('新密码', newPw, '至少 8 位；其他设备上的登录将退出'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '修改密码'), status));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await gql(CHANGE, { o: oldPw.value, n: newPw.value });
      status.className = 'save-status ok';
      status.textContent = '密码已修改';
      form.reset();
    } catch (err) {
      status.className = 'save-status error';
      status.textContent = zh(err.message);
    }
  });
  const totpArea = h('div', { class: 'totp' });
  const startTotp = h('button', { type: 'button', class: 'btn', onclick: async () => {
    try {
      const e = (await gql(TOTP_START)).startTotpEnrolment;
      const code = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 });
      const confirmBtn = h('button', { type: 'button', class: 'btn btn-primary', onclick: async () => {
        try {
          await gql(TOTP_CONFIRM, { c: code.value });
          clear(totpArea, h('p', { class: 'save-status ok' }, '已开启动态验证码：今后登录需输入验证器中的 6 位数字。'));
        } catch (err) { clear(totpArea, errorBox(err)); }
      } }, '确认开启');
      clear(totpArea, h('p', {}, '在验证器应用中添加账号（扫描二维码数据或手动输入密钥），再输入显示的 6 位数字：'),
        h('p', {}, '密钥：', h('code', { 'data-testid': 'totp-secret' }, e.secret)),
        h('p', { class: 'small muted wrap-anywhere' }, e.provisioningUri), field('验证码', code), confirmBtn);
    } catch (err) { clear(totpArea, errorBox(err)); }
  } }, '开启动态验证码');
  return h('section', { class: 'card my-account', 'aria-labelledby': 'my-account-title' },
    h('h2', { id: 'my-account-title' }, `我的账号（${viewer.name}）`), form,
    h('h3', {}, '两步验证'), startTotp, totpArea);
}
