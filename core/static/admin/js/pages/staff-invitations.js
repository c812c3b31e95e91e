// Invitations for module providers' staff (care workers, canteen staff): the community admin
// issues a one-time code; the worker redeems it in the mini-program with their WeChat account
// (redeemStaffInvitation) and can then bind the module's record. Shown on the modules page.

import { gql } from '../api.js';
import { clear, dialog, errorMessage, field, fmtDateTime, h, select, toast } from '../ui.js';

const LIST = `query StaffInvitations { staffInvitations(first: 50) {
  edges { node { id module role name state expiresAt redeemedAt } } } }`;
const CREATE = `mutation CreateStaffInvitation($i: CreateStaffInvitationInput!) {
  createStaffInvitation(input: $i) { code invitation { id module role name state expiresAt redeemedAt } } }`;
const REVOKE = 'mutation RevokeStaffInvitation($id: ID!) { revokeStaffInvitation(id: $id) { id state } }';
const STATE = { PENDING: '待使用', REDEEMED: '已使用', REVOKED: '已撤销', EXPIRED: '已过期' };
const ROLES = [['care_worker', '护理员'], ['canteen_staff', '助餐点工作人员'], ['volunteer', '志愿者'], ['staff', '其他服务人员']];

export async function staffInvitationsCard(ctx, modules) {
  let items;
  try {
    items = (await gql(LIST)).staffInvitations.edges.map((e) => e.node);
  } catch (err) {
    return null; // not an admin of one community
  }
  if (!ctx.alive() || !modules.length) return null;
  const titles = Object.fromEntries(modules.map((m) => [m.name, m.title]));
  const list = h('ul', { class: 'plain', 'aria-label': '邀请列表' });
  const show = () => clear(list, items.length ? items.map((i) => h('li', {},
    `${i.name} · ${titles[i.module] || i.module} · ${ROLES.find(([r]) => r === i.role)?.[1] || i.role} · ${STATE[i.state]}`,
    i.state === 'PENDING' ? [` （${fmtDateTime(i.expiresAt)} 前有效） `, h('button', {
      type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': `撤销${i.name}的邀请`,
      onclick: async () => {
        try {
          await gql(REVOKE, { id: i.id });
          i.state = 'REVOKED';
          show();
        } catch (err) { toast(errorMessage(err), 'error'); }
      } }, '撤销')] : null)) : h('li', { class: 'muted' }, '暂无邀请'));
  show();
  const form = h('form', { class: 'filters', 'aria-label': '邀请服务人员' },
    field('受邀人姓名', h('input', { name: 'name', required: true, maxlength: '50' })),
    field('模块', select('module', modules.map((m) => [m.name, m.title]), modules[0].name)),
    field('身份', select('role', ROLES, 'care_worker')),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '生成邀请码')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    try {
      const made = (await gql(CREATE, { i: { name: v.name, module: v.module, role: v.role } })).createStaffInvitation;
      items = [made.invitation, ...items];
      show();
      form.reset();
      await dialog({ title: '邀请码（仅显示一次）', confirmText: '我已记下', cancelText: '关闭',
        body: h('p', {}, `请将邀请码交给 ${made.invitation.name}：`, h('strong', { class: 'mono invitation-code' }, made.code),
          '。对方在小程序中用微信登录后输入邀请码即可加入本社区。') });
    } catch (err) { toast(errorMessage(err), 'error'); }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'staff-invitations' },
    h('h2', { id: 'staff-invitations' }, '服务人员邀请'),
    h('p', { class: 'muted' }, '护理员、助餐点工作人员等服务机构人员不是本社区居民时，用邀请码加入本社区。'), list, form);
}
