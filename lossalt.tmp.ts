import * as tf from '@tensorflow/tfjs';
import { initBackend, causalLmLoss } from './packages/model/src';
const cpu = (f: () => void, R = 3) => { f(); const c0 = process.cpuUsage(); for (let i = 0; i < R; i++) f(); const u = process.cpuUsage(c0); return ((u.user + u.system) / 1000 / R).toFixed(1) + ' ms cpu'; };
(async () => {
  await initBackend('wasm');
  const logits = tf.variable(tf.randomNormal([16, 128, 1024]));
  const ids = tf.tensor2d(Array.from({ length: 2048 }, (_, i) => (i * 37) % 1024), [16, 128], 'int32');
  const alt = (lg: tf.Tensor3D, ids: tf.Tensor2D) => tf.tidy(() => {
    const [b, t, v] = lg.shape; const n = b * (t - 1);
    const pred = lg.slice([0, 0, 0], [b, t - 1, v]).reshape([n, v]);
    const targets = tf.cast(ids.slice([0, 1], [b, t - 1]), 'int32').reshape([n]);
    const logp = tf.logSoftmax(pred);
    const flat = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), targets);
    return tf.neg(tf.mean(tf.gather(logp.reshape([n * v]), flat))) as tf.Scalar;
  });
  const g = (f: typeof alt) => () => { const { value, grads } = tf.variableGrads(() => f(logits, ids), [logits]); value.dispose(); Object.values(grads).forEach((x) => x.dispose()); };
  console.log('current causalLmLoss fwd+bwd', cpu(g(causalLmLoss as typeof alt)));
  console.log('logSoftmax variant fwd+bwd  ', cpu(g(alt)));
  console.log('diff', Math.abs(causalLmLoss(logits, ids).dataSync()[0] - alt(logits, ids).dataSync()[0]));
  const x = tf.variable(tf.randomNormal([2048, 512]));
  const SQ = Math.sqrt(2 / Math.PI);
  const gA = (z: tf.Tensor) => tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), SQ)), 1));
  const gB = (z: tf.Tensor) => tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(tf.mul(tf.add(z, tf.mul(tf.mul(tf.mul(z, z), z), 0.044715)), SQ)), 1));
  const gg = (f: (z: tf.Tensor) => tf.Tensor) => () => { const { value, grads } = tf.variableGrads(() => tf.sum(f(x)) as tf.Scalar, [x]); value.dispose(); Object.values(grads).forEach((q) => q.dispose()); };
  console.log('geluNew pow  fwd+bwd', cpu(gg(gA)));
  console.log('geluNew x*x*x fwd+bwd', cpu(gg(gB)));
})();
