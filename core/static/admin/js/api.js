// GraphQL client of the console: the same public /graphql endpoint and tokens as any client.
// Tokens live in sessionStorage (gone when the tab closes); the access token is refreshed
// shortly before it expires, and once more when the server answers UNAUTHENTICATED.

const ENDPOINT = new URL('../graphql', new URL('.', document.baseURI)).pathname;
const KEY = 'cp.admin.session';
const SCOPE_KEY = 'cp.admin.scope';
const EARLY_REFRESH_MS = 60_000;

export class ApiError extends Error {
  constructor(errors, status) {
    const first = (errors && errors[0]) || {};
    super(first.message || `请求失败 (HTTP ${status})`);
    this.errors = errors || [];
    this.code = first.extensions?.code || (status ? `HTTP_${status}` : 'NETWORK');
    this.status = status;
    this.reason = first.extensions?.reason || null;
  }

  /** Field problems of BAD_USER_INPUT errors: path → message. */
  get fields() {
    const out = {};
    for (const e of this.errors) {
      for (const f of e.extensions?.fields || []) out[f.path] = f.message;
    }
    return out;
  }
}

// -- session -----------------------------------------------------------------------------
export const session = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
  },
  save(auth) {
    const s = {
      accessToken: auth.accessToken,
      refreshToken: auth.refreshToken,
      expiresAt: Date.now() + auth.expiresIn * 1000,
      viewer: auth.viewer,
    };
    sessionStorage.setItem(KEY, JSON.stringify(s));
    return s;
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(SCOPE_KEY);
  },
  /** The community or region the console acts in (staff covering several communities). */
  scope() {
    try { return JSON.parse(sessionStorage.getItem(SCOPE_KEY)) || null; } catch { return null; }
  },
  setScope(scope) {
    if (scope) sessionStorage.setItem(SCOPE_KEY, JSON.stringify(scope));
    else sessionStorage.removeItem(SCOPE_KEY);
  },
};

const AUTH_FIELDS = 'accessToken refreshToken expiresIn viewer { id name role communityId regionId }';

async function post(body, headers) {
  let res;
  try {
    res = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError([{ message: '无法连接服务器，请检查网络 (network error)' }], 0);
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (!json) throw new ApiError([{ message: `服务器返回异常 (HTTP ${res.status})` }], res.status);
  return json;
}

let refreshing = null;

/** Exchange the refresh token once, however many requests need it at the same time. */
export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const s = session.get();
      if (!s?.refreshToken) throw new ApiError([{ message: '请先登录', extensions: { code: 'UNAUTHENTICATED' } }]);
      const json = await post({
        query: `mutation Refresh($t: String!) { refreshSession(refreshToken: $t) { ${AUTH_FIELDS} } }`,
        variables: { t: s.refreshToken },
      }, {});
      if (json.errors?.length || !json.data?.refreshSession) {
        session.clear();
        window.dispatchEvent(new CustomEvent('cp:session-expired'));
        throw new ApiError(json.errors, 200);
      }
      return session.save(json.data.refreshSession);
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

function scopeHeaders() {
  const scope = session.scope();
  return scope?.kind === 'community' && scope.id ? { 'X-Community-Id': scope.id } : {};
}

/**
 * Run one operation. Throws ApiError when the answer has errors, unless `partial` is set, in
 * which case `{data, errors}` is returned (a dashboard can show what it got).
 */
export async function gql(query, variables = {}, { partial = false, anonymous = false } = {}) {
  let s = session.get();
  if (!anonymous && s && s.expiresAt - Date.now() < EARLY_REFRESH_MS) {
    try { s = await refresh(); } catch (e) { /* fall through: the request answers UNAUTHENTICATED */ }
  }
  const send = (sess) => post({ query, variables }, {
    ...(sess && !anonymous ? { Authorization: `Bearer ${sess.accessToken}` } : {}),
    ...(anonymous ? {} : scopeHeaders()),
  });
  let json = await send(s);
  const unauthenticated = (j) => (j.errors || []).some((e) => e.extensions?.code === 'UNAUTHENTICATED');
  if (!anonymous && s && unauthenticated(json)) {
    s = await refresh();
    json = await send(s);
  }
  if (unauthenticated(json) && !anonymous) {
    session.clear();
    window.dispatchEvent(new CustomEvent('cp:session-expired'));
  }
  if (json.errors?.length && (!partial || !json.data)) throw new ApiError(json.errors, 200);
  return partial ? { data: json.data, errors: json.errors || [] } : json.data;
}

export async function login(username, password, totpCode = null) {
  const data = await gql(
    `mutation Login($u: String!, $p: String!, $t: String) {
      loginWithPassword(username: $u, password: $p, totpCode: $t) { ${AUTH_FIELDS} } }`,
    { u: username, p: password, t: totpCode || null }, { anonymous: true });
  return session.save(data.loginWithPassword);
}

/** Set a new password with a one-time reset code from an admin (no login needed). */
export async function redeemReset(code, newPassword) {
  await gql('mutation Redeem($c: String!, $p: String!) { redeemPasswordReset(code: $c, newPassword: $p) }',
    { c: code, p: newPassword }, { anonymous: true });
}

/** Download an authenticated file (the resident export) and save it under its server name. */
export async function download(path) {
  let s = session.get();
  if (s && s.expiresAt - Date.now() < EARLY_REFRESH_MS) s = await refresh();
  const url = new URL(`..${path}`, new URL('.', document.baseURI));
  const res = await fetch(url, { headers: { Authorization: `Bearer ${s?.accessToken || ''}`, ...scopeHeaders() },
    credentials: 'omit' });
  if (!res.ok) {
    let json = null;
    try { json = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(json?.errors || [{ message: `下载失败 (HTTP ${res.status})` }], res.status);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || 'export';
  const href = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}

export async function logout() {
  try { await gql('mutation Logout { logout }'); } catch { /* the session ends here anyway */ }
  session.clear();
}

/**
 * A GraphQL multipart request carrying one file at `variables.file` (e.g. importResidents).
 * Sent with Apollo-Require-Preflight (the server's CSRF rule for multipart requests).
 */
export async function gqlUpload(query, variables, file) {
  let s = session.get();
  if (s && s.expiresAt - Date.now() < EARLY_REFRESH_MS) {
    try { s = await refresh(); } catch (e) { /* the request answers UNAUTHENTICATED */ }
  }
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { ...variables, file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', file, file.name);
  let res;
  try {
    res = await fetch(ENDPOINT, {
      method: 'POST', body: form, credentials: 'omit',
      headers: { Accept: 'application/json', 'Apollo-Require-Preflight': 'true',
        ...(s ? { Authorization: `Bearer ${s.accessToken}` } : {}), ...scopeHeaders() },
    });
  } catch (e) {
    throw new ApiError([{ message: '无法连接服务器，请检查网络 (network error)' }], 0);
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (!json) throw new ApiError([{ message: `服务器返回异常 (HTTP ${res.status})` }], res.status);
  if (json.errors?.length) throw new ApiError(json.errors, res.status);
  return json.data;
}
