// A form rendered from a module's settings JSON Schema. The server validates (the same schema);
// its BAD_USER_INPUT field paths ("settings.maxPinned", "settings.rules.1.hours") are shown next
// to the matching fields.
//
// Supported: integer/number, string (enum → select, date/time/email/uri, writeOnly → password),
// boolean, arrays of enums (checkboxes), arrays of scalars (one per line), arrays of objects
// (repeatable groups), nested objects (fieldsets); anything else is edited as JSON.

import { h, nextId, zh } from './ui.js';

const SECRET_MASK = '********';
const TYPE_LABELS = { integer: '整数', number: '数字', string: '文本', boolean: '是/否', array: '列表', object: '对象' };

/** Chinese wording for the usual JSON Schema validator messages; null when not recognised. */
export function translateSchemaMessage(message) {
  const m = String(message || '');
  let r;
  if ((r = /is greater than or equal to the maximum of (\S+)/.exec(m))) return `应小于 ${r[1]}`;
  if ((r = /is less than or equal to the minimum of (\S+)/.exec(m))) return `应大于 ${r[1]}`;
  if ((r = /is greater than the maximum of (\S+)/.exec(m))) return `不能大于 ${r[1]}`;
  if ((r = /is less than the minimum of (\S+)/.exec(m))) return `不能小于 ${r[1]}`;
  if ((r = /is not of type '(\w+)'/.exec(m))) return `应为${TYPE_LABELS[r[1]] || r[1]}`;
  if ((r = /is not a multiple of (\S+)/.exec(m))) return `应为 ${r[1]} 的倍数`;
  if (/is not one of/.test(m)) return '不在可选值范围内';
  if (/is too long|is longer than/.test(m)) return '内容过长或项目过多';
  if (/is too short|is shorter than|should be non-empty/.test(m)) return '内容过短或不能为空';
  if (/has non-unique elements/.test(m)) return '有重复的项目';
  if (/does not match/.test(m)) return '格式不正确';
  if (/is not a '/.test(m)) return '格式不正确';
  if (/Additional properties are not allowed/.test(m)) return '包含不支持的设置项';
  if (/is a required property/.test(m)) return '必填';
  return null;
}

function typeOf(schema) {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (t) return t;
  if (schema.enum) return 'enum';
  if (schema.properties) return 'object';
  return 'json';
}

/** The label of enum value `opt` (index `i`): `x-enumLabels`, else the value itself. */
const enumLabel = (schema, i, opt) => (Array.isArray(schema['x-enumLabels']) && schema['x-enumLabels'][i]) || String(opt);

const isScalar = (s) => ['string', 'integer', 'number', 'boolean', 'enum'].includes(typeOf(s || {}));

function constraintHint(schema, type) {
  const parts = [];
  if (schema.description) parts.push(zh(schema.description));
  if (type === 'integer' || type === 'number') {
    const lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? `>${schema.exclusiveMinimum}` : null);
    const hi = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? `<${schema.exclusiveMaximum}` : null);
    if (lo !== null && hi !== null) parts.push(`取值 ${lo} – ${hi}`);
    else if (lo !== null) parts.push(`最小 ${lo}`);
    else if (hi !== null) parts.push(`最大 ${hi}`);
  }
  if (type === 'string' && schema.maxLength) parts.push(`最多 ${schema.maxLength} 字`);
  if (type === 'array' && schema.maxItems) parts.push(`最多 ${schema.maxItems} 项`);
  if (schema.default !== undefined && !schema.writeOnly && isScalar(schema)) parts.push(`默认 ${JSON.stringify(schema.default)}`);
  return parts.join('；');
}

/** Set `value` at a dotted path ("a.b") inside `out`. */
function put(out, path, value) {
  const keys = path.split('.');
  let node = out;
  for (const k of keys.slice(0, -1)) node = node[k] ??= {};
  node[keys.at(-1)] = value;
}

function defaultsOf(schema) {
  if (schema?.default !== undefined) return structuredClone(schema.default);
  if (typeOf(schema || {}) !== 'object' || !schema.properties) return undefined;
  const out = {};
  for (const [k, p] of Object.entries(schema.properties)) {
    const d = defaultsOf(p);
    if (d !== undefined) out[k] = d;
  }
  return out;
}

/**
 * Build the form. Returns {element, values(), showErrors(fields, message), clearErrors(), focusFirstError()}.
 * `values()` answers {value} or {error: true} (client-side problems such as invalid JSON).
 */
export function settingsForm(schema, current, { idPrefix = nextId('set') } = {}) {
  const formError = h('div', { class: 'alert alert-error', role: 'alert', tabindex: '-1', hidden: true });
  const root = h('div', { class: 'settings-fields' });
  const controls = []; // top-level registry: {path, read, errorEl, input, resolve?, children?}

  // Adds a field for `prop` to `container`, registering its control(s) in `registry` under `path`.
  function addField(container, registry, key, prop, path, value, required) {
    const type = typeOf(prop);
    const id = `${idPrefix}-${nextId('f')}`;
    const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const hintText = constraintHint(prop, type);
    const hintEl = hintText ? h('span', { class: 'hint', id: `${id}-hint` }, hintText) : null;
    const labelText = `${zh(prop.title || key)}${required ? ' *' : ''}`;
    const describedBy = [hintEl && hintEl.id, errorEl.id].filter(Boolean).join(' ');
    let input;
    let read;
    let wrapper;
    let extra = {};

    if (type === 'object' && prop.properties) {
      const fs = h('fieldset', { class: 'settings-group' }, h('legend', {}, zh(prop.title || key)));
      if (prop.description) fs.append(h('p', { class: 'hint' }, prop.description));
      const req = new Set(prop.required || []);
      for (const [k, p] of Object.entries(prop.properties)) {
        addField(fs, registry, k, p, `${path}.${k}`, value?.[k], req.has(k));
      }
      container.append(fs);
      return;
    }

    if (type === 'array' && prop.items && typeOf(prop.items) === 'object' && prop.items.properties) {
      // a repeatable group: one fieldset per item, with add/remove buttons
      const items = []; // {fieldset, registry}
      const list = h('div', { class: 'repeat-list' });
      const itemTitle = zh(prop.title || key);
      const relabel = () => items.forEach((it, i) => {
        it.legend.textContent = `第 ${i + 1} 项`;
        it.remove.setAttribute('aria-label', `删除「${itemTitle}」第 ${i + 1} 项`);
      });
      const addItem = (itemValue, focus = false) => {
        const reg = [];
        const legend = h('legend', {});
        const remove = h('button', { type: 'button', class: 'btn btn-small btn-ghost' }, '删除');
        const fs = h('fieldset', { class: 'settings-group repeat-item' }, legend);
        const req = new Set(prop.items.required || []);
        for (const [k, p] of Object.entries(prop.items.properties)) addField(fs, reg, k, p, k, itemValue?.[k], req.has(k));
        fs.append(h('div', { class: 'repeat-actions' }, remove));
        const item = { fieldset: fs, registry: reg, legend, remove };
        remove.addEventListener('click', () => {
          const i = items.indexOf(item);
          items.splice(i, 1);
          fs.remove();
          relabel();
          (items[Math.min(i, items.length - 1)]?.fieldset.querySelector('input, select, textarea') || addBtn).focus();
        });
        items.push(item);
        list.append(fs);
        relabel();
        if (focus) fs.querySelector('input, select, textarea')?.focus();
      };
      const addBtn = h('button', { type: 'button', class: 'btn btn-small' }, `添加一项`);
      addBtn.addEventListener('click', () => addItem(defaultsOf(prop.items) || {}, true));
      for (const v of (Array.isArray(value) ? value : [])) addItem(v);
      input = h('fieldset', { class: 'settings-group repeat', id, 'aria-describedby': describedBy },
        h('legend', {}, labelText), hintEl, list, addBtn, errorEl);
      read = () => items.map((it) => collect(it.registry));
      extra = {
        resolve: (rest) => {
          const [index, ...sub] = rest.split('.');
          const it = items[Number(index)];
          if (!it || !sub.length) return null;
          return findControl(it.registry, sub.join('.'));
        },
        children: () => items.flatMap((it) => it.registry),
      };
      registry.push({ path, read, errorEl, input, ...extra });
      container.append(input);
      return;
    }

    if (type === 'boolean') {
      input = h('input', { type: 'checkbox', id, checked: Boolean(value ?? prop.default), 'aria-describedby': describedBy });
      read = () => input.checked;
      wrapper = h('div', { class: 'field field-check' }, input, h('label', { for: id }, labelText), hintEl, errorEl);
    } else if (type === 'array' && prop.items?.enum) {
      // values differing only in letter case (LOW_INCOME / low_income) are one choice, saved as listed first
      const fold = (v) => JSON.stringify(typeof v === 'string' ? v.toUpperCase() : v);
      const chosen = new Set((value ?? prop.default ?? []).map(fold));
      const seen = new Set();
      const choices = prop.items.enum.map((opt, i) => [opt, i]).filter(([opt]) => !seen.has(fold(opt)) && seen.add(fold(opt)));
      const boxes = choices.map(([opt, i]) => {
        const cid = `${id}-${i}`;
        const cb = h('input', { type: 'checkbox', id: cid, checked: chosen.has(fold(opt)) });
        cb.dataset.raw = JSON.stringify(opt);
        return h('span', { class: 'check' }, cb, h('label', { for: cid }, enumLabel(prop.items, i, opt)));
      });
      input = h('fieldset', { class: 'checks', id, 'aria-describedby': describedBy }, h('legend', {}, labelText), boxes);
      read = () => [...input.querySelectorAll('input:checked')].map((cb) => JSON.parse(cb.dataset.raw));
      wrapper = h('div', { class: 'field' }, input, hintEl, errorEl);
    } else {
      const common = { id, name: path, 'aria-describedby': describedBy };
      if (prop.enum || type === 'enum') {
        const options = (prop.enum || []).map((v, i) => h('option', {
          value: JSON.stringify(v), selected: JSON.stringify(v) === JSON.stringify(value ?? prop.default),
        }, enumLabel(prop, i, v)));
        input = h('select', common, required ? null : h('option', { value: '' }, '（未设置）'), options);
        read = () => (input.value === '' ? undefined : JSON.parse(input.value));
      } else if (type === 'integer' || type === 'number') {
        input = h('input', { ...common, type: 'number', inputmode: type === 'integer' ? 'numeric' : 'decimal',
          step: type === 'integer' ? '1' : 'any', value: value ?? '' });
        read = () => {
          const raw = input.value.trim();
          if (raw === '') return undefined;
          const n = Number(raw);
          return Number.isFinite(n) ? n : raw; // let the server say what is wrong
        };
      } else if (type === 'string' && (prop.writeOnly || prop.format === 'password')) {
        const isSet = value === SECRET_MASK || Boolean(value);
        input = h('input', { ...common, type: 'password', autocomplete: 'new-password',
          placeholder: isSet ? '已设置，留空则保持不变' : '未设置' });
        read = () => (input.value === '' ? undefined : input.value);
      } else if (type === 'string') {
        const multi = (prop.maxLength && prop.maxLength > 120) || prop.format === 'textarea';
        const inputType = { date: 'date', time: 'time', email: 'email', uri: 'url' }[prop.format] || 'text';
        input = multi ? h('textarea', { ...common, rows: 3 }) : h('input', { ...common, type: inputType });
        input.value = value ?? '';
        read = () => input.value;
      } else if (type === 'array' && (!prop.items || isScalar(prop.items))) {
        input = h('textarea', { ...common, rows: 3 });
        input.value = (value ?? []).join('\n');
        const itemType = typeOf(prop.items || {});
        read = () => input.value.split('\n').map((s) => s.trim()).filter(Boolean)
          .map((s) => ((itemType === 'integer' || itemType === 'number') && Number.isFinite(Number(s)) ? Number(s) : s));
        if (hintEl) hintEl.textContent = `每行一项；${hintEl.textContent}`;
        else input.setAttribute('placeholder', '每行一项');
      } else {
        input = h('textarea', { ...common, rows: 5, class: 'mono', spellcheck: 'false' });
        input.value = value === undefined ? '' : JSON.stringify(value, null, 2);
        read = () => {
          if (input.value.trim() === '') return undefined;
          try { return JSON.parse(input.value); } catch { throw new Error('不是有效的 JSON 格式'); }
        };
        if (hintEl) hintEl.textContent = `JSON 格式；${hintEl.textContent}`;
      }
      wrapper = h('div', { class: 'field' }, h('label', { for: id }, labelText), input, hintEl, errorEl);
    }
    registry.push({ path, read, errorEl, input });
    container.append(wrapper);
  }

  function collect(registry) {
    const out = {};
    for (const c of registry) {
      const v = c.read();
      if (v !== undefined) put(out, c.path, v);
    }
    return out;
  }

  function findControl(registry, path) {
    const exact = registry.find((x) => x.path === path);
    if (exact) return exact;
    for (const c of registry) {
      if (path.startsWith(`${c.path}.`)) {
        if (c.resolve) return c.resolve(path.slice(c.path.length + 1)) || c;
        return c;
      }
    }
    return null;
  }

  const flat = (registry) => registry.flatMap((c) => [c, ...(c.children ? flat(c.children()) : [])]);

  const props = schema?.properties || {};
  const required = new Set(schema?.required || []);
  for (const [k, p] of Object.entries(props)) addField(root, controls, k, p, k, current?.[k], required.has(k));
  if (!Object.keys(props).length) root.append(h('p', { class: 'muted' }, '此模块没有可配置的设置项。'));

  function setError(c, message) {
    c.errorEl.textContent = message;
    c.errorEl.hidden = false;
    c.input.setAttribute('aria-invalid', 'true');
    c.input.closest('.field')?.classList.add('has-error');
  }

  function clearErrors() {
    formError.hidden = true;
    formError.textContent = '';
    for (const c of flat(controls)) {
      c.errorEl.hidden = true;
      c.errorEl.textContent = '';
      c.input.removeAttribute('aria-invalid');
      c.input.closest('.field')?.classList.remove('has-error');
    }
  }

  function values() {
    clearErrors();
    let problem = false;
    for (const c of flat(controls)) {
      if (c.children) continue;
      try { c.read(); } catch (e) { setError(c, e.message); problem = true; }
    }
    if (problem) return { error: true };
    return { value: collect(controls) };
  }

  /** fields: {"settings.maxPinned": "11 is greater than…"}; unmatched ones go to the form-level box. */
  function showErrors(fields, message) {
    clearErrors();
    const leftovers = [];
    for (const [rawPath, msg] of Object.entries(fields || {})) {
      const path = rawPath.replace(/^settings\.?/, '');
      const c = path ? findControl(controls, path) : null;
      const zhMsg = translateSchemaMessage(msg);
      const text = zhMsg ? `${zhMsg}（${msg}）` : zh(msg);
      if (c) setError(c, c.errorEl.hidden ? text : `${c.errorEl.textContent}；${text}`);
      else leftovers.push(path ? `${path}：${text}` : text);
    }
    if (leftovers.length || (message && !Object.keys(fields || {}).length)) {
      formError.textContent = leftovers.length ? leftovers.join('；') : message;
      formError.hidden = false;
    }
  }

  function focusFirstError() {
    const c = flat(controls).find((x) => !x.errorEl.hidden);
    if (c) (c.input.matches('fieldset') ? c.input.querySelector('input, select, textarea, button') : c.input)?.focus();
    else if (!formError.hidden) formError.focus();
  }

  return { element: h('div', {}, formError, root), values, showErrors, clearErrors, focusFirstError };
}
