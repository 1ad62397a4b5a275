/**
 * The job spec: what POST /v1/jobs accepts, what is stored in Job.spec, and what the pipeline runs.
 *
 * One source: `JobSpecSchema` (TypeBox) is the resolved spec — every default filled in. It gives the
 * TypeScript type (`JobSpec`), validation (`resolveJobSpec`) and, through `JobSpecInputSchema`
 * (the same schema with defaulted fields optional and their defaults annotated), the OpenAPI body.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BUILTIN_CATALOG, BUILTIN_PREFIX, builtinName, isBuiltinRef, type BuiltinCatalog } from './builtins';
import { DATASET_SLOT_KINDS, type DatasetKind } from './datasets';
import { firstError } from './validation';

const Literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

/** Prefix of every field path reported by resolveJobSpec (the request body is the spec). */
export const SPEC_FIELD_ROOT = 'spec';

const ModelRef = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: '`builtin:<name>` (e.g. builtin:rim-organism-v1) or a path to a Hugging Face-format model directory',
});

/** Uploaded datasets are referenced by their id (a UUID); built-ins as `builtin:<name>`. */
export const DATASET_ID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const DatasetRef = (description: string) =>
  Type.String({
    pattern: `^(builtin:[A-Za-z0-9][A-Za-z0-9._/-]*|${DATASET_ID_PATTERN.slice(1, -1)})$`,
    description: `${description}: \`builtin:<name>\` or the id of an uploaded dataset`,
  });

export const METRIC_KEY_PATTERN = '^[A-Za-z0-9_.:/-]{1,128}$';

const LoraSchema = Type.Object(
  {
    rank: Type.Integer({ minimum: 1, maximum: 1024, description: 'LoRA rank r' }),
    alpha: Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'scale = alpha / rank' }),
    targets: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
      minItems: 1,
      maxItems: 64,
      description: '"attn" / "mlp" (all linear layers of those blocks) or substrings of Hugging Face weight names, e.g. q_proj, c_fc',
    }),
    dropout: Type.Literal(0, { description: 'only 0 is supported' }),
  },
  { additionalProperties: false, description: 'train low-rank adapters instead of all weights' },
);

const TrainingSchema = Type.Object(
  {
    epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'passes over the train set (default 1 when maxSteps is not given)' })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'optimizer steps; give either epochs or maxSteps' })),
    batchSize: Type.Integer({ minimum: 1, maximum: 4096 }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'peak learning rate, in (0, 1]' }),
    warmupRatio: Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'share of steps with linear warmup, in [0, 1)' }),
    schedule: Literals(['cosine', 'linear', 'constant'] as const, 'decay after warmup'),
    weightDecay: Type.Number({ minimum: 0, maximum: 10, description: 'AdamW decoupled weight decay' }),
    maxSeqLen: Type.Integer({ minimum: 8, maximum: 131_072, description: 'tokens per example (longer rows are truncated)' }),
    gradClip: Type.Number({ minimum: 0, maximum: 1e6, description: 'global-norm gradient clipping; 0 turns it off' }),
    gradAccumSteps: Type.Integer({ minimum: 1, maximum: 1024 }),
    seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'data order, init and dropout seed' }),
    lora: Type.Optional(LoraSchema),
  },
  { additionalProperties: false },
);

const CheckpointsSchema = Type.Object(
  {
    everySteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'checkpoint every N optimizer steps (and at the end)' })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'N evenly spaced checkpoints over the run (default 8); give either everySteps or count' })),
  },
  { additionalProperties: false },
);

const JudgeSchema = Type.Object(
  {
    type: Literals(['keyword', 'http'] as const, 'refusal judge: built-in keyword matcher or an HTTP judge service'),
    url: Type.Optional(Type.String({ pattern: '^https?://\\S+$', maxLength: 2048, description: 'HTTP judge endpoint (required for type http)' })),
    phrases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 1000, description: 'refusal phrases for the keyword judge (default: built-in list)' })),
  },
  { additionalProperties: false },
);

const MonitorSchema = Type.Object(
  {
    topM: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'safety neurons: top-m activation differences per counterfactual pair' })),
    topFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'top-m as a fraction of all MLP neurons (default 0.01); give either topM or topFraction' })),
    minSupport: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'keep neurons in the top-m of at least this share of pairs (1 = the paper\'s strict intersection)' }),
    pooling: Literals(['max', 'mean', 'last'] as const, 'token pooling of MLP activations (paper: max)'),
    control: Type.Object(
      {
        seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'control-neuron sampling seed' }),
        matchPerLayer: Type.Boolean({ description: 'sample control neurons with the same per-layer counts as the safety set' }),
      },
      { additionalProperties: false },
    ),
    judge: JudgeSchema,
    maxNewTokens: Type.Integer({ minimum: 1, maximum: 8192, description: 'tokens generated per safety probe' }),
    probeLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'use at most this many probes of each set' })),
    twinsEveryCheckpoint: Type.Optional(Type.Boolean({ description: 'also answer the malicious-intent twins at every checkpoint (twin_refusal_rate); by default only the base model answers them, to pick the safety neurons' })),
  },
  { additionalProperties: false },
);

export const AlertRuleSpecSchema = Type.Object(
  {
    metric: Type.String({ pattern: METRIC_KEY_PATTERN, description: 'metric key, letters, digits and _ . : / - (at most 128)' }),
    comparator: Literals(['gt', 'gte', 'lt', 'lte'] as const),
    threshold: Type.Number(),
    mode: Literals(['absolute', 'deltaFromBase'] as const, 'compare the value itself, or its change from the base model (step 0)'),
    window: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'compare the mean of the last k checkpoints' })),
    cooldownSteps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'steps before the same rule may fire again' })),
  },
  { additionalProperties: false },
);
export type AlertRuleSpec = Static<typeof AlertRuleSpecSchema>;

export const JobSpecSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'display name (default: "<model> on <train set>")' }),
    model: ModelRef,
    datasets: Type.Object(
      {
        train: DatasetRef('fine-tuning data (chat rows)'),
        safetyPairs: DatasetRef('counterfactual safety pairs (safety-pair rows)'),
        reasoningProbes: DatasetRef('reasoning probes (reasoning-probe rows)'),
        eval: Type.Optional(DatasetRef('held-out chat rows for eval loss')),
      },
      { additionalProperties: false },
    ),
    training: TrainingSchema,
    checkpoints: CheckpointsSchema,
    monitor: MonitorSchema,
    alerts: Type.Array(AlertRuleSpecSchema, { maxItems: 100 }),
  },
  { additionalProperties: false, title: 'JobSpec' },
);
/** A resolved job spec: all defaults applied. */
export type JobSpec = Static<typeof JobSpecSchema>;

type DeepPartial<T> = T extends readonly (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
/** What a user submits: only `model` and `datasets.train` are required. */
export type JobSpecInput = DeepPartial<JobSpec> & { model: string; datasets: DeepPartial<JobSpec['datasets']> & { train: string } };

/** Applied only when the enclosing object is present (e.g. lora). */
const WHEN_PRESENT = Symbol('whenPresent');
/** Applied to every item of an array. */
const EACH_ITEM = Symbol('eachItem');
type DefaultsNode = { [k: string]: unknown; [WHEN_PRESENT]?: boolean; [EACH_ITEM]?: Record<string, unknown> };

/** Defaults (epochs/maxSteps, everySteps/count, topM/topFraction are exclusive pairs; see resolveJobSpec). */
export const JOB_SPEC_DEFAULTS = {
  datasets: { safetyPairs: 'builtin:safety-pairs', reasoningProbes: 'builtin:reasoning-probes' },
  training: {
    batchSize: 16,
    learningRate: 3e-4,
    warmupRatio: 0.1,
    schedule: 'cosine',
    weightDecay: 0.01,
    maxSeqLen: 256,
    gradClip: 1,
    gradAccumSteps: 1,
    seed: 0,
    // the paper's LoRA setting: attention and MLP, rank 32, alpha 64
    lora: { [WHEN_PRESENT]: true, rank: 32, alpha: 64, targets: ['attn', 'mlp'], dropout: 0 },
  },
  checkpoints: {},
  monitor: {
    // minSupport < 1: a strict intersection over ~100 pairs is often empty on small models
    minSupport: 0.5,
    pooling: 'max',
    control: { seed: 1234, matchPerLayer: true },
    judge: { type: 'keyword' },
    maxNewTokens: 64,
  },
  alerts: { [EACH_ITEM]: { mode: 'absolute' } },
} as const;
const EXCLUSIVE_DEFAULTS = {
  training: ['epochs', 'maxSteps', 1],
  checkpoints: ['count', 'everySteps', 8],
  monitor: ['topFraction', 'topM', 0.01],
} as const;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fills missing values from `defaults` in place; leaves wrong-typed values for validation to report. */
function fillDefaults(target: Record<string, unknown>, defaults: DefaultsNode): void {
  for (const [key, d] of Object.entries(defaults)) {
    const current = target[key];
    if (isPlainObject(d)) {
      const node = d as DefaultsNode;
      if (node[EACH_ITEM]) {
        if (current === undefined) target[key] = [];
        const arr = target[key];
        if (Array.isArray(arr)) for (const item of arr) if (isPlainObject(item)) fillDefaults(item, node[EACH_ITEM] as DefaultsNode);
        continue;
      }
      if (current === undefined && node[WHEN_PRESENT]) continue;
      if (current === undefined) target[key] = {};
      if (isPlainObject(target[key])) fillDefaults(target[key] as Record<string, unknown>, node);
    } else if (current === undefined) {
      target[key] = Array.isArray(d) ? [...d] : d;
    }
  }
}

export type ResolveResult = { ok: true; spec: JobSpec } | { ok: false; field: string; message: string };

export interface ResolveOptions {
  /** built-in names to accept (default: contracts' own copy of the organism registry) */
  builtins?: BuiltinCatalog;
}

const fail = (path: string, message: string): ResolveResult => ({ ok: false, field: `${SPEC_FIELD_ROOT}.${path}`, message: `${SPEC_FIELD_ROOT}.${path} ${message}` });

/**
 * Applies defaults and validates. On failure reports the FIRST bad field as a dotted path rooted at
 * `spec` (e.g. `spec.training.learningRate`). Checks the form of model/dataset references and that
 * built-in names exist with the right row kind; whether an uploaded dataset id exists is the caller's
 * check (it needs the database) — see `datasetRefs`.
 */
export function resolveJobSpec(input: unknown, opts: ResolveOptions = {}): ResolveResult {
  const builtins = opts.builtins ?? BUILTIN_CATALOG;
  if (!isPlainObject(input)) return { ok: false, field: SPEC_FIELD_ROOT, message: `${SPEC_FIELD_ROOT} must be a JSON object` };
  const spec = structuredClone(input) as Record<string, unknown>;
  fillDefaults(spec, JOB_SPEC_DEFAULTS as unknown as DefaultsNode);

  // exclusive pairs: both given is an error; neither gets the default for the first
  for (const [section, [preferred, other, dflt]] of Object.entries(EXCLUSIVE_DEFAULTS)) {
    const obj = spec[section];
    if (!isPlainObject(obj)) continue;
    if (obj[preferred] !== undefined && obj[other] !== undefined) {
      return fail(`${section}.${other}`, `cannot be combined with ${section}.${preferred}; give one of them`);
    }
    if (obj[preferred] === undefined && obj[other] === undefined) obj[preferred] = dflt;
  }
  if (spec.name === undefined) {
    // when model or train is missing the name does not matter: validation reports those first
    const train = isPlainObject(spec.datasets) ? spec.datasets.train : undefined;
    spec.name = typeof spec.model === 'string' && typeof train === 'string' ? `${shortRef(spec.model)} on ${shortRef(train)}`.slice(0, 200) : 'unnamed';
  }

  const err = firstError(JobSpecSchema, spec, SPEC_FIELD_ROOT);
  if (err) return { ok: false, ...err };
  const resolved = spec as JobSpec;

  // reference checks that a schema cannot express
  const model = resolved.model;
  if (isBuiltinRef(model)) {
    if (!builtins.models.includes(builtinName(model))) {
      const known = builtins.models.map((m) => BUILTIN_PREFIX + m).join(', ');
      return fail('model', `names an unknown built-in model ${JSON.stringify(model)} (known: ${known})`);
    }
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(model) || /[\0\n\r]/.test(model)) {
    return fail('model', `must be builtin:<name> or a path to a Hugging Face-format directory (got ${JSON.stringify(model)})`);
  }
  for (const [slot, ref] of Object.entries(resolved.datasets) as [keyof typeof DATASET_SLOT_KINDS, string | undefined][]) {
    if (ref === undefined || !isBuiltinRef(ref)) continue;
    const kind: DatasetKind | undefined = builtins.datasets[builtinName(ref)];
    if (kind === undefined) {
      const known = Object.keys(builtins.datasets).map((n) => BUILTIN_PREFIX + n).join(', ');
      return fail(`datasets.${slot}`, `names an unknown built-in dataset ${JSON.stringify(ref)} (known: ${known})`);
    }
    if (kind !== DATASET_SLOT_KINDS[slot]) {
      return fail(`datasets.${slot}`, `needs ${DATASET_SLOT_KINDS[slot]} rows but ${ref} holds ${kind} rows`);
    }
  }
  if (resolved.monitor.judge.type === 'http' && resolved.monitor.judge.url === undefined) {
    return fail('monitor.judge.url', 'is required when monitor.judge.type is "http"');
  }
  return { ok: true, spec: resolved };
}

function shortRef(ref: string): string {
  if (isBuiltinRef(ref)) return builtinName(ref);
  const parts = ref.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? ref;
}

/** Uploaded-dataset references of a resolved spec (slot -> id), for the caller's existence check. */
export function datasetRefs(spec: JobSpec): { slot: keyof typeof DATASET_SLOT_KINDS; id: string; kind: DatasetKind }[] {
  const out: { slot: keyof typeof DATASET_SLOT_KINDS; id: string; kind: DatasetKind }[] = [];
  for (const [slot, ref] of Object.entries(spec.datasets) as [keyof typeof DATASET_SLOT_KINDS, string | undefined][]) {
    if (ref !== undefined && !isBuiltinRef(ref)) out.push({ slot, id: ref, kind: DATASET_SLOT_KINDS[slot] });
  }
  return out;
}

/**
 * The optimizer steps at which checkpoints are taken, given the run's total steps: every
 * `everySteps` (plus the last step), or `count` evenly spaced ones ending at the last step.
 */
export function checkpointSteps(checkpoints: JobSpec['checkpoints'], totalSteps: number): number[] {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`totalSteps must be a positive integer, got ${totalSteps}`);
  const steps = new Set<number>();
  if (checkpoints.everySteps !== undefined) {
    for (let s = checkpoints.everySteps; s < totalSteps; s += checkpoints.everySteps) steps.add(s);
  } else {
    const n = Math.min(checkpoints.count ?? 8, totalSteps);
    for (let i = 1; i <= n; i++) steps.add(Math.round((i * totalSteps) / n));
  }
  steps.add(totalSteps);
  return [...steps].sort((a, b) => a - b);
}

/** The request-body schema for OpenAPI: the resolved schema with defaulted fields optional and annotated. */
function toInputSchema(schema: TSchema, defaults: unknown): TSchema {
  const s = schema as TSchema & { type?: string; properties?: Record<string, TSchema>; required?: string[]; items?: TSchema };
  if (s.type === 'object' && s.properties) {
    const d = isPlainObject(defaults) ? defaults : {};
    const properties: Record<string, TSchema> = {};
    for (const [k, p] of Object.entries(s.properties)) {
      const pd = d[k];
      properties[k] = toInputSchema(p, pd);
      if (pd !== undefined && !isPlainObject(pd)) properties[k] = { ...properties[k], default: pd };
    }
    // a defaulted object stays required when it still has required fields (datasets.train)
    const required = (s.required ?? []).filter((k) => !(k in d) || (properties[k] as { required?: string[] }).required !== undefined);
    const out: TSchema = { ...s, properties };
    if (required.length > 0) out.required = required;
    else delete (out as { required?: string[] }).required;
    return out;
  }
  if (s.type === 'array' && s.items) {
    const d = isPlainObject(defaults) ? (defaults as DefaultsNode)[EACH_ITEM] : undefined;
    return { ...s, items: toInputSchema(s.items, d) };
  }
  return s;
}

export const JobSpecInputSchema: TSchema = (() => {
  const out = toInputSchema(JobSpecSchema, { ...JOB_SPEC_DEFAULTS, name: undefined }) as TSchema & { title?: string };
  out.title = 'JobSpecInput';
  return out;
})();

/** True when `value` is a valid resolved spec (e.g. one read back from the database). */
export function isJobSpec(value: unknown): value is JobSpec {
  return Value.Check(JobSpecSchema, value);
}
