import * as tf from '@tensorflow/tfjs';
import { initBackend, createModel, makeConfig, createTrainer } from './packages/model/src';
import { Trainer } from './packages/model/src/train/trainer';
import { registerFastTransposedMatMul } from './packages/model/src/train/fast-matmul';
(async () => {
  const be = await initBackend(process.argv[2] ?? 'wasm'); if (process.argv[3]) registerFastTransposedMatMul(be);
  // matmul rate
  const n = 1024; const a = tf.randomNormal([n, n]); const b = tf.randomNormal([n, n]);
  for (let i = 0; i < 2; i++) tf.matMul(a, b).dispose();
  let c0 = process.cpuUsage(); const R = 5;
  for (let i = 0; i < R; i++) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); }
  const cpuS = () => { const u = process.cpuUsage(c0); return (u.user + u.system) / 1e6; };
  const mm = (2 * n ** 3 * R) / cpuS() / 1e9;
  console.log(be, 'matmul GFLOP/s', mm.toFixed(1));
  const c = makeConfig({ modelType: 'gpt2', vocabSize: 1024, hiddenSize: 128, numLayers: 4, numHeads: 4, intermediateSize: 512, maxPositions: 128 });
  const m = createModel(c, { seed: 1 });
  let P = 0; for (const v of m.params.values()) P += v.size;
  const ex = Array.from({ length: 16 }, (_, i) => ({ ids: Array.from({ length: 128 }, (_, t) => (i * 7 + t * 13) % 1024), promptLength: 0 }));
  const tr = new Trainer(m, { lr: 1e-4, warmupRatio: 0, schedule: 'constant', totalSteps: 100, weightDecay: 0, gradClip: 1, accumSteps: 1, batchSize: 16, maxSeqLen: 128, seed: 1 });
  tr.step(ex);
  const S = 3; c0 = process.cpuUsage();
  for (let i = 0; i < S; i++) tr.step(ex);
  const ms = cpuS() * 1000 / S;
  const tps = 2048 / (ms / 1000);
  console.log('params', P, 'ms/step', ms.toFixed(0), 'tok/s', tps.toFixed(0), 'MFU', ((6 * P * tps) / (mm * 1e9) * 100).toFixed(1) + '%');
  const prof = await tf.profile(() => { tr.step(ex); });
  const agg = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) { const e = agg.get(k.name) ?? { ms: 0, n: 0 }; e.ms += k.kernelTimeMs as number; e.n++; agg.set(k.name, e); }
  const mmS = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) if (k.name === 'BatchMatMul') { const key = JSON.stringify(k.inputShapes); const e = mmS.get(key) ?? { ms: 0, n: 0 }; e.ms += k.kernelTimeMs as number; e.n++; mmS.set(key, e); }
  for (const [k, e] of [...mmS].sort((x, y) => y[1].ms - x[1].ms).slice(0, 14)) console.log('MM', k.padEnd(40), e.ms.toFixed(1).padStart(8), e.n);
  const tot = [...agg.values()].reduce((s, e) => s + e.ms, 0);
  console.log('kernel total ms', tot.toFixed(0));
  for (const [k, e] of [...agg].sort((x, y) => y[1].ms - x[1].ms).slice(0, 25)) console.log(k.padEnd(24), e.ms.toFixed(1).padStart(8), String(e.n).padStart(5));
})();
