import * as tf from '@tensorflow/tfjs';
import { initBackend } from './packages/model/src';
import { registerFastTransposedMatMul, restoreMatMul } from './packages/model/src/train/fast-matmul';
(async () => {
  await initBackend('wasm');
  const a = tf.randomNormal([1024, 1024]); const b = tf.randomNormal([1024, 1024]);
  for (const mode of ['orig', 'fast', 'orig']) {
    if (mode === 'fast') registerFastTransposedMatMul('wasm'); else restoreMatMul('wasm');
    for (const [ta, tb] of [[false, false], [true, false], [false, true]]) {
      tf.matMul(a, b, ta, tb).dispose();
      const c0 = process.cpuUsage(); const t0 = performance.now();
      for (let i = 0; i < 2; i++) { const c = tf.matMul(a, b, ta, tb); c.dataSync(); c.dispose(); }
      const cu = process.cpuUsage(c0);
      console.log(mode, ta, tb, 'wall', (performance.now() - t0).toFixed(0), 'cpu', ((cu.user + cu.system) / 1000).toFixed(0));
    }
  }
})();
