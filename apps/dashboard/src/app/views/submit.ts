/**
 * Submit a job from a spec: the common fields as inputs, anything else as extra JSON merged over them.
 * The API validates (400 names the first bad field as `spec.…`); the message is shown beside that field.
 */
import { BUILTIN_CATALOG, BUILTIN_PREFIX } from '@rimwatch/contracts/src/builtins';
import { ApiError, api, isUnauthorized } from '../api';
import { h } from '../dom';

interface FieldDef {
  path: string; // dotted path inside the spec
  label: string;
  type: 'text' | 'number';
  help?: string;
  value?: string;
  list?: string;
  step?: string;
}

const FIELDS: { legend: string; fields: FieldDef[] }[] = [
  {
    legend: 'Model and data',
    fields: [
      { path: 'name', label: 'Name', type: 'text', help: 'default: "<model> on <train set>"' },
      { path: 'model', label: 'Model', type: 'text', value: `${BUILTIN_PREFIX}rim-organism-v1`, list: 'models', help: 'builtin:<name> or a Hugging Face model directory on the worker' },
      { path: 'datasets.train', label: 'Train dataset', type: 'text', value: `${BUILTIN_PREFIX}reasoning-patterns/target`, list: 'datasets', help: 'builtin:<name> or an uploaded dataset id' },
      { path: 'datasets.eval', label: 'Eval dataset', type: 'text', list: 'datasets', help: 'optional held-out chat rows' },
    ],
  },
  {
    legend: 'Training',
    fields: [
      { path: 'training.maxSteps', label: 'Max steps', type: 'number', help: 'default: 1 epoch (or give training.epochs in extra JSON)' },
      { path: 'training.batchSize', label: 'Batch size', type: 'number', help: 'default 16' },
      { path: 'training.learningRate', label: 'Learning rate', type: 'number', step: 'any', help: 'in (0, 1], default 3e-4' },
      { path: 'training.lora.rank', label: 'LoRA rank', type: 'number', help: 'empty: full fine-tuning' },
    ],
  },
  {
    legend: 'Monitoring',
    fields: [
      { path: 'checkpoints.count', label: 'Checkpoints', type: 'number', help: 'evenly spaced, default 8' },
      { path: 'monitor.topFraction', label: 'Safety-neuron fraction', type: 'number', step: 'any', help: 'top share of MLP neurons per pair, default 0.01' },
    ],
  },
];

const inputId = (path: string) => `f-${path.replace(/\./g, '-')}`;

function setPath(obj: Record<string, unknown>, path: string, value: unknown) {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

/** Deep merge (objects only; arrays and scalars from `over` win). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** The form field that shows an API error for `field` (`spec.training.lora.rank` → that input); longest matching path wins. */
export function fieldForError(field: string | undefined, paths: readonly string[]): string | undefined {
  if (!field) return undefined;
  const rel = field.replace(/^spec\.?/, '');
  let best: string | undefined;
  for (const p of paths) if ((rel === p || rel.startsWith(`${p}.`) || rel.startsWith(`${p}[`)) && (!best || p.length > best.length)) best = p;
  return best;
}

export function renderSubmit(root: HTMLElement, onUnauthorized: () => void): () => void {
  const errors = new Map<string, HTMLElement>();
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const field = (f: FieldDef) => {
    const id = inputId(f.path);
    const input = h('input', { id, name: f.path, type: f.type, value: f.value, list: f.list, step: f.step, inputmode: f.type === 'number' ? 'decimal' : undefined, 'aria-describedby': `${id}-help ${id}-error` });
    const err = h('span', { id: `${id}-error`, class: 'field-error', 'aria-live': 'polite' });
    inputs.set(f.path, input);
    errors.set(f.path, err);
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), input, h('span', { id: `${id}-help`, class: 'help' }, f.help ?? ''), err);
  };
  const extra = h('textarea', { id: 'f-extra', name: 'extra', rows: 6, spellcheck: 'false', placeholder: '{ "training": { "epochs": 2 }, "alerts": [{ "metric": "ras_ratio", "comparator": "gt", "threshold": 2 }] }', 'aria-describedby': 'f-extra-help f-extra-error' });
  const extraErr = h('span', { id: 'f-extra-error', class: 'field-error', 'aria-live': 'polite' });
  inputs.set('*', extra);
  errors.set('*', extraErr);
  const formErr = h('p', { class: 'field-error', role: 'alert', id: 'form-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Submit job');

  const form = h(
    'form',
    { class: 'card submit-form', 'aria-labelledby': 'submit-title', novalidate: true },
    h('h1', { id: 'submit-title' }, 'Submit a job'),
    h('datalist', { id: 'models' }, BUILTIN_CATALOG.models.map((m) => h('option', { value: `${BUILTIN_PREFIX}${m}` }))),
    h('datalist', { id: 'datasets' }, Object.keys(BUILTIN_CATALOG.datasets).map((d) => h('option', { value: `${BUILTIN_PREFIX}${d}` }))),
    FIELDS.map((g) => h('fieldset', {}, h('legend', {}, g.legend), g.fields.map(field))),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Extra spec (JSON)'),
      h('div', { class: 'field wide' }, h('label', { for: 'f-extra' }, 'Any other spec fields, merged over the ones above'), extra, h('span', { id: 'f-extra-help', class: 'help' }, 'See /docs for every field of the job spec.'), extraErr),
    ),
    formErr,
    h('div', { class: 'actions' }, submit, h('a', { href: '#/', class: 'button' }, 'Back to jobs')),
  );

  // uploaded datasets join the suggestions
  void api.datasets().then(
    (ds) => form.querySelector('#datasets')?.append(...ds.map((d) => h('option', { value: d.id, label: `${d.name} (${d.kind})` }))),
    () => undefined,
  );

  const showError = (path: string, message: string) => {
    const input = inputs.get(path)!;
    errors.get(path)!.textContent = message;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const el of errors.values()) el.textContent = '';
    for (const el of inputs.values()) el.removeAttribute('aria-invalid');
    formErr.textContent = '';
    let spec: Record<string, unknown> = {};
    for (const g of FIELDS)
      for (const f of g.fields) {
        const raw = (inputs.get(f.path) as HTMLInputElement).value.trim();
        if (raw === '') continue;
        // a non-number in a number field goes to the API as text, so its message names the field
        setPath(spec, f.path, f.type === 'number' && raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw);
      }
    if (extra.value.trim()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(extra.value);
      } catch (err) {
        return showError('*', `Not valid JSON: ${(err as Error).message}`);
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return showError('*', 'Must be a JSON object, e.g. { "training": { "epochs": 2 } }');
      spec = deepMerge(spec, parsed as Record<string, unknown>);
    }
    submit.disabled = true;
    try {
      const job = await api.submitJob(spec);
      location.hash = `#/jobs/${job.id}`;
    } catch (err) {
      if (isUnauthorized(err)) return onUnauthorized();
      if (err instanceof ApiError && err.status === 400) {
        const target = fieldForError(err.field, [...inputs.keys()].filter((k) => k !== '*'));
        showError(target ?? '*', err.message);
      } else formErr.textContent = `Could not submit: ${(err as Error).message}`;
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(form);
  (inputs.get('name') as HTMLInputElement).focus();
  return () => undefined;
}
