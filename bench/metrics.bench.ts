/**
 * Metrics benchmark: safety-set identification and RAS at 1,000,000 neurons × 64 probe examples.
 * Target: RAS work on one checkpoint under 200 ms, so monitoring never dominates a checkpoint.
 *
 *   npm run bench:metrics            (BENCH_NEURONS / BENCH_EXAMPLES / BENCH_REPS override the sizes)
 *
 * Memory stays bounded by drawing the 64 per-example vectors from a pool of 16 distinct ones: every
 * example is still read and summed, so the work is that of 64 distinct vectors.
 */
import { makeLayout } from '@rimwatch/contracts';
import {
  activationOverlap,
  identifySafetyNeurons,
  klDivergence,
  meanActivations,
  rasForSets,
  sampleControlNeurons,
} from '@rimwatch/entanglement';

const N = Number(process.env.BENCH_NEURONS ?? 1_000_000);
const E = Number(process.env.BENCH_EXAMPLES ?? 64);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const POOL = 16;
const LAYERS = 25; // 25 layers × 40,000 neurons = 1,000,000
const layout = makeLayout(Array.from({ length: LAYERS }, (_, i) => Math.floor(N / LAYERS) + (i < N % LAYERS ? 1 : 0)));

// xorshift32: fast, seeded; only makes synthetic data
let s = 2463534242;
const rand = () => {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return (s >>> 0) / 4294967296;
};
/** GELU-like max-pooled activations: mostly positive, some slightly negative, a heavy tail. */
function activationVector(): Float32Array {
  const v = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const u = rand();
    v[i] = u < 0.1 ? -0.17 * rand() : -Math.log(1 - u) * 0.8;
  }
  return v;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[a.length >> 1];
}
const fmt = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;

console.log(`metrics bench: ${N.toLocaleString('en')} neurons × ${E} probe examples, ${LAYERS} layers, median of ${REPS} (node ${process.version})`);
const tGen = time(() => {
  const pool = Array.from({ length: POOL }, activationVector);
  // counterfactual prompts: the same activations plus a bump on 2,000 "safety" neurons
  const planted = Array.from({ length: 2000 }, () => Math.floor(rand() * N));
  const cfPool = pool.map((v) => {
    const c = Float32Array.from(v);
    for (const j of planted) c[j] += 5 + rand();
    return c;
  });
  return { pool, cfPool };
});
const { pool, cfPool } = tGen.value;
console.log(`(synthetic data: ${tGen.ms.toFixed(0)} ms, not timed below)`);

// --- safety-set identification: 64 pairs, m = 0.5% of all neurons
const pairs = Array.from({ length: E }, (_, k) => ({ harmful: pool[k % POOL], counterfactual: cfPool[(k * 5 + 1) % POOL] }));
const idTimes: number[] = [];
let safety: ReturnType<typeof identifySafetyNeurons> | undefined;
for (let r = 0; r < Math.max(1, Math.ceil(REPS / 2)); r++) {
  const t = time(() => identifySafetyNeurons(pairs, { topFraction: 0.005, minSupport: 1, layout }));
  idTimes.push(t.ms);
  safety = t.value;
}
const safe = safety!;
const tCtl = time(() => sampleControlNeurons(safe.neurons, layout, { seed: 42 }));
const control = tCtl.value;

// --- one checkpoint: base means cached per job; the checkpoint's per-example vectors are averaged
// each prompt set cycles over its own 8 pool vectors, so the four means differ
const examples = (offset: number) => Array.from({ length: E }, (_, k) => pool[(offset + (k % 8)) % POOL]);
const safetyBase = meanActivations(examples(0));
const reasoningBase = meanActivations(examples(4));
const safetyTunedEx = examples(8);
const reasoningTunedEx = examples(12);

const rows: Record<string, number[]> = { mean: [], ras: [], overlap: [], total: [], cpu: [] };
let ras: ReturnType<typeof rasForSets> | undefined;
for (let r = 0; r < REPS; r++) {
  const t0 = performance.now();
  const c0 = cpuMs();
  const m = time(() => ({ safetyTuned: meanActivations(safetyTunedEx), reasoningTuned: meanActivations(reasoningTunedEx) }));
  const acts = { safetyBase, reasoningBase, ...m.value };
  const rr = time(() => rasForSets(acts, { safety: safe.neurons, control: control.neurons }));
  const ov = time(() => activationOverlap(acts, { safety: safe.neurons, control: control.neurons }, { topK: safe.size || 1 }));
  rows.total.push(performance.now() - t0);
  rows.cpu.push(cpuMs() - c0);
  rows.mean.push(m.ms);
  rows.ras.push(rr.ms);
  rows.overlap.push(ov.ms);
  ras = rr.value;
}

console.log('');
console.log(`identifySafetyNeurons (${E} pairs, top-${safe.m} each, intersection) ${fmt(median(idTimes))}   -> ${safe.size} neurons`);
console.log(`sampleControlNeurons (matched per layer)                        ${fmt(tCtl.ms)}`);
console.log('one checkpoint:');
console.log(`  meanActivations, 2 × ${E} tuned vectors                         ${fmt(median(rows.mean))}`);
console.log(`  rasForSets (safety ${safe.size}, control ${control.neurons.length}, all ${N})          ${fmt(median(rows.ras))}`);
console.log(`  activationOverlap (top-${safe.size || 1})                                ${fmt(median(rows.overlap))}`);
const total = median(rows.total);
const rasOnly = median(rows.ras.map((r, i) => r + rows.overlap[i]));
const verdict = (ms: number) => (ms < 200 ? 'MET' : 'MISSED');
console.log(`  RAS + overlap, probe means given                              ${fmt(rasOnly)}   target < 200 ms: ${verdict(rasOnly)}`);
console.log(`  total incl. averaging the 2 × ${E} tuned vectors                 ${fmt(total)}   target < 200 ms: ${verdict(total)}`);
console.log(`  (CPU time of the total: ${median(rows.cpu).toFixed(1)} ms; wall > CPU means other processes shared the cores)`);
console.log(`  (RAS all neurons = ${ras!.all.ras.toExponential(3)}, ratio safety/control = ${ras!.ratio?.toFixed(3) ?? 'n/a'})`);

// --- forgetting: KL(π0 ‖ πτ) over one response's logits (GPT-2 vocabulary)
const POS = 128;
const VOCAB = 50257;
const baseLogits = new Float32Array(POS * VOCAB).map(() => rand() * 20 - 10);
const tunedLogits = baseLogits.map((x) => x + (rand() - 0.5));
const kl = time(() => klDivergence(baseLogits, tunedLogits, VOCAB));
console.log(`klDivergence (${POS} positions × ${VOCAB} vocab)                     ${fmt(kl.ms)}   -> ${kl.value.toFixed(5)} nats`);
console.log(`peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
