// 居民议事 in the admin console (a page of the consultation module, loaded by the console from
// the module's package): open and edit topics (votes, hearings, evaluations: options, deadline,
// who may take part), watch the anonymous results and participation per grid (refreshed while
// the page is open), read written opinions, and publish the resolution after the deadline.

const FIELDS = `id kind title body options { id label } audience gridId deadline hearingAt location state
  voterCount opinionCount participationRate resolution { text byName publishedAt }`;
const LIST = `query ConsultationTopics($f: ConsultationTopicFilter, $after: String) {
  consultationTopics(filter: $f, first: 20, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { ${FIELDS} } } }
  grids(first: 100) { edges { node { id name } } } }`;
const TOPIC = `query ConsultationTopic($id: ID!) { consultationTopic(id: $id) { ${FIELDS} }
  grids(first: 100) { edges { node { id name } } } }`;
const RESULTS = `query ConsultationResults($t: ID!) { consultationResults(topicId: $t) { final totalVotes eligibleVoters
  participants participationRate options { optionId label votes }
  grids { gridId votes eligibleVoters participationRate options { optionId votes } } } }`;
const OPINIONS = `query ConsultationOpinions($t: ID!) { consultationOpinions(topicId: $t, first: 50) { totalCount
  edges { node { id text authorName gridId writtenAt } } } }`;
const OPEN = `mutation OpenConsultationTopic($i: OpenConsultationTopicInput!) { openConsultationTopic(input: $i) { id } }`;
const UPDATE = `mutation UpdateConsultationTopic($id: ID!, $i: UpdateConsultationTopicInput!) {
  updateConsultationTopic(id: $id, input: $i) { id } }`;
const RESOLVE = `mutation ResolveConsultationTopic($id: ID!, $r: String!) {
  resolveConsultationTopic(id: $id, resolution: $r) { id state } }`;

const KINDS = [['VOTE', '表决'], ['HEARING', '听证'], ['EVALUATION', '评议']];
const AUDIENCES = [['ALL_RESIDENTS', '全体居民'], ['HOUSEHOLD_HEADS', '户主'], ['GRID', '本网格居民']];
const STATES = [['', '全部'], ['OPEN', '进行中'], ['CLOSED', '已截止待决议'], ['RESOLVED', '已公布决议']];
const STATE_TEXT = { OPEN: '进行中', CLOSED: '已截止', RESOLVED: '已决议' };
const REFRESH_MS = 5000;

const text = (pairs, key) => (pairs.find(([k]) => k === key) || [key, key])[1];
const pct = (rate) => (rate == null ? '—' : `${(rate * 100).toFixed(1)}%`);
const local = (iso) => {  // an ISO instant as the value of <input type="datetime-local"> (browser time)
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};
const instant = (value) => (value ? new Date(value).toISOString() : null);
const gridNames = (data) => new Map(data.grids.edges.map((e) => [e.node.id, e.node.name]));

export async function render(ctx) {
  const [id] = ctx.params;
  return id ? detail(ctx, id) : list(ctx);
}

// -- the list, and the form that opens a topic --------------------------------------------
async function list(ctx) {
  const { h, clear, table, field, select, toast, errorMessage, fmtDateTime, loading } = ctx.ui;
  const state = ctx.query.state || '';
  clear(ctx.main, h('h1', {}, '居民议事'), loading());
  const data = await ctx.gql(LIST, { f: state ? { state } : null });
  if (!ctx.alive()) return;
  const names = gridNames(data);
  const conn = data.consultationTopics;
  const filter = select('state', STATES, state, { 'aria-label': '议题状态' });
  filter.addEventListener('change', () => ctx.navigate(`#/m/consultation/topics${filter.value ? `?state=${filter.value}` : ''}`));
  const rows = conn.edges.map(({ node: t }) => h('tr', {},
    h('td', {}, h('a', { href: `#/m/consultation/topics/${t.id}` }, t.title)),
    h('td', {}, text(KINDS, t.kind)),
    h('td', {}, t.audience === 'GRID' ? names.get(t.gridId) || '网格' : text(AUDIENCES, t.audience)),
    h('td', {}, h('span', { class: `badge state-${t.state.toLowerCase()}` }, STATE_TEXT[t.state])),
    h('td', {}, fmtDateTime(t.deadline)),
    h('td', {}, String(t.kind === 'HEARING' ? t.opinionCount : t.voterCount)),
    h('td', {}, pct(t.participationRate))));
  clear(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, '居民议事'),
      h('p', { class: 'muted' }, '发起表决、听证与评议；截止后公布决议并通知参与居民。结果匿名统计，按网格显示参与率。')),
    h('div', { class: 'filters' }, field('状态', filter)),
    h('p', { class: 'result-count', role: 'status' }, `共 ${conn.totalCount} 个议题`),
    table(['议题', '类型', '参与范围', '状态', '截止时间', '参与人数', '参与率'], rows,
      { caption: '议题列表', empty: '暂无议题' }),
    topicForm(ctx, names, null, async (input) => {
      try {
        const opened = (await ctx.gql(OPEN, { i: input })).openConsultationTopic;
        toast('议题已发起');
        ctx.navigate(`#/m/consultation/topics/${opened.id}`);
      } catch (err) { toast(errorMessage(err), 'error'); }
    }));
}

function topicForm(ctx, names, topic, submit) {
  const { h, field, select } = ctx.ui;
  const editing = !!topic;
  const kind = select('kind', KINDS, topic?.kind || 'VOTE', { disabled: editing });
  const title = h('input', { name: 'title', required: true, maxlength: 60, value: topic?.title || '' });
  const body = h('textarea', { name: 'body', maxlength: 5000, rows: 3 }, topic?.body || '');
  const options = h('textarea', { name: 'options', rows: 3, maxlength: 500 },
    (topic?.options || []).map((o) => o.label).join('\n'));
  const audience = select('audience', AUDIENCES, topic?.audience || 'ALL_RESIDENTS', { disabled: editing });
  const grid = select('gridId', [...names].map(([gid, name]) => [gid, name]), topic?.gridId || '', { disabled: editing });
  const deadline = h('input', { name: 'deadline', type: 'datetime-local', required: true, value: local(topic?.deadline) });
  const hearingAt = h('input', { name: 'hearingAt', type: 'datetime-local', value: local(topic?.hearingAt) });
  const location = h('input', { name: 'location', maxlength: 100, value: topic?.location || '' });
  const gridField = field('网格', grid);
  const optionsField = field('选项（每行一个）', options, '评议默认：满意 / 基本满意 / 不满意；听证不设选项');
  const hearing = h('div', {}, field('听证时间', hearingAt), field('听证地点', location));
  const sync = () => {
    gridField.hidden = audience.value !== 'GRID';
    optionsField.hidden = kind.value === 'HEARING';
    hearing.hidden = kind.value !== 'HEARING';
  };
  kind.addEventListener('change', sync);
  audience.addEventListener('change', sync);
  sync();
  const form = h('form', { class: 'card consultation-form', 'aria-label': editing ? '修改议题' : '发起议题' },
    h('h2', {}, editing ? '修改议题' : '发起议题'),
    field('类型', kind), field('标题', title), field('说明', body), optionsField,
    field('参与范围', audience), gridField, field('截止时间', deadline), hearing,
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' },
      editing ? '保存修改' : '发起议题')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const labels = options.value.split('\n').map((s) => s.trim()).filter(Boolean);
    const input = { title: title.value, body: body.value || null, deadline: instant(deadline.value) };
    if (kind.value === 'HEARING') Object.assign(input, { hearingAt: instant(hearingAt.value), location: location.value });
    if (kind.value !== 'HEARING' && (labels.length || !editing)) input.options = labels.length ? labels : null;
    if (!editing) {
      Object.assign(input, { kind: kind.value, audience: audience.value });
      if (audience.value === 'GRID') input.gridId = grid.value;
    }
    await submit(input);
  });
  return form;
}

// -- one topic: results per grid (live), opinions, edit, resolution --------------------------
async function detail(ctx, id) {
  const { h, clear, table, field, toast, errorMessage, fmtDateTime, loading, dl } = ctx.ui;
  clear(ctx.main, h('h1', {}, '议题详情'), loading());
  const data = await ctx.gql(TOPIC, { id });
  if (!ctx.alive()) return undefined;
  const t = data.consultationTopic;
  const names = gridNames(data);
  const results = h('section', { 'aria-label': '投票结果', 'aria-live': 'polite' });
  const opinions = h('section', { 'aria-label': '书面意见' });

  const showResults = async () => {
    const r = (await ctx.gql(RESULTS, { t: id })).consultationResults;
    if (!ctx.alive()) return;
    const labels = new Map(r.options.map((o) => [o.optionId, o.label]));
    const options = r.options.map((o) => h('tr', {}, h('td', {}, o.label), h('td', {}, String(o.votes)),
      h('td', {}, r.totalVotes ? `${((o.votes / r.totalVotes) * 100).toFixed(1)}%` : '—')));
    const grids = r.grids.map((g) => h('tr', {}, h('td', {}, g.gridId ? names.get(g.gridId) || g.gridId : '未分网格'),
      h('td', {}, String(g.eligibleVoters)), h('td', {}, String(g.votes)), h('td', {}, pct(g.participationRate)),
      h('td', {}, g.options.map((o) => `${labels.get(o.optionId) || o.optionId} ${o.votes}`).join('，'))));
    clear(results,
      h('p', { class: 'result-count', role: 'status', 'data-testid': 'participation' },
        `参与 ${r.participants} / ${r.eligibleVoters} 人，参与率 ${pct(r.participationRate)}${r.final ? '（决议时）' : ''}`),
      t.kind === 'HEARING' ? null : table(['选项', '票数', '占比'], options, { caption: '各选项票数' }),
      h('h3', {}, '各网格参与情况'),
      table(['网格', '可参与', '已参与', '参与率', '分项'], grids, { caption: '各网格参与情况', empty: '暂无可参与居民' }));
  };

  const showOpinions = async () => {
    const conn = (await ctx.gql(OPINIONS, { t: id })).consultationOpinions;
    if (!ctx.alive()) return;
    const rows = conn.edges.map(({ node: o }) => h('tr', {}, h('td', {}, o.authorName || '居民'),
      h('td', {}, o.gridId ? names.get(o.gridId) || '' : '—'), h('td', {}, o.text), h('td', {}, fmtDateTime(o.writtenAt))));
    clear(opinions, h('p', { class: 'result-count' }, `共 ${conn.totalCount} 条书面意见`),
      table(['居民', '网格', '意见', '时间'], rows, { caption: '书面意见', empty: '暂无书面意见' }));
  };

  const resolution = h('textarea', { name: 'resolution', required: true, maxlength: 5000, rows: 3 });
  const resolve = t.state === 'CLOSED' ? h('form', { class: 'card', 'aria-label': '公布决议' },
    h('h2', {}, '公布决议'), field('决议内容', resolution),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '公布决议'))) : null;
  resolve?.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await ctx.gql(RESOLVE, { id, r: resolution.value });
      toast('决议已公布，已通知参与居民');
      ctx.navigate(`#/m/consultation/topics/${id}?resolved=1`);
    } catch (err) { toast(errorMessage(err), 'error'); }
  });
  const edit = t.state === 'OPEN' ? topicForm(ctx, names, t, async (input) => {
    try {
      await ctx.gql(UPDATE, { id, i: input });
      toast('议题已修改');
      ctx.navigate(`#/m/consultation/topics/${id}?saved=${Date.now()}`);
    } catch (err) { toast(errorMessage(err), 'error'); }
  }) : null;

  clear(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, t.title),
      h('p', {}, h('a', { href: '#/m/consultation/topics' }, '返回议题列表'))),
    dl([['类型', text(KINDS, t.kind)], ['参与范围', t.audience === 'GRID' ? names.get(t.gridId) : text(AUDIENCES, t.audience)],
      ['状态', STATE_TEXT[t.state]], ['截止时间', fmtDateTime(t.deadline)],
      t.kind === 'HEARING' ? ['听证', `${fmtDateTime(t.hearingAt)} ${t.location || ''}`] : null,
      ['说明', t.body], t.resolution ? ['决议', `${t.resolution.text}（${t.resolution.byName || ''}）`] : null]),
    h('h2', {}, '结果与参与率'), results, resolve, h('h2', {}, '书面意见'), opinions, edit);
  await Promise.all([showResults(), showOpinions()]);
  if (t.state !== 'OPEN') return undefined;
  const timer = setInterval(() => { showResults().catch(() => {}); }, REFRESH_MS);  // live while voting runs
  return () => clearInterval(timer);
}
