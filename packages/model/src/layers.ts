/**
 * Building blocks shared by gpt2.ts and llama.ts. Shapes: B batch, T new tokens, S keys (past + new),
 * D hidden, H query heads, K key/value heads, hd head dim, F features.
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardOptions, ForwardResult, HookName, LoraAdapter, Pooling } from './types';
import { poolTokens } from './pool';

export interface ParamSource {
  readonly params: Map<string, tf.Variable>;
  readonly adapters: Map<string, LoraAdapter>;
}

export function param(m: ParamSource, name: string): tf.Variable {
  const p = m.params.get(name);
  if (!p) throw new Error(`model has no parameter "${name}"`);
  return p;
}

/**
 * 2-D a @ b with gradients that also use plain (untransposed) 2-D matmuls. Why: the wasm backend only
 * sends untransposed, unbatched matmuls to XNNPACK; with a transpose flag it falls back to a loop
 * that measured ~15-20x slower here (0.4 vs 7 GFLOP/s). tf.matMul's own gradient uses transpose
 * flags (dy b^T, a^T dy), so we transpose explicitly (a cheap copy) and keep every matmul on the
 * fast path. Other backends handle transpose flags natively and use tf.matMul directly.
 */
const fastMatMulGrad = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** a [N, K] @ b (b [K, M], or b [M, K] with transposeB), fast on wasm (see fastMatMulGrad). */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeB = false): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, false, transposeB);
  return fastMatMulGrad(a, transposeB ? tf.transpose(b) : b);
}

/**
 * Every linear layer goes through here. x [..., in] -> [..., out].
 * weight layout: nn.Linear stores [out, in] (y = x W^T); GPT-2's Conv1D stores [in, out] (y = x W).
 * A LoRA adapter registered under the weight's HF name adds (x A^T B^T) * scale, A [r, in], B [out, r].
 */
export function linear(m: ParamSource, x: tf.Tensor, weight: string, opts: { bias?: string; conv1d?: boolean } = {}): tf.Tensor {
  const w = param(m, weight) as tf.Tensor2D;
  const inDim = x.shape[x.shape.length - 1] as number;
  const x2 = x.reshape([-1, inDim]) as tf.Tensor2D; // free: a view, no copy
  let y: tf.Tensor = matMul2d(x2, w, !opts.conv1d);
  if (opts.bias) y = tf.add(y, param(m, opts.bias));
  const lora = m.adapters.get(weight);
  if (lora) y = tf.add(y, tf.mul(matMul2d(matMul2d(x2, lora.a as tf.Tensor2D, true), lora.b as tf.Tensor2D, true), lora.scale));
  return y.reshape([...(x.shape.slice(0, -1) as number[]), y.shape[1] as number]);
}

/** LayerNorm over the last axis (biased variance, as torch). */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
}

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * w. */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GPT-2's tanh approximation of GELU ("gelu_new"). */
export function geluNew(x: tf.Tensor): tf.Tensor {
  // x*x*x rather than pow(x, 3): same value, and pow and its gradient are slow on wasm
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** Additive mask value: large enough that exp() underflows to 0, finite so fully masked rows give no NaN. */
export const MASKED = -1e9;

/**
 * Causal additive masks [1, 1, T, S] (key j visible to query i iff j <= S - T + i), built once per
 * (T, S, window) and kept; a small LRU bounds the count when generation walks through many lengths.
 */
export class MaskCache {
  private readonly masks = new Map<string, tf.Tensor4D>();
  constructor(private readonly capacity = 16) {}

  /** window: sliding-window attention (Mistral): key j also needs j > i - window (HF's convention) */
  causal(t: number, s: number, window = Infinity): tf.Tensor4D {
    const key = `${t}:${s}:${window}`;
    const hit = this.masks.get(key);
    if (hit && !hit.isDisposed) {
      this.masks.delete(key); // refresh LRU position
      this.masks.set(key, hit);
      return hit;
    }
    const vals = new Float32Array(t * s);
    const past = s - t;
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < s; j++) if (j > past + i || j <= past + i - window) vals[i * s + j] = MASKED;
    }
    const m = tf.keep(tf.tensor4d(vals, [1, 1, t, s]));
    this.masks.set(key, m);
    if (this.masks.size > this.capacity) {
      const [oldKey, old] = this.masks.entries().next().value as [string, tf.Tensor4D];
      this.masks.delete(oldKey);
      old.dispose();
    }
    return m;
  }

  dispose(): void {
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

/**
 * The additive attention bias [B|1, 1, T, S]: causal, plus padding from attentionMask [B, S].
 * Returns undefined when nothing is masked (single new token, no padding).
 */
export function attentionBias(masks: MaskCache, t: number, s: number, attentionMask?: tf.Tensor, window?: number): tf.Tensor | undefined {
  const windowed = window !== undefined && s > window;
  const causal = t > 1 || windowed ? masks.causal(t, s, windowed ? window : Infinity) : undefined;
  if (!attentionMask) return causal;
  if (attentionMask.shape[1] !== s) throw new Error(`attentionMask has ${attentionMask.shape[1]} columns, expected ${s} (past + new tokens)`);
  const b = attentionMask.shape[0];
  const pad = tf.mul(tf.sub(1, tf.cast(attentionMask, 'float32')), MASKED).reshape([b, 1, 1, s]);
  return causal ? tf.add(causal, pad) : pad;
}

/** Position ids [B|1, T] for the new tokens (see ForwardOptions.positionIds). */
export function positionIds(opts: ForwardOptions, t: number, past: number): tf.Tensor2D {
  if (opts.positionIds) return tf.cast(opts.positionIds, 'int32') as tf.Tensor2D;
  if (opts.attentionMask) {
    // left padding: a sequence's first real token is position 0 (HF: cumsum(mask) - 1, padding -> 1)
    const m = tf.cast(opts.attentionMask, 'float32');
    const pos = tf.maximum(tf.sub(tf.cumsum(m, 1), 1), 0);
    const s = m.shape[1];
    return tf.cast(pos.slice([0, s - t], [-1, t]), 'int32') as tf.Tensor2D;
  }
  return tf.range(past, past + t, 1, 'int32').reshape([1, t]) as tf.Tensor2D;
}

/**
 * Scaled dot-product attention with grouped-query heads, without copying K/V per query head:
 * q [B, H, T, hd] is viewed as [B, K, G*T, hd] (head h uses kv head floor(h / G), as HF repeat_kv),
 * so one batched matMul serves every head.
 * Returns out [B, T, H*hd] and probs [B, H, T, S].
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor | undefined, scale: number): { out: tf.Tensor3D; probs: tf.Tensor4D } {
  const [b, h, t, hd] = q.shape;
  const kvh = k.shape[1];
  const s = k.shape[2];
  const g = h / kvh;
  const qg = tf.mul(q, scale).reshape([b, kvh, g * t, hd]);
  // One new token (cached decoding) on wasm: broadcast multiply + sum instead of B*K one-row matmuls.
  // Why: wasm's batched matmul runs one XNNPACK call per batch entry (train/fast-matmul.ts); for a
  // single query row that is ~B*K*2 tiny calls per layer per token, which dominated generation.
  const rowwise = t === 1 && tf.getBackend() === 'wasm';
  let scores = (
    rowwise
      ? tf.sum(tf.mul(qg.reshape([b, kvh, g, 1, hd]), k.reshape([b, kvh, 1, s, hd])), -1) // [B, K, G, S]
      : tf.matMul(qg, k, false, true)
  ).reshape([b, h, t, s]); // [B, H, T, S]
  if (bias) scores = tf.add(scores, bias);
  const probs = tf.softmax(scores) as tf.Tensor4D;
  const ctx = (
    rowwise
      ? tf.sum(tf.mul(probs.reshape([b, kvh, g, s, 1]), v.reshape([b, kvh, 1, s, hd])), 3) // [B, K, G, hd]
      : tf.matMul(probs.reshape([b, kvh, g * t, s]), v)
  ).reshape([b, h, t, hd]); // [B, H, T, hd]
  const out = tf.transpose(ctx, [0, 2, 1, 3]).reshape([b, t, h * hd]) as tf.Tensor3D;
  return { out, probs };
}

/** [B, T, H*hd] -> [B, H, T, hd] */
export function splitHeads(x: tf.Tensor, heads: number, hd: number): tf.Tensor4D {
  const [b, t] = x.shape;
  return tf.transpose(x.reshape([b, t, heads, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
}

const HOOK_RE = /^blocks\.(\d+)\.(mlp\.hook_post|attn\.hook_pattern|hook_resid_post)$/;

/** Which hooks a forward call keeps, validated against the model depth. */
export class HookSet {
  readonly wanted: Set<HookName>;
  readonly lastLayer: number;
  readonly out: Record<HookName, tf.Tensor> = {};

  constructor(hooks: HookName[] | undefined, numLayers: number) {
    this.wanted = new Set(hooks ?? []);
    let last = -1;
    for (const name of this.wanted) {
      const m = HOOK_RE.exec(name);
      if (!m) throw new Error(`unknown hook "${name}" (expected blocks.{i}.mlp.hook_post, blocks.{i}.attn.hook_pattern or blocks.{i}.hook_resid_post)`);
      const layer = Number(m[1]);
      if (layer >= numLayers) throw new Error(`hook "${name}": layer ${layer} out of range (model has ${numLayers} layers)`);
      last = Math.max(last, layer);
    }
    this.lastLayer = last;
  }

  has(name: HookName): boolean {
    return this.wanted.has(name);
  }

  /** keep x under name if requested (pooled over tokens when asked) */
  add(name: HookName, x: tf.Tensor, pool: Pooling, poolMask: tf.Tensor | undefined): void {
    if (!this.wanted.has(name)) return;
    this.out[name] = pool === 'none' ? x : poolTokens(x, poolMask, pool, x.rank === 4 ? 2 : 1);
  }
}

/** Shared forward-call bookkeeping: past length, input checks. */
export function checkInputs(inputIds: tf.Tensor, opts: ForwardOptions): { b: number; t: number; past: number } {
  if (inputIds.rank !== 2) throw new Error(`inputIds must be [batch, seq], got shape [${inputIds.shape}]`);
  const [b, t] = inputIds.shape;
  const past = opts.cache?.length ?? 0;
  if (opts.poolMask && (opts.poolMask.shape[0] !== b || opts.poolMask.shape[1] !== t)) {
    throw new Error(`poolMask must be [${b}, ${t}], got [${opts.poolMask.shape}]`);
  }
  if (opts.attentionMask && opts.attentionMask.shape[0] !== b) throw new Error(`attentionMask must have ${b} rows, got ${opts.attentionMask.shape[0]}`);
  return { b, t, past };
}

/** poolMask default: the attention mask's columns for the new tokens. */
export function defaultPoolMask(opts: ForwardOptions, t: number): tf.Tensor | undefined {
  if (opts.poolMask) return opts.poolMask;
  if (!opts.attentionMask) return undefined;
  const s = opts.attentionMask.shape[1];
  return opts.attentionMask.slice([0, s - t], [-1, t]);
}

/** tf.tidy for a forward pass: everything but the returned logits, hooks and cache is freed. */
export function tidyForward(fn: () => ForwardResult): ForwardResult {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as ForwardResult;
}
