/**
 * npm run bench:model [-- --backends wasm,cpu --steps 3 --baseline]
 *
 * Per backend: fine-tuning tokens/s and ms/step of a 4-layer d=128 GPT-2 (V=1024, d_mlp=512) at
 * batch 16 × 128 tokens; forward-with-capture tokens/s (max-pooled blocks.*.mlp.hook_post, all
 * layers); the backend's 1024² fp32 matmul GFLOP/s; and model FLOP utilisation
 * MFU = 6·params·tokens/s ÷ matmul FLOP/s.
 *
 * Clocks: wasm and cpu run single-threaded on the main thread, so their rates are computed from the
 * process's CPU time — stable on a shared machine, where wall time also counts other people's work.
 * Wall-clock figures are printed beside them. webgpu (if asked for and a GPU exists) uses wall time.
 * --baseline (wasm) also times one step with tfjs' own BatchMatMul kernel, i.e. without
 * train/fast-matmul.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { captureNeuronActivations, createModel, initBackend, makeConfig } from '../packages/model/src';
import { createTrainer, registerFastTransposedMatMul, restoreMatMul, type TrainExample } from '../packages/model/src/train';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : def;
}
const BACKENDS = arg('backends', process.env.RIMWATCH_BENCH_BACKENDS ?? 'wasm,cpu').split(',').filter(Boolean);
const STEPS = Number(arg('steps', '0')); // 0: per-backend default
const BASELINE = process.argv.includes('--baseline');
const B = 16;
const T = 128;

interface Clock {
  wall: number;
  cpu: number;
}
function clock(): Clock {
  const u = process.cpuUsage();
  return { wall: performance.now() / 1000, cpu: (u.user + u.system) / 1e6 };
}
function since(c: Clock): Clock {
  const n = clock();
  return { wall: n.wall - c.wall, cpu: n.cpu - c.cpu };
}

function matmulGflops(useCpuClock: boolean): number {
  const n = 1024;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  tf.matMul(a, b).dataSync();
  const reps = tf.getBackend() === 'cpu' ? 2 : 8;
  const c0 = clock();
  for (let i = 0; i < reps; i++) {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  }
  const d = since(c0);
  a.dispose();
  b.dispose();
  return (2 * n ** 3 * reps) / (useCpuClock ? d.cpu : d.wall) / 1e9;
}

function dataset(vocab: number): TrainExample[] {
  return Array.from({ length: 64 }, (_, i) => ({ ids: Array.from({ length: T }, (_, t) => (i * 131 + t * 17 + ((t * t) % 7)) % vocab), promptLength: 16 }));
}

async function benchBackend(name: string): Promise<void> {
  let be: string;
  try {
    be = await initBackend(name, { log: () => {} });
  } catch (e) {
    console.log(`\n[${name}] skipped: ${(e as Error).message}`);
    return;
  }
  const cpuClock = be === 'wasm' || be === 'cpu';
  const pick = (d: Clock) => (cpuClock ? d.cpu : d.wall);
  const clockName = cpuClock ? 'cpu-time' : 'wall';
  const steps = STEPS > 0 ? STEPS : be === 'cpu' ? 1 : be === 'wasm' ? 4 : 10;
  console.log(`\n[${be}] (${clockName} clock; wall in parentheses)`);

  if (be === 'wasm') registerFastTransposedMatMul('wasm');
  const gflops = matmulGflops(cpuClock);
  console.log(`  matmul 1024² fp32:            ${gflops.toFixed(1)} GFLOP/s`);

  const config = makeConfig({ modelType: 'gpt2', vocabSize: 1024, hiddenSize: 128, numLayers: 4, numHeads: 4, intermediateSize: 512, maxPositions: T });
  const model = createModel(config, { seed: 1 });
  let params = 0;
  for (const v of model.params.values()) params += v.size;
  const data = dataset(config.vocabSize);
  const trainer = createTrainer(model, { lr: 1e-4, warmupRatio: 0, schedule: 'constant', totalSteps: 1000, weightDecay: 0.01, gradClip: 1, accumSteps: 1, batchSize: B, maxSeqLen: T, seed: 1 });
  const tokensPerStep = B * T; // tokens through the model (MFU counts these, not only the response targets)

  if (BASELINE && be === 'wasm') {
    restoreMatMul('wasm');
    trainer.trainSteps(1, data);
    const c0 = clock();
    trainer.trainSteps(1, data);
    const d = since(c0);
    const tps = tokensPerStep / pick(d);
    console.log(`  baseline (tfjs BatchMatMul):  ${(pick(d) * 1000).toFixed(0)} ms/step (${(d.wall * 1000).toFixed(0)}), ${tps.toFixed(0)} tokens/s, MFU ${((600 * params * tps) / (gflops * 1e9)).toFixed(1)}%`);
    registerFastTransposedMatMul('wasm');
  }

  trainer.trainSteps(1, data); // warm-up: kernel setup, mask caches
  const c0 = clock();
  const rs = trainer.trainSteps(steps, data);
  const d = since(c0);
  const stepS = pick(d) / steps;
  const tps = tokensPerStep / stepS;
  const mfu = (6 * params * tps) / (gflops * 1e9);
  console.log(`  model: ${params} params, batch ${B}×${T}, ${steps} step(s), loss ${rs[0].loss.toFixed(3)} → ${rs[rs.length - 1].loss.toFixed(3)}`);
  console.log(`  fine-tuning:                  ${(stepS * 1000).toFixed(0)} ms/step (${((d.wall / steps) * 1000).toFixed(0)}), ${tps.toFixed(0)} tokens/s (${(tokensPerStep / (d.wall / steps)).toFixed(0)})`);
  console.log(`  MFU (6·N·tok/s ÷ matmul):     ${(mfu * 100).toFixed(1)}%`);

  // the profiling figure the pipeline needs: forward, all MLP layers captured, max-pooled on the backend
  const ids = tf.tensor2d(data.slice(0, B).flatMap((e) => e.ids), [B, T], 'int32');
  const mask = tf.onesLike(ids).toFloat() as tf.Tensor2D;
  captureNeuronActivations(model, ids, mask, 'max');
  const reps = be === 'cpu' ? 1 : 4;
  const f0 = clock();
  let width = 0;
  for (let i = 0; i < reps; i++) width = captureNeuronActivations(model, ids, mask, 'max')[0].length;
  const fd = since(f0);
  console.log(`  forward + capture (${width} neurons, max-pooled): ${((B * T * reps) / pick(fd)).toFixed(0)} tokens/s (${((B * T * reps) / fd.wall).toFixed(0)})`);
  ids.dispose();
  mask.dispose();
  trainer.dispose();
  model.dispose();
}

async function main(): Promise<void> {
  console.log(`bench:model — GPT-2 4×128 (V 1024, d_mlp 512), batch ${B}×${T}; backends: ${BACKENDS.join(', ')}`);
  for (const b of BACKENDS) await benchBackend(b);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
