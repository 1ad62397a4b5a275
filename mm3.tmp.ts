import * as tf from '@tensorflow/tfjs';
import { initBackend } from './packages/model/src';
const time = (label: string, f: () => tf.Tensor, flops = 0) => { f().dispose(); const R = 5; const t0 = performance.now(); for (let i = 0; i < R; i++) { const c = f(); c.dataSync(); c.dispose(); } const s = (performance.now() - t0) / R / 1000; console.log(label.padEnd(40), (s * 1000).toFixed(1), 'ms', flops ? (flops / s / 1e9).toFixed(2) + ' GFLOP/s' : ''); };
(async () => {
  await initBackend('wasm');
  const q = tf.randomNormal([64, 128, 32]); const kt = tf.randomNormal([64, 32, 128]);
  const F = 2 * 64 * 128 * 32 * 128;
  time('plain batched', () => tf.matMul(q, kt), F);
  time('split loop', () => tf.tidy(() => { const qs = tf.unstack(q); const ks = tf.unstack(kt); return tf.stack(qs.map((a, i) => tf.matMul(a, ks[i]))); }), F);
  const a2 = tf.randomNormal([128, 32]); const b2 = tf.randomNormal([32, 128]);
  time('one 2D 128x32x128', () => tf.matMul(a2, b2), F / 64);
  const a3 = tf.randomNormal([1, 128, 32]); const b3 = tf.randomNormal([1, 32, 128]);
  time('one 3D batch1 128x32x128', () => tf.matMul(a3, b3), F / 64);
  time('one 2D 128x128x32', () => tf.matMul(tf.randomNormal([128,128]), a2), F / 64);
})();
