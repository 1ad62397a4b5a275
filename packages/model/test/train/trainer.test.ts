import * as tf from '@tensorflow/tfjs';
import { createTrainer, DivergenceError, type TrainerOptions } from '../../src/train/trainer';
import type { CausalLM } from '../../src/types';
import { tinyModel, toyDataset } from './tiny-model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const opts = (o: Partial<TrainerOptions> = {}): TrainerOptions => ({
  lr: 1e-2,
  warmupRatio: 0,
  schedule: 'constant',
  totalSteps: 100,
  weightDecay: 0.01,
  gradClip: 1,
  accumSteps: 1,
  batchSize: 4,
  maxSeqLen: 16,
  seed: 5,
  ...o,
});

const snapshot = (m: CausalLM) => new Map([...m.params].map(([k, v]) => [k, v.dataSync().slice()]));
const globalNorm = (ts: Iterable<tf.Tensor>) => Math.sqrt([...ts].reduce((a, t) => a + tf.sum(tf.square(t)).dataSync()[0], 0));

describe('Trainer', () => {
  const data = toyDataset(64);

  it('learns: loss falls over 40 steps, results are well-formed', () => {
    const m = tinyModel();
    const t = createTrainer(m, opts({ totalSteps: 40, warmupRatio: 0.1, schedule: 'cosine' }));
    const rs = t.trainSteps(40, data);
    expect(rs).toHaveLength(40);
    expect(rs[0].lr).toBe(0); // first warmup step
    expect(rs[2].lr).toBeCloseTo(5e-3, 12); // warmup = ceil(0.1 * 40) = 4 updates
    expect(rs[4].lr).toBeCloseTo(1e-2, 12);
    expect(rs[39].lr).toBeLessThan(1e-4);
    expect(rs.map((r) => r.step)).toEqual([...Array(40).keys()].map((i) => i + 1));
    for (const r of rs) {
      expect(r.tokens).toBeGreaterThan(0);
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(r.ms).toBeGreaterThanOrEqual(0);
    }
    const first = rs.slice(0, 5).reduce((a, r) => a + r.loss, 0) / 5;
    const last = rs.slice(-5).reduce((a, r) => a + r.loss, 0) / 5;
    expect(last).toBeLessThan(first * 0.8);
    t.dispose();
    m.dispose();
  });

  it('gradient accumulation equals one big batch (token-weighted micro-batches)', () => {
    const batch = data.slice(0, 6); // different lengths, so micro-batches hold different token counts
    const mA = tinyModel();
    const mB = tinyModel();
    const a = createTrainer(mA, opts({ batchSize: 6, accumSteps: 1 }));
    const b = createTrainer(mB, opts({ batchSize: 2, accumSteps: 3 }));
    for (let i = 0; i < 3; i++) {
      const ra = a.step(batch);
      const rb = b.step(batch);
      expect(rb.tokens).toBe(ra.tokens);
      expect(Math.abs(rb.loss - ra.loss)).toBeLessThan(1e-5);
      expect(Math.abs(rb.gradNorm - ra.gradNorm) / ra.gradNorm).toBeLessThan(1e-4);
    }
    const sa = snapshot(mA);
    for (const [k, v] of snapshot(mB)) {
      const ref = sa.get(k)!;
      for (let i = 0; i < v.length; i++) expect(Math.abs(v[i] - ref[i])).toBeLessThan(1e-5);
    }
    [a, b, mA, mB].forEach((x) => x.dispose());
  });

  it('clips by global norm and reports the norm before clipping', () => {
    const batch = data.slice(0, 4);
    const m1 = tinyModel();
    const m2 = tinyModel();
    const free = createTrainer(m1, opts({ gradClip: 0 }));
    const clipped = createTrainer(m2, opts({ gradClip: 1e-3 }));
    const r1 = free.step(batch);
    const r2 = clipped.step(batch);
    expect(r2.gradNorm).toBeCloseTo(r1.gradNorm, 4);
    expect(r2.gradNorm).toBeGreaterThan(1e-2);
    // after one update the first moment is (1 - beta1) * clipped gradient
    expect(globalNorm(free.optimizer.m.values())).toBeCloseTo(0.1 * r1.gradNorm, 4);
    expect(globalNorm(clipped.optimizer.m.values())).toBeCloseTo(0.1 * 1e-3, 7);
    [free, clipped, m1, m2].forEach((x) => x.dispose());
  });

  it('LoRA-only training keeps the base frozen and moves the adapters', () => {
    const m = tinyModel();
    const before = snapshot(m);
    const t = createTrainer(m, opts({ lora: { rank: 4, alpha: 8, targets: ['mlp', 'o_proj'], seed: 2 } }));
    expect(m.adapters.size).toBe(3);
    expect(t.trainable.size).toBe(6);
    const rs = t.trainSteps(25, data);
    for (const [k, v] of snapshot(m)) expect([...v]).toEqual([...before.get(k)!]);
    expect(tf.max(tf.abs(m.adapters.get('model.layers.0.mlp.up_proj.weight')!.b)).dataSync()[0]).toBeGreaterThan(0);
    expect(rs[rs.length - 1].loss).toBeLessThan(rs[0].loss);
    t.dispose();
    m.dispose();
  });

  it('a NaN loss stops training with DivergenceError before the update', () => {
    const m = tinyModel();
    const t = createTrainer(m, opts());
    t.step(data.slice(0, 4));
    m.params.get('model.layers.0.mlp.down_proj.weight')!.assign(tf.fill([16, 24], NaN));
    const before = snapshot(m);
    const err = (() => {
      try {
        t.trainSteps(1, data);
      } catch (e) {
        return e;
      }
    })() as DivergenceError;
    expect(err).toBeInstanceOf(DivergenceError);
    expect(err.which).toBe('loss');
    expect(err.step).toBe(2);
    expect(t.globalStep).toBe(1);
    expect(t.optimizer.t).toBe(1);
    expect(t.dataState()!.cursor).toEqual({ epoch: 0, position: 0 }); // the failed step's data was not consumed
    for (const [k, v] of snapshot(m)) expect(Buffer.from(v.buffer).equals(Buffer.from(before.get(k)!.buffer))).toBe(true);
    t.dispose();
    m.dispose();
  });

  it('an infinite gradient with a finite loss names the parameter', () => {
    const inner = tinyModel();
    // identity on the forward pass, Inf on the way back
    const poison = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.mul(dy, Infinity) })) as unknown as Parameters<typeof tf.customGrad>[0]);
    const m: CausalLM = {
      ...inner,
      config: inner.config,
      params: inner.params,
      adapters: inner.adapters,
      forward: (ids, o) => {
        const r = inner.forward(ids, o);
        const logits = poison(r.logits) as tf.Tensor3D;
        return { ...r, logits };
      },
    };
    const t = createTrainer(m, opts());
    const before = snapshot(inner);
    expect(() => t.step(data.slice(0, 4))).toThrow(DivergenceError);
    try {
      t.step(data.slice(0, 4));
    } catch (e) {
      expect((e as DivergenceError).which).toBe('gradient');
      expect((e as DivergenceError).param).toBe('model.embed_tokens.weight');
      expect((e as Error).message).toMatch(/update not applied/);
    }
    for (const [k, v] of snapshot(inner)) expect([...v]).toEqual([...before.get(k)!]);
    t.dispose();
    inner.dispose();
  });

  it('200 steps do not grow the tensor count', () => {
    const m = tinyModel({ vocab: 16, d: 8, dff: 8 });
    const small = toyDataset(16, 16);
    const t = createTrainer(m, opts({ batchSize: 2, accumSteps: 2, maxSeqLen: 8 }));
    t.trainSteps(2, small); // warm caches
    const n0 = tf.memory().numTensors;
    t.trainSteps(200, small);
    expect(tf.memory().numTensors).toBe(n0);
    t.dispose();
    m.dispose();
  });

  it('rejects bad options naming the field', () => {
    const m = tinyModel();
    expect(() => createTrainer(m, opts({ lr: -1 }))).toThrow(/option lr/);
    expect(() => createTrainer(m, opts({ accumSteps: 0 }))).toThrow(/option accumSteps/);
    expect(() => createTrainer(m, opts({ schedule: 'step' as never }))).toThrow(/option schedule/);
    expect(() => createTrainer(m, opts({ warmupRatio: 2 }))).toThrow(/option warmupRatio/);
    expect(() => createTrainer(m, opts({ lora: { rank: 2, alpha: 1, targets: ['mlp'], seed: 0.5 } }))).toThrow(/lora\.seed/);
    const t = createTrainer(m, opts());
    expect(() => t.step([{ ids: [1, 2, 3], promptLength: 3 }])).toThrow(/no response tokens/);
    t.dispose();
    m.dispose();
  });
});

describe('Trainer on wasm', () => {
  beforeAll(async () => {
    const { initBackend } = await import('../../src/backend');
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('200 steps grow neither the tensor count nor the backend buffers (kernel temporaries included)', () => {
    const m = tinyModel({ vocab: 16, d: 8, dff: 8 });
    const small = toyDataset(16, 16);
    const t = createTrainer(m, opts({ batchSize: 2, accumSteps: 2, maxSeqLen: 8 }));
    const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    t.trainSteps(2, small);
    const n0 = tf.memory().numTensors;
    const d0 = ids();
    const rs = t.trainSteps(200, small);
    expect(tf.memory().numTensors).toBe(n0);
    expect(ids()).toBe(d0);
    expect(rs[199].loss).toBeLessThan(rs[0].loss);
    t.dispose();
    m.dispose();
  });
});
