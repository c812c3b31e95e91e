/**
 * The example mini-program: one Community+ client for the whole app. Pages reach it with
 * getApp().client. The first request that needs a session logs in silently (wx.login).
 */
const { createClient } = require('@community-plus/miniprogram');
const config = require('./config');

App({
  onLaunch() {
    this.client = createClient({ url: config.apiBase });
    this.client.on('sessionEnded', () => {
      wx.showToast({ title: '登录已失效，请重新进入', icon: 'none' });
    });
  },
});
