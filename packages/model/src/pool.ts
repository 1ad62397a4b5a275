/**
 * Token-wise pooling done with tf ops, so only [B, F] leaves the backend.
 * x has the token axis at `axis` (1 for [B, T, F]; 2 for attention patterns [B, H, T, S], pooling
 * over query positions). mask [B, T]: 1 = token takes part; absent = all tokens.
 * An example with no token in the mask pools to 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { Pooling } from './types';

export function poolTokens(x: tf.Tensor, mask: tf.Tensor | undefined, mode: Pooling, axis = 1): tf.Tensor {
  return tf.tidy(() => {
    if (mode === 'none') return x.clone();
    const b = x.shape[0];
    const t = x.shape[axis];
    const m2 = mask ? tf.cast(mask, 'float32') : tf.ones([b, t]);
    if (m2.shape[0] !== b || m2.shape[1] !== t) throw new Error(`poolMask must be [${b}, ${t}], got [${m2.shape}]`);
    // broadcastable mask: [B, 1.., T, 1..]
    const shape = x.shape.map((d, i) => (i === 0 ? b : i === axis ? t : 1));
    const m = m2.reshape(shape);
    if (mode === 'max') {
      const masked = tf.add(tf.mul(x, m), tf.mul(tf.sub(m, 1), 1e30)); // masked tokens -> -1e30
      const any = tf.cast(tf.greater(tf.sum(m2, 1), 0), 'float32').reshape([b, ...x.shape.slice(1).filter((_, i) => i + 1 !== axis).map(() => 1)]);
      return tf.add(tf.mul(tf.max(masked, axis), any), 0); // + 0 turns the -0 of empty rows into 0
    }
    if (mode === 'mean') {
      const count = tf.maximum(tf.sum(m, axis), 1);
      return tf.div(tf.sum(tf.mul(x, m), axis), count);
    }
    if (mode === 'last') {
      // index of the last masked-in token: max over t of (t + 1) * m - 1
      const idx = tf.sub(tf.max(tf.mul(m2, tf.range(1, t + 1)), 1), 1); // [B], -1 when empty
      const w = tf.oneHot(tf.cast(idx, 'int32'), t).reshape(shape); // all-zero row when idx = -1
      return tf.sum(tf.mul(x, tf.cast(w, 'float32')), axis);
    }
    throw new Error(`pool must be one of max, mean, last, none; got "${mode as string}"`);
  });
}
