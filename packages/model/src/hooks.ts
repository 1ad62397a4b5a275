/** Activation capture helpers on top of CausalLM.forward's named hooks. */
import * as tf from '@tensorflow/tfjs';
import { totalNeurons } from '@rimwatch/contracts';
import type { CausalLM, Pooling } from './types';

export { poolTokens } from './pool';

export const mlpHook = (layer: number) => `blocks.${layer}.mlp.hook_post`;
export const patternHook = (layer: number) => `blocks.${layer}.attn.hook_pattern`;
export const residHook = (layer: number) => `blocks.${layer}.hook_resid_post`;

function toTensor2D(rows: number[][] | tf.Tensor2D, what: string, dtype: 'int32' | 'float32'): tf.Tensor2D {
  if (rows instanceof tf.Tensor) return rows;
  if (!Array.isArray(rows) || rows.length === 0) throw new Error(`${what} must be a non-empty array of rows`);
  const len = rows[0].length;
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== len) throw new Error(`${what}[${i}] has length ${Array.isArray(r) ? r.length : 'n/a'}, expected ${len} (rows must be equally long; pad them)`);
  });
  return tf.tensor2d(rows, [rows.length, len], dtype);
}

export interface CaptureOptions {
  /** [B, T] attention mask (needed with left padding); default: every token attends */
  attentionMask?: number[][] | tf.Tensor2D;
  /** examples per forward pass (bounds memory); default 16 */
  batchSize?: number;
}

/**
 * MLP neuron activations (blocks.{i}.mlp.hook_post), pooled over the tokens where mask is 1, one flat
 * vector per example with layers concatenated in model.neuronLayout order. The metrics library
 * consumes these. Pooling runs on the backend; only [B, layers * d_mlp] is read back.
 */
export function captureNeuronActivations(
  model: CausalLM,
  batchIds: number[][] | tf.Tensor2D,
  mask: number[][] | tf.Tensor2D,
  pool: Exclude<Pooling, 'none'> = 'max',
  opts: CaptureOptions = {},
): Float32Array[] {
  const ids = toTensor2D(batchIds, 'batchIds', 'int32');
  const m = toTensor2D(mask, 'mask', 'float32');
  const am = opts.attentionMask ? toTensor2D(opts.attentionMask, 'attentionMask', 'float32') : undefined;
  try {
    const [n, t] = ids.shape;
    if (m.shape[0] !== n || m.shape[1] !== t) throw new Error(`mask must be [${n}, ${t}] like batchIds, got [${m.shape}]`);
    const L = model.config.numLayers;
    const width = totalNeurons(model.neuronLayout);
    const hooks = Array.from({ length: L }, (_, i) => mlpHook(i));
    const bs = Math.max(1, opts.batchSize ?? 16);
    const out: Float32Array[] = [];
    for (let s = 0; s < n; s += bs) {
      const k = Math.min(bs, n - s);
      const flat = tf.tidy(() => {
        const r = model.forward(ids.slice([s, 0], [k, t]), {
          hooks,
          pool,
          poolMask: m.slice([s, 0], [k, t]),
          attentionMask: am?.slice([s, 0], [k, t]),
          logits: false,
        });
        return tf.concat(hooks.map((h) => r.hooks[h]), 1); // [k, L * d_mlp]
      });
      const data = flat.dataSync() as Float32Array;
      flat.dispose();
      for (let i = 0; i < k; i++) out.push(data.slice(i * width, (i + 1) * width));
    }
    return out;
  } finally {
    if (!(batchIds instanceof tf.Tensor)) ids.dispose();
    if (!(mask instanceof tf.Tensor)) m.dispose();
    if (am && !(opts.attentionMask instanceof tf.Tensor)) am.dispose();
  }
}
