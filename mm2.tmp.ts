import * as tf from '@tensorflow/tfjs';
import { initBackend } from './packages/model/src';
const time = (label: string, f: () => tf.Tensor, flops = 0) => { f().dispose(); const R = 5; const t0 = performance.now(); for (let i = 0; i < R; i++) { const c = f(); c.dataSync(); c.dispose(); } const s = (performance.now() - t0) / R / 1000; console.log(label.padEnd(40), (s * 1000).toFixed(1), 'ms', flops ? (flops / s / 1e9).toFixed(2) + ' GFLOP/s' : ''); };
(async () => {
  await initBackend('wasm');
  const q = tf.randomNormal([64, 128, 32]); const kt = tf.randomNormal([64, 32, 128]); const p = tf.randomNormal([64, 128, 128]);
  const F = 2 * 64 * 128 * 32 * 128;
  time('plain batched q@kT [64,128,32]x[64,32,128]', () => tf.matMul(q, kt), F);
  time('plain batched p@v [64,128,128]x[64,128,32]', () => tf.matMul(p, q), F);
  time('transpose [64,128,32] -> [64,32,128]', () => tf.transpose(q, [0, 2, 1]));
  time('transpose [16,128,4,32] -> [16,4,128,32]', () => tf.transpose(q.reshape([16, 128, 4, 32]), [0, 2, 1, 3]));
  const x = tf.randomNormal([2048, 512]);
  time('tanh 1M', () => tf.tanh(x)); time('pow3 1M', () => tf.pow(x, 3)); time('x*x*x 1M', () => tf.mul(tf.mul(x, x), x)); time('add 1M', () => tf.add(x, x));
  time('softmax [64,128,128]', () => tf.softmax(p));
  const lg = tf.randomNormal([2048, 1024]);
  time('logSumExp [2048,1024]', () => tf.logSumExp(lg, 1));
  time('equal bcast [2048,1024] vs [2048,1]', () => tf.equal(lg, tf.max(lg, 1, true)));
  time('logSoftmax [2048,1024]', () => tf.logSoftmax(lg));
})();
