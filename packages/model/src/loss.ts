/** Causal-LM loss: shifted next-token cross-entropy, as HF's ForCausalLMLoss. */
import * as tf from '@tensorflow/tfjs';

/**
 * Row-wise log-sum-exp of x [N, V] -> [N], max-shifted. A custom gradient (softmax(x) * dy) because
 * tf.logSumExp differentiates through its max with an Equal over all N x V logits, which measured
 * ~8% of a training step on wasm for a 512-token vocabulary.
 */
const logSumExpRows = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const m = tf.max(x, 1, true);
  const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, m)), 1, true)), m); // [N, 1]
  save([x, lse]);
  return {
    value: lse.reshape([-1]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, slse] = saved;
      return tf.mul(tf.exp(tf.sub(sx, slse)), dy.reshape([-1, 1]));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor1D;

/**
 * logits [B, T, V], inputIds [B, T], lossMask [B, T] (1 = this token counts as a TARGET; prompt and
 * padding tokens are 0). Position t predicts token t+1; the mean is over targets whose mask is 1.
 * log-sum-exp is max-shifted, so large logits do not overflow. Returns a scalar.
 * With no target token at all the loss is 0 (the denominator is clamped to 1) rather than NaN.
 */
export function causalLmLoss(logits: tf.Tensor3D, inputIds: tf.Tensor2D, lossMask?: tf.Tensor2D): tf.Scalar {
  const [b, t, v] = logits.shape;
  if (inputIds.shape[0] !== b || inputIds.shape[1] !== t) throw new Error(`inputIds must be [${b}, ${t}] to match logits, got [${inputIds.shape}]`);
  if (lossMask && (lossMask.shape[0] !== b || lossMask.shape[1] !== t)) throw new Error(`lossMask must be [${b}, ${t}], got [${lossMask.shape}]`);
  if (t < 2) throw new Error(`causalLmLoss needs at least 2 tokens per sequence, got ${t}`);
  return tf.tidy(() => {
    const n = b * (t - 1);
    const pred = logits.slice([0, 0, 0], [b, t - 1, v]).reshape([n, v]); // [N, V]
    const targets = tf.cast(inputIds.slice([0, 1], [b, t - 1]), 'int32').reshape([n]); // [N]
    const lse = logSumExpRows(pred as tf.Tensor2D); // [N]
    // pick each row's target logit through a flat gather (no [N, V] one-hot)
    const flatIdx = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), targets);
    const picked = tf.gather(pred.reshape([n * v]), flatIdx); // [N]
    const nll = tf.sub(lse, picked);
    if (!lossMask) return tf.mean(nll) as tf.Scalar;
    const w = tf.cast(lossMask.slice([0, 1], [b, t - 1]), 'float32').reshape([n]);
    return tf.div(tf.sum(tf.mul(nll, w)), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
  });
}
