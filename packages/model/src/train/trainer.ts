/**
 * Fine-tuning loop over a CausalLM: token-weighted gradient accumulation, global-norm clipping,
 * AdamW with warmup + cosine/linear/constant decay, full or LoRA-only training, divergence detection
 * before any update, and exact save/restore of the whole train state (state.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../types';
import { AdamW } from './adamw';
import { registerFastCpuSegmentSum, registerFastTransposedMatMul } from './fast-matmul';
import { collate, DataOrder, type Batch, type DataOrderState, type TrainExample } from './data';
import { causalLmLoss } from '../loss';
import { addLora, peftName, validateLoraOptions, type LoraOptions } from './lora';
import { lrAt, type ScheduleKind } from './schedule';
import { saveTrainState, type SaveTrainStateOptions } from './state'; // circular, used at call time only

export interface TrainerOptions {
  lr: number;
  /** share of totalSteps used for linear warmup, 0..1 */
  warmupRatio: number;
  schedule: ScheduleKind;
  /** optimizer updates planned (the schedule's length) */
  totalSteps: number;
  weightDecay: number;
  /** max global gradient norm; 0 disables clipping */
  gradClip: number;
  /** micro-batches per update */
  accumSteps: number;
  /** examples per micro-batch */
  batchSize: number;
  maxSeqLen: number;
  /** data order seed */
  seed: number;
  /** train LoRA adapters only (base frozen); created on the model unless it already has them */
  lora?: LoraOptions;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** padding token id (never a target; any valid id works) */
  padId?: number;
}

export interface StepResult {
  /** 1-based number of this update */
  step: number;
  /** mean loss over the update's target tokens */
  loss: number;
  lr: number;
  /** global gradient norm BEFORE clipping */
  gradNorm: number;
  /** target (response) tokens in the update */
  tokens: number;
  ms: number;
}

/** NaN/Inf met before the update was applied; the model and optimizer are left as they were. */
export class DivergenceError extends Error {
  constructor(
    readonly step: number,
    readonly which: 'loss' | 'gradient',
    readonly value: number,
    /** for 'gradient': the first parameter whose gradient is not finite */
    readonly param?: string,
  ) {
    super(`training diverged at step ${step}: ${which === 'loss' ? 'loss' : `gradient of ${param ?? '?'}`} is ${value}; update not applied`);
    this.name = 'DivergenceError';
  }
}

export interface RestoredState {
  step: number;
  adamT: number;
  moments?: { m: Map<string, Float32Array>; v: Map<string, Float32Array> };
  data?: DataOrderState;
}

function num(o: Record<string, unknown>, key: string, check: (x: number) => boolean, rule: string): void {
  const x = o[key];
  if (typeof x !== 'number' || !Number.isFinite(x) || !check(x)) throw new RangeError(`trainer option ${key} must be ${rule}, got ${JSON.stringify(x)}`);
}

export function validateTrainerOptions(o: TrainerOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError('trainer options must be an object');
  const r = o as unknown as Record<string, unknown>;
  num(r, 'lr', (x) => x >= 0, 'a number >= 0');
  num(r, 'warmupRatio', (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
  num(r, 'totalSteps', (x) => Number.isInteger(x) && x > 0, 'a positive integer');
  num(r, 'weightDecay', (x) => x >= 0, 'a number >= 0');
  num(r, 'gradClip', (x) => x >= 0, 'a number >= 0 (0 = off)');
  num(r, 'accumSteps', (x) => Number.isInteger(x) && x > 0, 'a positive integer');
  num(r, 'batchSize', (x) => Number.isInteger(x) && x > 0, 'a positive integer');
  num(r, 'maxSeqLen', (x) => Number.isInteger(x) && x >= 2, 'an integer >= 2');
  num(r, 'seed', (x) => Number.isInteger(x), 'an integer');
  if (!['cosine', 'linear', 'constant'].includes(o.schedule)) throw new RangeError(`trainer option schedule must be cosine, linear or constant, got ${JSON.stringify(o.schedule)}`);
  for (const k of ['beta1', 'beta2'] as const) if (o[k] !== undefined) num(r, k, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  if (o.eps !== undefined) num(r, 'eps', (x) => x > 0, 'a positive number');
  if (o.padId !== undefined) num(r, 'padId', (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  if (o.lora !== undefined) validateLoraOptions(o.lora);
}

/** Cheap FNV-1a fingerprint of a dataset, so a resume with different data fails loudly. */
const fingerprints = new WeakMap<readonly TrainExample[], string>();
export function datasetFingerprint(ds: readonly TrainExample[]): string {
  let fp = fingerprints.get(ds);
  if (fp) return fp;
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193);
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193);
  };
  for (const ex of ds) {
    mix(ex.promptLength);
    mix(ex.ids.length);
    for (const id of ex.ids) mix(id);
  }
  fp = `${ds.length}:${(h >>> 0).toString(16)}`;
  fingerprints.set(ds, fp);
  return fp;
}

export class Trainer {
  readonly options: Readonly<TrainerOptions>;
  /** trainable variables, keyed by HF name (full fine-tuning) or PEFT lora_A/lora_B name */
  readonly trainable = new Map<string, tf.Variable>();
  readonly optimizer: AdamW;
  /** optimizer updates applied so far */
  globalStep = 0;
  dataOrder?: DataOrder;
  dataFingerprint?: string;
  private restoredData?: DataOrderState;

  constructor(
    readonly model: CausalLM,
    options: TrainerOptions,
    restore?: RestoredState & { dataFingerprint?: string },
  ) {
    validateTrainerOptions(options);
    // wasm's own BatchMatMul is 10-100x slower for the transposed/batched products backprop uses
    if (tf.getBackend() === 'wasm') registerFastTransposedMatMul('wasm');
    // cpu's gather gradient (UnsortedSegmentSum) is quadratic in the number of segments
    if (tf.getBackend() === 'cpu') registerFastCpuSegmentSum();
    this.options = Object.freeze({ ...options, lora: options.lora && { ...options.lora, targets: [...options.lora.targets] } });
    if (options.lora) {
      if (model.adapters.size === 0) addLora(model, options.lora);
      for (const [name, ad] of model.adapters) {
        this.trainable.set(peftName(name, 'A'), ad.a);
        this.trainable.set(peftName(name, 'B'), ad.b);
      }
    } else {
      if (model.adapters.size > 0) throw new Error('model has LoRA adapters but trainer options have no lora: pass lora options, or merge/remove the adapters');
      for (const [name, p] of model.params) this.trainable.set(name, p);
    }
    // tf.variableGrads ignores variables with trainable=false; the trainer decides what trains.
    for (const v of this.trainable.values()) v.trainable = true;
    this.optimizer = new AdamW(this.trainable, { beta1: options.beta1, beta2: options.beta2, eps: options.eps, weightDecay: options.weightDecay });
    if (restore) {
      this.globalStep = restore.step;
      this.optimizer.t = restore.adamT;
      if (restore.moments) {
        for (const [key, m] of this.optimizer.m) {
          const mv = restore.moments.m.get(key);
          const vv = restore.moments.v.get(key);
          if (!mv || !vv) throw new Error(`saved optimizer state has no moments for ${key}`);
          if (mv.length !== m.size || vv.length !== m.size) throw new Error(`saved optimizer moments for ${key} have ${mv.length} values, parameter has ${m.size}`);
          m.assign(tf.tensor(mv, m.shape));
          this.optimizer.v.get(key)!.assign(tf.tensor(vv, m.shape));
        }
      }
      this.restoredData = restore.data;
      this.dataFingerprint = restore.dataFingerprint;
    }
  }

  lrAt(step = this.globalStep): number {
    return lrAt(step, this.options);
  }

  /**
   * One optimizer update on `examples` (split into micro-batches of batchSize). Gradients of the
   * micro-batches are weighted by their share of target tokens, so the update equals one big batch.
   */
  step(examples: readonly TrainExample[]): StepResult {
    const t0 = performance.now();
    const o = this.options;
    if (examples.length === 0) throw new RangeError('step() needs at least one example');
    const batches: Batch[] = [];
    for (let i = 0; i < examples.length; i += o.batchSize) {
      batches.push(collate(examples.slice(i, i + o.batchSize), { maxSeqLen: o.maxSeqLen, padId: o.padId ?? 0 }));
    }
    const total = batches.reduce((a, b) => a + b.tokens, 0);
    if (total === 0) throw new RangeError(`step ${this.globalStep + 1}: no response tokens in the batch (every example is prompt-only or truncated at maxSeqLen=${o.maxSeqLen})`);

    const vars = [...this.trainable.values()];
    const keyOf = new Map<string, string>();
    for (const [k, v] of this.trainable) keyOf.set(v.name, k);
    const acc = new Map<string, tf.Tensor>();
    let lossSum: tf.Scalar = tf.scalar(0);
    try {
      for (const b of batches) {
        if (b.tokens === 0) continue;
        const w = b.tokens / total;
        const { value, grads } = tf.variableGrads(() => {
          const ids = tf.tensor2d(b.inputIds, [b.batchSize, b.seqLen], 'int32');
          const mask = tf.tensor2d(b.lossMask, [b.batchSize, b.seqLen]);
          // No attention mask: padding is on the right and attention is causal, so real tokens never see it.
          const { logits } = this.model.forward(ids);
          return tf.mul(causalLmLoss(logits, ids, mask), w) as tf.Scalar;
        }, vars);
        const prevLoss = lossSum;
        lossSum = tf.add(lossSum, value);
        prevLoss.dispose();
        value.dispose();
        for (const [vname, g] of Object.entries(grads)) {
          const key = keyOf.get(vname)!;
          const prev = acc.get(key);
          if (prev) {
            acc.set(key, tf.add(prev, g));
            prev.dispose();
            g.dispose();
          } else acc.set(key, g);
        }
      }
      for (const [key, v] of this.trainable) if (!acc.has(key)) acc.set(key, tf.zerosLike(v)); // unused parameter

      // One device->host sync per update: [loss, sum of squared gradients].
      const stats = tf.tidy(() => tf.stack([lossSum, tf.addN([...acc.values()].map((g) => tf.sum(tf.square(g))))]));
      const [loss, sq] = stats.dataSync();
      stats.dispose();
      const step = this.globalStep + 1;
      if (!Number.isFinite(loss)) throw new DivergenceError(step, 'loss', loss);
      const gradNorm = Math.sqrt(sq);
      if (!Number.isFinite(gradNorm)) {
        for (const [key, g] of acc) {
          const s = tf.tidy(() => tf.sum(tf.square(g)));
          const x = s.dataSync()[0];
          s.dispose();
          if (!Number.isFinite(x)) throw new DivergenceError(step, 'gradient', x, key);
        }
        throw new DivergenceError(step, 'gradient', gradNorm); // overflow of the squared sum itself
      }
      // torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped to 1
      const coef = o.gradClip > 0 ? Math.min(1, o.gradClip / (gradNorm + 1e-6)) : 1;
      const lr = this.lrAt(this.globalStep);
      this.optimizer.apply(acc, lr, coef);
      this.globalStep = step;
      return { step, loss, lr, gradNorm, tokens: total, ms: performance.now() - t0 };
    } finally {
      lossSum.dispose();
      for (const g of acc.values()) g.dispose();
    }
  }

  /** Data order over `dataset` (seeded by options.seed), restored from the saved cursor when resuming. */
  private orderFor(dataset: readonly TrainExample[]): DataOrder {
    const fp = datasetFingerprint(dataset);
    if (this.dataOrder) {
      if (fp !== this.dataFingerprint) throw new Error('trainSteps() got a different dataset than before; create a new trainer for new data');
      return this.dataOrder;
    }
    if (this.restoredData && this.dataFingerprint && fp !== this.dataFingerprint) {
      throw new Error(`dataset differs from the one the saved train state used (fingerprint ${fp} vs ${this.dataFingerprint})`);
    }
    this.dataOrder = new DataOrder(dataset.length, this.options.seed, this.restoredData);
    this.dataFingerprint = fp;
    return this.dataOrder;
  }

  /** n updates, each on batchSize × accumSteps examples drawn in seeded shuffled order (epochs roll over). */
  trainSteps(n: number, dataset: readonly TrainExample[], onStep?: (r: StepResult) => void): StepResult[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
    const order = this.orderFor(dataset);
    const perStep = this.options.batchSize * this.options.accumSteps;
    const out: StepResult[] = [];
    for (let i = 0; i < n; i++) {
      const before = order.state();
      const idx = order.take(perStep);
      let r: StepResult;
      try {
        r = this.step(idx.map((j) => dataset[j]));
      } catch (e) {
        // leave the cursor where the failed step started, so a saved state is consistent
        this.dataOrder = new DataOrder(dataset.length, this.options.seed, before);
        throw e;
      }
      out.push(r);
      onStep?.(r);
    }
    return out;
  }

  /** Restored/current data order state, if any. */
  dataState(): DataOrderState | undefined {
    return this.dataOrder?.state() ?? this.restoredData;
  }

  /** Writes the whole train state to `dir` (see state.ts); `loadTrainState(model, dir)` continues from it. */
  saveState(dir: string, opts?: SaveTrainStateOptions): void {
    saveTrainState(this, dir, opts);
  }

  /** Disposes optimizer moments (not the model or its adapters). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

export function createTrainer(model: CausalLM, options: TrainerOptions): Trainer {
  return new Trainer(model, options);
}
