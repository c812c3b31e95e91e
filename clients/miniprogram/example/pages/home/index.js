/**
 * Home screen (docs: screens.md, resident §1) — one request: my name and masked phone, my
 * community and grid, my grid worker, the enabled modules, my latest open work orders and
 * the unread notification count. Unbound users get the phone button (bindPhone).
 */
const { operations } = require('@community-plus/miniprogram');

const STATE_TEXT = {
  SUBMITTED: '已提交', ACCEPTED: '已受理', ASSIGNED: '已派单', IN_PROGRESS: '处理中',
  RESOLVED: '已办结', CLOSED: '已关闭', REJECTED: '已驳回', CANCELLED: '已撤销',
};

function pad(n) {
  return (n < 10 ? '0' : '') + n;
}

function formatDue(iso) {
  const d = new Date(iso);
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

Page({
  data: {
    loading: true,
    error: '',
    needsPhone: false,
    name: '',
    phone: '',
    communityName: '',
    gridName: '',
    worker: null,
    modules: [],
    orders: [],
    openCount: 0,
    unread: 0,
  },

  onLoad() {
    // Template ids come from the server; loaded now so the tap can ask WeChat at once.
    getApp().client.loadSubscriptionTemplates().catch(() => {});
    return this.load();
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh());
  },

  async load() {
    const { client } = getApp();
    this.setData({ loading: true, error: '' });
    try {
      if (!client.isLoggedIn) await client.login();
      if (!client.viewer.residentId) {
        // Not linked to a resident record yet: only the phone button makes sense.
        this.setData({ loading: false, needsPhone: true, name: client.viewer.name });
        return;
      }
      const data = await client.query(operations.HomeScreen);
      const resident = data.me && data.me.resident;
      const grid = resident && resident.grid;
      this.setData({
        loading: false,
        needsPhone: !resident,
        name: resident ? resident.name : (data.me ? data.me.name : ''),
        phone: resident && resident.phone ? resident.phone : '',
        communityName: resident ? resident.community.name : '',
        gridName: grid ? grid.name : '',
        worker: grid && grid.workers.length ? grid.workers[0] : null,
        modules: data.modules.filter((m) => m.enabled)
          .map((m) => ({ name: m.name, title: m.title, icon: m.icon || '', page: m.entryPage || '' })),
        orders: data.workOrders.edges.map(({ node }) => ({
          id: node.id,
          title: node.item ? node.item.title : node.title,
          state: STATE_TEXT[node.state] || node.state,
          due: formatDue(node.dueAt),
          overdue: node.overdue,
        })),
        openCount: data.workOrders.totalCount || 0,
        unread: data.unreadNotificationCount,
      });
    } catch (error) {
      this.setData({ loading: false, error: error.message || '加载失败，请下拉重试' });
    }
  },

  /** <button open-type="getPhoneNumber">: bind my resident record. */
  async onGetPhoneNumber(event) {
    try {
      const result = await getApp().client.bindPhone(event);
      if (result.status === 'BOUND') return this.load();
      wx.showToast({ title: '已提交，等待社区审核', icon: 'none' });
    } catch (error) {
      wx.showToast({ title: error.code === 'PHONE_DENIED' ? '需要手机号才能绑定居民档案' : error.message, icon: 'none' });
    }
    return undefined;
  },

  /** Tap: ask to be told when my work orders change (WeChat requires a tap for this). */
  onSubscribe() {
    return getApp().client.requestSubscribeMessage(['work_order_status']).then((answer) => {
      wx.showToast({ title: answer.accepted.length ? '已订阅工单提醒' : '未订阅', icon: 'none' });
    }, (error) => {
      wx.showToast({ title: error.message, icon: 'none' });
    });
  },

  openModule(event) {
    const { page } = event.currentTarget.dataset;
    if (page) wx.navigateTo({ url: page });
  },

  openOrder(event) {
    wx.navigateTo({ url: `/pages/work-orders/detail?id=${event.currentTarget.dataset.id}` });
  },

  callWorker() {
    if (this.data.worker && this.data.worker.phone) wx.makePhoneCall({ phoneNumber: this.data.worker.phone });
  },
});
