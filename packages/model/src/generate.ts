/**
 * Decoding with a KV cache: greedy (temperature 0) or sampled (temperature, top-p, seeded with
 * pure-rand's xoroshiro128+ so runs reproduce). Batched prompts are LEFT-padded with an attention
 * mask; positions come from the mask, so padding does not shift them. Sampling runs on the host in
 * float64 over one [B, V] logits row per step (the only data that leaves the backend).
 */
import * as tf from '@tensorflow/tfjs';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { CausalLM, KVCache } from './types';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 (default) = greedy */
  temperature?: number;
  /** nucleus sampling: keep the smallest set of tokens whose probability sums to >= topP (default 1) */
  topP?: number;
  seed?: number;
  /** stop tokens; default: config.eosTokenId. Pass [] to never stop early. */
  eosTokenId?: number | number[];
  /** fills left padding; default config.padTokenId ?? first eos ?? 0 */
  padTokenId?: number;
}

export interface GenerateResult {
  /** new tokens per prompt, without the stop token */
  tokens: number[][];
  /** why each row stopped */
  finishReason: ('eos' | 'length')[];
}

function pickSampled(row: Float32Array, temperature: number, topP: number, rnd: () => number): number {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  const p = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += p[i] = Math.exp((row[i] - max) / temperature);
  const order = Array.from(p.keys());
  let kept = order;
  if (topP < 1) {
    order.sort((a, b) => p[b] - p[a] || a - b);
    let cum = 0;
    let cut = order.length;
    for (let i = 0; i < order.length; i++) {
      cum += p[order[i]] / sum;
      if (cum >= topP) {
        cut = i + 1;
        break;
      }
    }
    kept = order.slice(0, cut);
  }
  let keptSum = 0;
  for (const i of kept) keptSum += p[i];
  let u = rnd() * keptSum;
  for (const i of kept) {
    u -= p[i];
    if (u < 0) return i;
  }
  return kept[kept.length - 1];
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export function generate(model: CausalLM, prompts: number[][], opts: GenerateOptions): GenerateResult {
  const c = model.config;
  if (!Array.isArray(prompts) || prompts.length === 0) throw new Error('prompts must be a non-empty array of token id arrays');
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) throw new Error(`maxNewTokens must be a non-negative integer, got ${opts.maxNewTokens}`);
  const temperature = opts.temperature ?? 0;
  const topP = opts.topP ?? 1;
  if (!(temperature >= 0)) throw new Error(`temperature must be >= 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1], got ${topP}`);
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`prompts[${i}] is empty`);
    p.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`prompts[${i}][${j}] = ${id} is not a token id (vocab size ${c.vocabSize})`);
    });
  });
  const eos = new Set(([] as number[]).concat(opts.eosTokenId ?? c.eosTokenId ?? []));
  const pad = opts.padTokenId ?? c.padTokenId ?? [...eos][0] ?? 0;
  const rng = xoroshiro128plus(opts.seed ?? 0);
  const rnd = () => uniformFloat64(rng);

  const B = prompts.length;
  const T = Math.max(...prompts.map((p) => p.length));
  const maxNew = Math.min(opts.maxNewTokens, c.maxPositions - T);
  const ids = prompts.map((p) => [...new Array(T - p.length).fill(pad), ...p]);
  let maskRows = prompts.map((p) => [...new Array(T - p.length).fill(0), ...new Array(p.length).fill(1)]);

  const tokens: number[][] = prompts.map(() => []);
  const finishReason: ('eos' | 'length')[] = prompts.map(() => 'length');
  // rows still decoding, as indices into prompts; finished rows leave the batch (and the KV cache),
  // so the remaining steps only pay for the rows that are still writing
  let active = prompts.map((_, i) => i);
  let cache: KVCache | undefined;
  let input = tf.tensor2d(ids, [B, T], 'int32');
  try {
    for (let step = 0; step < maxNew; step++) {
      const b = active.length;
      const attentionMask = tf.tensor2d(maskRows, [b, maskRows[0].length], 'float32');
      const r = model.forward(input, { attentionMask, cache, useCache: true });
      attentionMask.dispose();
      input.dispose();
      if (cache) for (const l of cache.layers) tf.dispose([l.k, l.v]);
      cache = r.cache;
      for (const h of Object.values(r.hooks)) h.dispose();
      const t = r.logits.shape[1];
      const last = tf.tidy(() => r.logits.slice([0, t - 1, 0], [b, 1, c.vocabSize]).reshape([b, c.vocabSize]));
      r.logits.dispose();
      const data = last.dataSync() as Float32Array;
      last.dispose();
      const keep: number[] = []; // positions in this batch that go on
      const next: number[] = [];
      for (let j = 0; j < b; j++) {
        const i = active[j];
        const row = data.subarray(j * c.vocabSize, (j + 1) * c.vocabSize);
        const tok = temperature === 0 ? argmax(row) : pickSampled(row, temperature, topP, rnd);
        if (eos.has(tok)) {
          finishReason[i] = 'eos';
          continue;
        }
        tokens[i].push(tok);
        keep.push(j);
        next.push(tok);
      }
      if (keep.length === 0) break;
      if (keep.length < b) {
        const idx = tf.tensor1d(keep, 'int32');
        const old = cache!;
        cache = { length: old.length, layers: old.layers.map((l) => ({ k: tf.gather(l.k, idx) as tf.Tensor4D, v: tf.gather(l.v, idx) as tf.Tensor4D })) };
        for (const l of old.layers) tf.dispose([l.k, l.v]);
        idx.dispose();
        maskRows = keep.map((j) => maskRows[j]);
        active = keep.map((j) => active[j]);
      }
      for (const m of maskRows) m.push(1);
      input = tf.tensor2d(next.map((x) => [x]), [next.length, 1], 'int32');
    }
  } finally {
    if (!input.isDisposed) input.dispose();
    if (cache) for (const l of cache.layers) tf.dispose([l.k, l.v]);
  }
  return { tokens, finishReason };
}
