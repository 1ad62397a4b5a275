import * as tf from '@tensorflow/tfjs';
import { initBackend } from './packages/model/src';
import { registerFastTransposedMatMul } from './packages/model/src/train/fast-matmul';
const time = (label: string, f: () => tf.Tensor, flops = 0) => { f().dispose(); const R = 5; const t0 = performance.now(); for (let i = 0; i < R; i++) { const c = f(); c.dataSync(); c.dispose(); } const s = (performance.now() - t0) / R / 1000; console.log(label.padEnd(40), (s * 1000).toFixed(1), 'ms', flops ? (flops / s / 1e9).toFixed(2) + ' GFLOP/s' : ''); };
(async () => {
  await initBackend('wasm');
  const q = tf.randomNormal([16, 4, 128, 32]); const k = tf.randomNormal([16, 4, 128, 32]); const p = tf.randomNormal([16, 4, 128, 128]);
  const F = 2 * 64 * 128 * 32 * 128;
  const ref1 = tf.matMul(q, k, false, true).dataSync().slice(); const ref2 = tf.matMul(p, q).dataSync().slice(); const ref3 = tf.matMul(p, q, true, false).dataSync().slice();
  time('orig q@kT', () => tf.matMul(q, k, false, true), F); time('orig p@v', () => tf.matMul(p, q), F);
  registerFastTransposedMatMul('wasm');
  time('fast q@kT', () => tf.matMul(q, k, false, true), F); time('fast p@v', () => tf.matMul(p, q), F); time('fast pT@v', () => tf.matMul(p, q, true, false), F);
  const d = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
  console.log('maxdiff', d(tf.matMul(q, k, false, true).dataSync() as Float32Array, ref1), d(tf.matMul(p, q).dataSync() as Float32Array, ref2), d(tf.matMul(p, q, true, false).dataSync() as Float32Array, ref3));
  console.log('tensors', tf.memory().numTensors, 'bytes', tf.memory().numBytes);
})();
