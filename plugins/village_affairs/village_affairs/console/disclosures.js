// 村务公开 in the admin console (a page of the village_affairs module, loaded by the console from
// the module's package): publish disclosures now or at a set time (with expiry), withdraw them,
// see how many residents read each one and what they asked, answer questions officially, and
// keep the yearly catalogue (what must be disclosed, what is overdue).

const FIELDS = 'id category title period requirementId publishAt expiresAt state readCount questionCount publishedByName';
const PAGE = `query VillageAffairsConsole($f: VillageDisclosureFilter, $y: Int!) {
  villageDisclosures(filter: $f, first: 50) { totalCount edges { node { ${FIELDS} } } }
  villageAffairsQuestions(state: ASKED, first: 50) { totalCount edges { node { id disclosureId text askedAt } } }
  villageDisclosureCatalogueSummary(year: $y) { year periods disclosed disclosedLate scheduled pending overdue }
  villageDisclosureCatalogue(year: $y, status: OVERDUE, first: 50) { totalCount
    edges { node { period dueAt requirement { id category title } } } }
  villageDisclosureRequirements(year: $y, first: 50) { edges { node { id category title frequency } } } }`;
const PUBLISH = `mutation PublishVillageDisclosure($i: PublishVillageDisclosureInput!) {
  publishVillageDisclosure(input: $i) { id state } }`;
const WITHDRAW = 'mutation WithdrawVillageDisclosure($id: ID!) { withdrawVillageDisclosure(id: $id) { id state } }';
const ANSWER = `mutation AnswerVillageAffairsQuestion($id: ID!, $a: String!) {
  answerVillageAffairsQuestion(id: $id, answer: $a) { id state } }`;
const ADOPT = 'mutation AdoptCatalogue($y: Int!) { adoptStandardVillageDisclosureCatalogue(year: $y) { id } }';
const UPLOAD = 'mutation UploadAttachment($file: Upload!) { uploadFile(file: $file, purpose: "document") { id } }';

const CATEGORIES = [['FINANCES', '财务'], ['ASSETS', '资产'], ['PROJECTS', '工程项目'], ['SUBSIDIES', '补贴'],
  ['DECISIONS', '重大决策']];
const STATES = [['', '全部'], ['PUBLISHED', '公开中'], ['SCHEDULED', '定时发布'], ['EXPIRED', '已到期'],
  ['WITHDRAWN', '已撤回']];
const FREQUENCY = { MONTHLY: '每月', QUARTERLY: '每季度', YEARLY: '每年' };
const text = (pairs, key) => (pairs.find(([k]) => k === key) || [key, key])[1];
const instant = (value) => (value ? new Date(value).toISOString() : null);

export async function render(ctx) {
  const { h, clear, table, field, select, toast, errorMessage, fmtDateTime, fmtDate, loading, dialog } = ctx.ui;
  const state = ctx.query.state || '';
  const year = Number(ctx.query.year) || new Date().getFullYear();
  clear(ctx.main, h('h1', {}, '村务公开'), loading());
  const data = await ctx.gql(PAGE, { f: state ? { state } : null, y: year });
  if (!ctx.alive()) return;
  const reload = () => ctx.navigate(`#/m/village_affairs/disclosures?${new URLSearchParams({ state, year, t: Date.now() })}`);
  const disclosures = data.villageDisclosures.edges.map((e) => e.node);
  const titles = new Map(disclosures.map((d) => [d.id, d.title]));
  const reads = disclosures.reduce((n, d) => n + d.readCount, 0);
  const asked = disclosures.reduce((n, d) => n + d.questionCount, 0);
  const summary = data.villageDisclosureCatalogueSummary;

  const figures = h('section', { class: 'kpis', 'aria-label': '阅读与反馈', 'data-testid': 'figures' },
    [['公开事项', data.villageDisclosures.totalCount, '项'], ['居民阅读', reads, '人次'], ['居民提问', asked, '条'],
      ['待答复', data.villageAffairsQuestions.totalCount, '条'], [`${year}年逾期未公开`, summary.overdue, '项']]
      .map(([k, v, unit]) => h('div', { class: `kpi${k.includes('逾期') && v ? ' kpi-danger' : ''}` },
        h('div', { class: 'kpi-label' }, k), h('div', { class: 'kpi-value' }, String(v)),
        h('div', { class: 'kpi-sub' }, unit))));

  const filter = select('state', STATES, state, { 'aria-label': '公开状态' });
  filter.addEventListener('change', () => ctx.navigate(`#/m/village_affairs/disclosures${filter.value ? `?state=${filter.value}` : ''}`));
  const rows = disclosures.map((d) => h('tr', {}, h('td', {}, d.title), h('td', {}, text(CATEGORIES, d.category)),
    h('td', {}, d.period || '—'), h('td', {}, text(STATES, d.state)), h('td', {}, fmtDateTime(d.publishAt)),
    h('td', {}, d.expiresAt ? fmtDate(d.expiresAt) : '长期'), h('td', {}, String(d.readCount)),
    h('td', {}, String(d.questionCount)),
    h('td', {}, d.state === 'WITHDRAWN' ? '' : h('button', {
      type: 'button', class: 'btn', onclick: async () => {
        const ok = await dialog({ title: `撤回「${d.title}」？`, body: h('p', {}, '撤回后居民将看不到该事项。'),
          confirmText: '撤回', danger: true });
        if (!ok) return;
        try { await ctx.gql(WITHDRAW, { id: d.id }); toast('已撤回'); reload(); } catch (err) { toast(errorMessage(err), 'error'); }
      },
    }, '撤回'))));

  const questions = data.villageAffairsQuestions.edges.map(({ node: q }) => h('tr', {},
    h('td', {}, titles.get(q.disclosureId) || '—'), h('td', {}, q.text), h('td', {}, fmtDateTime(q.askedAt)),
    h('td', {}, h('button', {
      type: 'button', class: 'btn', onclick: async () => {
        const values = await dialog({ title: '答复居民提问', confirmText: '发布答复',
          body: () => h('div', {}, h('p', {}, q.text),
            field('答复内容', h('textarea', { name: 'answer', required: true, maxlength: 5000, rows: 4 }))) });
        if (!values) return;
        try { await ctx.gql(ANSWER, { id: q.id, a: values.answer }); toast('已答复，已通知提问居民'); reload(); } catch (err) {
          toast(errorMessage(err), 'error');
        }
      },
    }, '答复'))));

  const overdue = data.villageDisclosureCatalogue.edges.map(({ node: e }) => h('tr', {},
    h('td', {}, e.requirement.title), h('td', {}, e.period), h('td', {}, fmtDate(e.dueAt))));
  const requirements = data.villageDisclosureRequirements.edges.map((e) => e.node);
  const adopt = h('button', {
    type: 'button', class: 'btn', onclick: async () => {
      try { await ctx.gql(ADOPT, { y: year }); toast('已采用标准目录'); reload(); } catch (err) { toast(errorMessage(err), 'error'); }
    },
  }, `采用${year}年标准公开目录`);

  // the publish form
  const category = select('category', CATEGORIES, 'FINANCES');
  const title = h('input', { name: 'title', required: true, maxlength: 80 });
  const body = h('textarea', { name: 'body', maxlength: 20000, rows: 4 });
  const period = h('input', { name: 'period', maxlength: 10, placeholder: `${year}-Q1 / ${year}-03 / ${year}` });
  const requirement = select('requirementId', [['', '不对应目录项'],
    ...requirements.map((r) => [r.id, `${r.title}（${FREQUENCY[r.frequency]}）`])], '');
  const publishAt = h('input', { name: 'publishAt', type: 'datetime-local' });
  const expiresAt = h('input', { name: 'expiresAt', type: 'datetime-local' });
  const files = h('input', { name: 'attachments', type: 'file', multiple: true, accept: 'image/*,application/pdf' });
  requirement.addEventListener('change', () => {
    const r = requirements.find((x) => x.id === requirement.value);
    if (r) category.value = r.category;
  });
  const form = h('form', { class: 'card', 'aria-label': '发布公开事项' }, h('h2', {}, '发布公开事项'),
    field('类别', category), field('标题', title), field('内容', body), field('对应目录项', requirement),
    field('公开期间', period, '对应目录项时必填'), field('定时发布', publishAt, '留空则立即发布'),
    field('到期时间', expiresAt, '留空则长期公开'), field('附件', files, '图片或 PDF，最多20个'),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, '发布')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = { category: category.value, title: title.value, body: body.value || null, period: period.value || null,
      requirementId: requirement.value || null, publishAt: instant(publishAt.value), expiresAt: instant(expiresAt.value) };
    try {
      input.attachmentIds = [];
      for (const file of files.files) input.attachmentIds.push((await ctx.gqlUpload(UPLOAD, {}, file)).uploadFile.id);
      const done = (await ctx.gql(PUBLISH, { i: input })).publishVillageDisclosure;
      toast(done.state === 'SCHEDULED' ? '已设置定时发布' : '已发布');
      reload();
    } catch (err) { toast(errorMessage(err), 'error'); }
  });

  clear(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, '村务公开'),
      h('p', { class: 'muted' }, '财务、资产、工程项目、补贴与重大决策向本社区居民公开；阅读与提问情况一目了然。')),
    figures,
    h('h2', {}, '公开事项'), h('div', { class: 'filters' }, field('状态', filter)),
    h('p', { class: 'result-count', role: 'status' }, `共 ${data.villageDisclosures.totalCount} 项`),
    table(['标题', '类别', '期间', '状态', '发布时间', '到期', '阅读', '提问', ''], rows,
      { caption: '公开事项', empty: '暂无公开事项' }),
    form,
    h('h2', {}, '待答复提问'),
    table(['公开事项', '提问', '时间', ''], questions, { caption: '待答复提问', empty: '没有待答复的提问' }),
    h('h2', {}, `${year}年公开目录`),
    h('p', { class: 'result-count', 'data-testid': 'catalogue' },
      `共 ${summary.periods} 期：按时公开 ${summary.disclosed}，逾期补公开 ${summary.disclosedLate}，定时 ${summary.scheduled}，`
      + `未到期 ${summary.pending}，逾期未公开 ${summary.overdue}`),
    requirements.length ? null : adopt,
    table(['目录项', '期间', '应公开日期'], overdue, { caption: '逾期未公开', empty: '没有逾期未公开的事项' }));
}
