// Resident import: download the template, upload a CSV/XLSX, follow the job, read every bad row.
// A dry run ("仅检查") writes nothing; a file with bad rows is imported only when the admin
// chooses to import the valid rows.

import { gql, gqlUpload } from '../api.js';
import { clear, errorBox, h, table, toast } from '../ui.js';

const IMPORT = `mutation ImportResidents($file: Upload!, $mode: ResidentImportMode, $dryRun: Boolean) {
  importResidents(file: $file, mode: $mode, dryRun: $dryRun) { id }
}`;
const JOB = `query ResidentImportJob($id: ID!, $after: String) {
  residentImportJob(id: $id) {
    id status dryRun mode fileName totalRows processedRows validRows importedRows errorCount progress failure
    errors(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { row column reason } } }
  }
}`;
const RUNNING = new Set(['QUEUED', 'VALIDATING', 'IMPORTING']);
const STATUS = {
  QUEUED: '排队中', VALIDATING: '正在检查', IMPORTING: '正在导入', VALIDATED: '检查完成（未导入）',
  REJECTED: '有错误，未导入任何数据', SUCCEEDED: '导入完成', FAILED: '导入失败', INTERRUPTED: '导入中断',
};
const POLL_MS = 500;

export async function renderImport(ctx) {
  const { main } = ctx;
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,.xlsx', required: true, id: 'import-file' });
  const dry = h('input', { type: 'checkbox', name: 'dryRun', id: 'import-dry', checked: true });
  const valid = h('input', { type: 'checkbox', name: 'validRows', id: 'import-valid' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, '上传');
  const result = h('section', { class: 'card', 'aria-live': 'polite', 'aria-label': '导入结果' });
  result.hidden = true;
  const form = h('form', { class: 'card' },
    h('h2', {}, '上传文件'),
    h('p', {}, '请使用模板填写（第一行为表头）：',
      h('a', { href: '../resident-import/template.xlsx', download: '' }, '下载 Excel 模板'), '　',
      h('a', { href: '../resident-import/template.csv', download: '' }, '下载 CSV 模板')),
    h('div', { class: 'field' }, h('label', { for: 'import-file' }, '居民表格（CSV 或 XLSX）'), file),
    h('div', { class: 'field' }, h('label', { for: 'import-dry' }, dry, ' 仅检查，不导入')),
    h('div', { class: 'field' }, h('label', { for: 'import-valid' }, valid, ' 有错误的行跳过，导入其余正确的行')),
    h('div', { class: 'filter-actions' }, submit));

  const start = async (dryRun) => {
    const chosen = file.files[0];
    if (!chosen) { form.reportValidity(); return; }
    submit.disabled = true;
    try {
      const data = await gqlUpload(IMPORT, { dryRun, mode: valid.checked ? 'VALID_ROWS' : 'ALL_OR_NOTHING' }, chosen);
      await follow(ctx, data.importResidents.id, result, () => start(false));
    } catch (err) {
      result.hidden = false;
      clear(result, errorBox(err));
    } finally {
      submit.disabled = false;
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); start(dry.checked); });

  clear(main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/residents' }, '← 返回居民列表')),
    h('div', { class: 'page-head' }, h('h1', {}, '批量导入居民'),
      h('p', { class: 'muted' }, '逐行检查：每个错误都列出行号、列和原因；有错误时默认不导入任何数据。身份证号、手机号加密保存，导入记入审计日志。')),
    form, result);
}

async function follow(ctx, id, box, importNow) {
  box.hidden = false;
  const bar = h('progress', { max: '1', value: '0', 'aria-label': '导入进度' });
  const status = h('p', { role: 'status' }, STATUS.QUEUED);
  clear(box, h('h2', {}, '导入结果'), status, bar);
  let job;
  for (;;) {
    job = (await gql(JOB, { id })).residentImportJob;
    if (!ctx.alive()) return;
    bar.value = job.progress;
    status.textContent = `${STATUS[job.status]}：已检查 ${job.processedRows} 行，导入 ${job.importedRows} 行，错误 ${job.errorCount} 处`;
    if (!RUNNING.has(job.status)) break;
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
  }
  const summary = h('p', { class: 'result-count' },
    `共 ${job.totalRows ?? 0} 行，正确 ${job.validRows} 行，已导入 ${job.importedRows} 行，错误 ${job.errorCount} 处。`);
  const rows = job.errors.edges.map(({ node: e }) => h('tr', {},
    h('td', {}, `第 ${e.row} 行`), h('td', {}, e.column || '整行'), h('td', {}, e.reason)));
  const more = job.errors.totalCount > rows.length
    ? h('p', { class: 'muted' }, `仅显示前 ${rows.length} 处错误（共 ${job.errors.totalCount} 处）。`) : null;
  const confirm = job.status === 'VALIDATED' && job.errorCount === 0
    ? h('button', { type: 'button', class: 'btn btn-primary', onclick: importNow }, '确认导入') : null;
  clear(box, h('h2', {}, '导入结果'), status, bar, summary,
    job.failure ? errorBox({ message: job.failure }) : null,
    job.errorCount ? table(['行号', '列', '原因'], rows, { caption: '有误的行' }) : null, more, confirm);
  if (job.status === 'SUCCEEDED') toast(`已导入 ${job.importedRows} 位居民`);
}
