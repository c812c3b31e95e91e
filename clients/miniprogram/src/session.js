/**
 * The session: tokens in wx storage, silent WeChat login, refresh and re-login.
 *
 * A request refused with UNAUTHENTICATED is recovered once:
 * - another request already renewed the token meanwhile → retry with the new one;
 * - `extensions.reason` TOKEN_EXPIRED (or no reason given) and a refresh token is held →
 *   `refreshSession`, shared by every request that hit the same expiry (single flight: the
 *   server rotates refresh tokens, so a second concurrent refresh would end the session);
 * - TOKEN_INVALID / SESSION_ENDED (or the refresh failed) → log in again with wx.login for
 *   WeChat sessions (and when nobody is logged in yet, if `autoLogin`); a password session
 *   (staff) ends: storage is cleared and `sessionEnded` is emitted so the app shows its login.
 */
'use strict';

var ops = require('./operations');
var errors = require('./errors');

var RELOGIN_REASONS = ['TOKEN_INVALID', 'SESSION_ENDED', 'SESSION_REVOKED', 'TOKEN_REVOKED'];

function settle(promise, after) {
  return promise.then(function (v) { after(); return v; }, function (e) { after(); throw e; });
}

function wxLogin(wx) {
  return new Promise(function (resolve, reject) {
    wx.login({
      success: function (res) {
        if (res && res.code) resolve(res.code);
        else reject(new errors.CommunityPlusError('WECHAT_LOGIN_FAILED', (res && res.errMsg) || 'wx.login gave no code'));
      },
      fail: function (res) {
        reject(new errors.CommunityPlusError('WECHAT_LOGIN_FAILED', (res && res.errMsg) || 'login:fail'));
      },
    });
  });
}

class Session {
  constructor(client, options) {
    this.client = client;
    this.wx = client.wx;
    this.key = options.storageKey || 'communityPlus.session';
    this.autoLogin = options.autoLogin !== false;
    this.state = this._read();
    this._refreshing = null;
    this._loggingIn = null;
  }

  _read() {
    var value = this.wx.getStorageSync(this.key);
    return value && typeof value === 'object' && value.accessToken ? value : null;
  }

  get accessToken() { return this.state ? this.state.accessToken : null; }
  get refreshToken() { return this.state ? this.state.refreshToken : null; }
  get viewer() { return this.state ? this.state.viewer : null; }

  /** Store an AuthPayload ({accessToken, refreshToken, expiresIn, viewer}). */
  save(auth, kind) {
    this.state = {
      accessToken: auth.accessToken,
      refreshToken: auth.refreshToken,
      expiresAt: Date.now() + (auth.expiresIn || 0) * 1000,
      viewer: auth.viewer || (this.state && this.state.viewer) || null,
      kind: kind || (this.state && this.state.kind) || 'wechat',
    };
    this.wx.setStorageSync(this.key, this.state);
    this.client._emit('session', this.state);
    return this.state;
  }

  clear() {
    this.state = null;
    this.wx.removeStorageSync(this.key);
    this.client._emit('session', null);
  }

  /** Clear the session and tell the app (once per session). */
  end(reason) {
    var had = this.state !== null;
    this.clear();
    if (had) this.client._emit('sessionEnded', { reason: reason });
  }

  /** wx.login → loginWithWechat; concurrent callers share one login. */
  loginWithWechat() {
    var self = this;
    if (this._loggingIn) return this._loggingIn;
    var attempt = wxLogin(this.wx)
      .then(function (code) { return self.client.execute(ops.LoginWithWechat, { code: code }, { auth: false }); })
      .then(function (res) {
        if (!res.data || !res.data.loginWithWechat) throw new errors.GraphQLRequestError(res.errors || []);
        return self.save(res.data.loginWithWechat, 'wechat').viewer;
      });
    this._loggingIn = settle(attempt, function () { self._loggingIn = null; });
    return this._loggingIn;
  }

  /** refreshSession with the stored refresh token; true when new tokens were stored. */
  refresh() {
    var self = this;
    if (this._refreshing) return this._refreshing;
    var token = this.refreshToken;
    if (!token) return Promise.resolve(false);
    var attempt = this.client.execute(ops.RefreshSession, { refreshToken: token }, { auth: false })
      .then(function (res) {
        if (res.data && res.data.refreshSession) {
          if (self.refreshToken !== token) return true; // logged out or in again meanwhile: keep that
          self.save(res.data.refreshSession);
          return true;
        }
        if (errors.findError(res.errors, 'UNAUTHENTICATED')) return false;
        throw new errors.GraphQLRequestError(res.errors || []);
      });
    this._refreshing = settle(attempt, function () { self._refreshing = null; });
    return this._refreshing;
  }

  /**
   * After UNAUTHENTICATED for a request sent with `usedToken` (null: none): true when a new
   * access token is stored and the request should be sent again.
   */
  recover(error, usedToken) {
    var self = this;
    if (this.accessToken && this.accessToken !== usedToken) return Promise.resolve(true);
    var reason = error && error.extensions ? error.extensions.reason : undefined;
    var tryRefresh = usedToken && this.refreshToken && RELOGIN_REASONS.indexOf(reason) < 0;
    var refreshed = tryRefresh ? this.refresh() : Promise.resolve(false);
    return refreshed.then(function (ok) {
      if (ok) return true;
      return self.relogin(reason || (usedToken ? 'TOKEN_INVALID' : 'NOT_LOGGED_IN'));
    });
  }

  relogin(reason) {
    var kind = this.state ? this.state.kind : null;
    var self = this;
    if (kind === 'wechat' || (kind === null && this.autoLogin)) {
      if (kind !== null) this.clear(); // the dead tokens must not be sent again
      return this.loginWithWechat().then(function () { return true; }, function (error) {
        if (kind !== null) self.client._emit('sessionEnded', { reason: reason, error: error });
        throw error;
      });
    }
    this.end(reason);
    return Promise.resolve(false);
  }
}

module.exports = { Session: Session, RELOGIN_REASONS: RELOGIN_REASONS };
