import * as tf from '@tensorflow/tfjs';
import { initBackend } from './packages/model/src';
(async () => {
  await initBackend('wasm');
  console.log('mt', tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'), 'simd', tf.env().getBool('WASM_HAS_SIMD_SUPPORT'));
  const a = tf.randomNormal([1024, 1024]); const b = tf.randomNormal([1024, 1024]);
  tf.matMul(a, b).dispose();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < 5; i++) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); }
  const cu = process.cpuUsage(c0); const wall = performance.now() - t0;
  console.log('wall ms', wall.toFixed(0), 'cpu ms', ((cu.user + cu.system) / 1000).toFixed(0));
})();
