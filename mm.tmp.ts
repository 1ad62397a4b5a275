import * as tf from '@tensorflow/tfjs';
import { initBackend } from './packages/model/src';
import { registerFastTransposedMatMul } from './packages/model/src/train/fast-matmul';
(async () => {
  await initBackend(process.argv[2] ?? 'wasm'); if (process.argv[3]) console.log('fast', registerFastTransposedMatMul(process.argv[2]));
  const cases: [number, number, number, boolean, boolean][] = [
    [1024, 1024, 1024, false, false], [1024, 1024, 1024, true, false], [1024, 1024, 1024, false, true],
    [2048, 128, 384, false, false], // fwd qkv
    [2048, 384, 128, false, true],  // dx = dy W^T
    [128, 2048, 384, true, false],  // dW = x^T dy
    [2048, 128, 1024, false, true], // lm head fwd
    [2048, 1024, 128, false, false], // lm head dx
    [1024, 2048, 128, true, false], // dwte
  ];
  for (const [M, K, N, ta, tb] of cases) {
    const a = tf.randomNormal(ta ? [K, M] : [M, K]); const b = tf.randomNormal(tb ? [N, K] : [K, N]);
    tf.matMul(a, b, ta, tb).dispose();
    const R = 3; const t0 = performance.now();
    for (let i = 0; i < R; i++) { const c = tf.matMul(a, b, ta, tb); c.dataSync(); c.dispose(); }
    const s = (performance.now() - t0) / 1000 / R;
    console.log(`${M}x${K}x${N} tA=${ta} tB=${tb}: ${(s * 1000).toFixed(1)} ms, ${(2 * M * K * N / s / 1e9).toFixed(2)} GFLOP/s`);
  }
  // batched attention shapes
  const q = tf.randomNormal([64, 128, 32]); const k = tf.randomNormal([64, 128, 32]);
  for (const [ta, tb, A, B] of [[false, true, q, k], [true, false, q, k]] as const) {
    tf.matMul(A, B, ta, tb).dispose();
    const t0 = performance.now(); const c = tf.matMul(A, B, ta, tb); c.dataSync(); const s = (performance.now() - t0) / 1000;
    console.log(`batched 64x[128x32x128] tA=${ta} tB=${tb}: ${(s*1000).toFixed(1)} ms ${(2*64*128*32*128/s/1e9).toFixed(2)} GFLOP/s`); c.dispose();
  }
})();
