// Login with username and password (the API's loginWithPassword).

import { login, redeemReset, session } from '../api.js';
import { clear, dialog, field, h, toast, zh } from '../ui.js';

const ADMIN_ROLES = ['PLATFORM_ADMIN', 'REGION_ADMIN', 'COMMUNITY_ADMIN', 'HOTLINE_OPERATOR', 'DEPARTMENT_STAFF'];

export function render(root, { onLoggedIn, error } = {}) {
  const message = h('div', { class: 'alert alert-error', role: 'alert', id: 'login-error', hidden: !error }, error || '');
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'off', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password',
    required: true });
  const totp = h('input', { id: 'totp', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code',
    maxlength: 6 });
  const totpField = h('div', { class: 'field', hidden: true }, h('label', { for: 'totp' }, '动态验证码'), totp);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, '登录');
  const resetLink = h('button', { type: 'button', class: 'btn btn-ghost btn-block', onclick: () => redeem() },
    '使用重置码设置新密码');
  const form = h('form', { class: 'login-form', 'aria-describedby': 'login-error', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'username' }, '用户名'), username),
    h('div', { class: 'field' }, h('label', { for: 'password' }, '密码'), password),
    totpField, message, submit, resetLink);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!username.value.trim() || !password.value) {
      message.textContent = '请输入用户名和密码';
      message.hidden = false;
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = '登录中…';
    message.hidden = true;
    try {
      const s = await login(username.value.trim(), password.value, totpField.hidden ? null : totp.value.trim());
      if (!ADMIN_ROLES.includes(s.viewer.role)) {
        session.clear();
        throw new Error('此账号没有管理后台权限（仅限管理员、热线话务员和职能部门）');
      }
      onLoggedIn();
    } catch (err) {
      if (err.reason === 'TOTP_REQUIRED' || err.reason === 'TOTP_INVALID') {
        totpField.hidden = false;
        message.textContent = zh(err.message);
        message.hidden = false;
        totp.select();
        totp.focus();
        return;
      }
      message.textContent = err.code === 'UNAUTHENTICATED' || /password|密码/i.test(err.message)
        ? `登录失败：${zh(err.message)}` : zh(err.message);
      message.hidden = false;
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = '登录';
    }
  });

  clear(root, h('main', { id: 'main', class: 'login-page' },
    h('section', { class: 'login-card', 'aria-labelledby': 'login-title' },
      h('div', { class: 'brand brand-large' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '社'), '社区+'),
      h('h1', { id: 'login-title' }, '管理后台登录'),
      h('p', { class: 'muted' }, '社区、街道及区域管理员使用账号密码登录。'),
      form)));
  username.focus();
}

async function redeem() {
  const values = await dialog({ title: '使用重置码设置新密码', confirmText: '设置新密码',
    body: h('div', {}, field('重置码', h('input', { name: 'code', required: true, autocomplete: 'off' }), '由管理员提供，仅可使用一次'),
      field('新密码', h('input', { name: 'password', type: 'password', required: true, minlength: 8,
        autocomplete: 'new-password' }), '至少 8 位')) });
  if (!values) return;
  try {
    await redeemReset(values.code.trim(), values.password);
    toast('新密码已生效，请登录', 'success');
  } catch (err) {
    toast(zh(err.message), 'error');
  }
}
