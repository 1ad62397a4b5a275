import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import {
  BUILTIN_CATALOG,
  checkpointSteps,
  datasetRefs,
  isJobSpec,
  JobSpecInputSchema,
  JobSpecSchema,
  resolveJobSpec,
  type JobSpec,
} from '../src';

const minimal = { name: 'x', model: 'builtin:rim-organism-v1', datasets: { train: 'builtin:reasoning-patterns/target' } };

function ok(input: unknown): JobSpec {
  const r = resolveJobSpec(input);
  if (!r.ok) throw new Error(`expected valid, got ${r.field}: ${r.message}`);
  return r.spec;
}
function bad(input: unknown): { field: string; message: string } {
  const r = resolveJobSpec(input);
  if (r.ok) throw new Error('expected invalid');
  return r;
}
const withSection = (section: string, value: unknown) => ({ ...minimal, [section]: value });

describe('resolveJobSpec', () => {
  it('accepts the acceptance example and fills every default', () => {
    const spec = ok(minimal);
    expect(spec.datasets).toEqual({ train: 'builtin:reasoning-patterns/target', safetyPairs: 'builtin:safety-pairs', reasoningProbes: 'builtin:reasoning-probes' });
    expect(spec.training).toMatchObject({ epochs: 1, batchSize: 16, schedule: 'cosine', warmupRatio: 0.1, gradAccumSteps: 1, seed: 0 });
    expect(spec.training.maxSteps).toBeUndefined();
    expect(spec.training.lora).toBeUndefined();
    expect(spec.checkpoints).toEqual({ count: 8 });
    expect(spec.monitor).toMatchObject({ topFraction: 0.01, pooling: 'max', judge: { type: 'keyword' }, control: { seed: 1234, matchPerLayer: true } });
    expect(spec.alerts).toEqual([]);
    expect(isJobSpec(spec)).toBe(true);
    expect(Value.Check(JobSpecSchema, spec)).toBe(true);
  });

  it('does not mutate its input', () => {
    const input = structuredClone(minimal);
    ok(input);
    expect(input).toEqual(minimal);
  });

  it('derives a name when none is given', () => {
    const { name: _n, ...noName } = minimal;
    expect(ok(noName).name).toBe('rim-organism-v1 on reasoning-patterns/target');
  });

  it('rejects a negative learning rate naming training.learningRate (acceptance example)', () => {
    const e = bad(withSection('training', { learningRate: -1 }));
    expect(e.field).toBe('spec.training.learningRate');
    expect(e.message).toMatch(/greater than 0/);
  });

  it.each([
    ['missing model', { datasets: { train: 'builtin:base-mix' } }, 'spec.model', /required/],
    ['missing train set', { model: 'builtin:rim-organism-v1', datasets: {} }, 'spec.datasets.train', /required/],
    ['missing datasets', { model: 'builtin:rim-organism-v1' }, 'spec.datasets.train', /required/],
    ['unknown builtin model', { ...minimal, model: 'builtin:nope' }, 'spec.model', /unknown built-in model/],
    ['URL as model', { ...minimal, model: 'hf://org/model' }, 'spec.model', /path/],
    ['unknown builtin dataset', { ...minimal, datasets: { train: 'builtin:nope' } }, 'spec.datasets.train', /unknown built-in dataset/],
    ['wrong dataset kind', { ...minimal, datasets: { train: 'builtin:safety-pairs' } }, 'spec.datasets.train', /chat rows/],
    ['malformed dataset ref', { ...minimal, datasets: { train: 'not a ref' } }, 'spec.datasets.train', /builtin/],
    ['learningRate > 1', withSection('training', { learningRate: 2 }), 'spec.training.learningRate', /at most 1/],
    ['learningRate as string', withSection('training', { learningRate: '0.1' }), 'spec.training.learningRate', /number/],
    ['warmupRatio = 1', withSection('training', { warmupRatio: 1 }), 'spec.training.warmupRatio', /less than 1/],
    ['fractional batch', withSection('training', { batchSize: 1.5 }), 'spec.training.batchSize', /integer/],
    ['bad schedule', withSection('training', { schedule: 'step' }), 'spec.training.schedule', /one of "cosine", "linear", "constant"/],
    ['negative weight decay', withSection('training', { weightDecay: -0.1 }), 'spec.training.weightDecay', /at least 0/],
    ['epochs and maxSteps', withSection('training', { epochs: 2, maxSteps: 100 }), 'spec.training.maxSteps', /one of them/],
    ['lora rank 0', withSection('training', { lora: { rank: 0 } }), 'spec.training.lora.rank', /at least 1/],
    ['lora dropout', withSection('training', { lora: { dropout: 0.1 } }), 'spec.training.lora.dropout', /must be 0/],
    ['typo in training', withSection('training', { learningrate: 0.1 }), 'spec.training.learningrate', /not a known field/],
    ['checkpoint every 0', withSection('checkpoints', { everySteps: 0 }), 'spec.checkpoints.everySteps', /at least 1/],
    ['everySteps and count', withSection('checkpoints', { everySteps: 5, count: 3 }), 'spec.checkpoints.everySteps', /one of them/],
    ['topFraction > 1', withSection('monitor', { topFraction: 1.5 }), 'spec.monitor.topFraction', /at most 1/],
    ['minSupport 0', withSection('monitor', { minSupport: 0 }), 'spec.monitor.minSupport', /greater than 0/],
    ['bad pooling', withSection('monitor', { pooling: 'sum' }), 'spec.monitor.pooling', /one of/],
    ['http judge without url', withSection('monitor', { judge: { type: 'http' } }), 'spec.monitor.judge.url', /required/],
    ['alert without comparator', withSection('alerts', [{ metric: 'ras.safety', threshold: 1 }]), 'spec.alerts[0].comparator', /required/],
    ['alert bad comparator', withSection('alerts', [{ metric: 'ras.safety', comparator: 'eq', threshold: 1 }]), 'spec.alerts[0].comparator', /one of/],
    ['alert bad metric key', withSection('alerts', [{ metric: 'has space', comparator: 'gt', threshold: 1 }]), 'spec.alerts[0].metric', /metric key/],
    ['alerts not an array', withSection('alerts', {}), 'spec.alerts', /array/],
    ['training not an object', withSection('training', 3), 'spec.training', /object/],
    ['unknown top-level field', { ...minimal, extra: 1 }, 'spec.extra', /not a known field/],
  ])('%s -> 400 at %s', (_label, input, field, message) => {
    const e = bad(input);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('rejects non-objects at the root', () => {
    expect(bad(null).field).toBe('spec');
    expect(bad([]).field).toBe('spec');
  });

  it('reports the first bad field in schema order', () => {
    const e = bad({ ...minimal, training: { learningRate: -1, batchSize: 0 }, monitor: { pooling: 'x' } });
    expect(e.field).toBe('spec.training.batchSize');
  });

  it('fills LoRA defaults when lora is present and alert modes per item', () => {
    const spec = ok({ ...minimal, training: { lora: {} }, alerts: [{ metric: 'misalignment.delta', comparator: 'gt', threshold: 0.1 }] });
    expect(spec.training.lora).toEqual({ rank: 32, alpha: 64, targets: ['attn', 'mlp'], dropout: 0 });
    expect(spec.alerts[0].mode).toBe('absolute');
  });

  it('accepts a Hugging Face directory and uploaded dataset ids, and lists the ids', () => {
    const id = '0b7f8c3e-2d7b-4a39-9a55-0b6f5b5f1a11';
    const spec = ok({ model: './models/qwen3-tiny', datasets: { train: id, eval: id } });
    expect(datasetRefs(spec)).toEqual([
      { slot: 'train', id, kind: 'chat' },
      { slot: 'eval', id, kind: 'chat' },
    ]);
  });

  it('honours a caller-supplied builtin catalog', () => {
    const r = resolveJobSpec(minimal, { builtins: { models: ['other'], datasets: BUILTIN_CATALOG.datasets } });
    expect(r.ok).toBe(false);
  });

  it('never throws and either resolves to a valid spec or names a spec.* field (property)', () => {
    const arbSection = fc.dictionary(fc.constantFrom('learningRate', 'batchSize', 'epochs', 'maxSteps', 'pooling', 'everySteps', 'topM', 'x'), fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)));
    fc.assert(
      fc.property(fc.record({ training: arbSection, monitor: arbSection, checkpoints: arbSection }, { requiredKeys: [] }), (sections) => {
        const r = resolveJobSpec({ ...minimal, ...sections });
        if (r.ok) expect(isJobSpec(r.spec)).toBe(true);
        else expect(r.field).toMatch(/^spec\./);
      }),
      { numRuns: 300 },
    );
  });
});

describe('JobSpecInputSchema (OpenAPI body)', () => {
  it('requires only model and datasets.train and annotates defaults', () => {
    const s = JobSpecInputSchema as unknown as { required: string[]; properties: Record<string, { required?: string[]; properties: Record<string, { default?: unknown }> }> };
    expect(s.required).toEqual(['model', 'datasets']);
    expect(s.properties.datasets.required).toEqual(['train']);
    expect(s.properties.training.required).toBeUndefined();
    expect(s.properties.training.properties.learningRate.default).toBe(3e-4);
    expect(Value.Check(JobSpecInputSchema, minimal)).toBe(true);
  });
});

describe('checkpointSteps', () => {
  it('spaces count checkpoints evenly ending at the last step', () => {
    expect(checkpointSteps({ count: 8 }, 80)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(checkpointSteps({ count: 8 }, 3)).toEqual([1, 2, 3]);
  });
  it('takes every N steps plus the last', () => {
    expect(checkpointSteps({ everySteps: 30 }, 100)).toEqual([30, 60, 90, 100]);
  });
  it('rejects a bad total', () => {
    expect(() => checkpointSteps({ count: 8 }, 0)).toThrow(/totalSteps/);
  });
});
