// Login with username and password (the API's loginWithPassword).

import { login, session } from '../api.js';
import { clear, h } from '../ui.js';

const ADMIN_ROLES = ['PLATFORM_ADMIN', 'REGION_ADMIN', 'COMMUNITY_ADMIN', 'HOTLINE_OPERATOR', 'DEPARTMENT_STAFF'];

export function render(root, { onLoggedIn, error } = {}) {
  const message = h('div', { class: 'alert alert-error', role: 'alert', id: 'login-error', hidden: !error }, error || '');
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'off', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password',
    required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, '登录');
  const form = h('form', { class: 'login-form', 'aria-describedby': 'login-error', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'username' }, '用户名'), username),
    h('div', { class: 'field' }, h('label', { for: 'password' }, '密码'), password),
    message, submit);

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
      const s = await login(username.value.trim(), password.value);
      if (!ADMIN_ROLES.includes(s.viewer.role)) {
        session.clear();
        throw new Error('此账号没有管理后台权限（仅限管理员、热线话务员和职能部门）');
      }
      onLoggedIn();
    } catch (err) {
      message.textContent = err.code === 'UNAUTHENTICATED' || /password|密码/i.test(err.message)
        ? `登录失败：${err.message}` : err.message;
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
