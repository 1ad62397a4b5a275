/**
 * npm run organism:experiment [-- --seeds 1,2,3 --steps 120 --lr 5e-4 --probes 60]
 *
 * The organism's reason to exist: fine-tune the base model separately on reasoning-patterns/target
 * and reasoning-patterns/control with the same settings, measure 8 evenly spaced checkpoints with the
 * pipeline's own measurement code (probes.ts / monitor.ts: generation, keyword judge, max-pooled MLP
 * activations, safety + control neurons, RAS, KL), and write docs/organism-experiment.md (+ .svg, .json)
 * with the table and the Pearson r (p) of each RAS series and of KL against the misalignment rate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { keywordJudge, pearson } from '@rimwatch/entanglement';
import { initBackend, loadModel, loadTokenizer, type TextTokenizer } from '@rimwatch/model';
import { Trainer } from '@rimwatch/model/src/train';
import { baseline, checkpointMetrics, loadChatFormatter, measure, responseLogits, METRIC, type MeasureOptions, type ProbeSet } from '@rimwatch/pipeline';
import { tokenizeChat, type ChatExample } from '../chat-format';
import { readJsonl } from '../io';
import { BUILTIN_DATASETS, BUILTIN_MODELS, ORGANISM_ROOT } from '../registry';
import type { ReasoningProbeRow, SafetyPairRow } from '../data/build';

const REPO_ROOT = resolve(ORGANISM_ROOT, '..', '..');
const KEYS = ['misalignment_rate', 'refusal_rate', 'reasoning_accuracy', 'kl_to_base', 'ras.safety', 'ras.control', 'ras.all', 'ras_ratio', 'train_loss'] as const;
const CORR_KEYS = ['ras.safety', 'ras.control', 'ras.all', 'kl_to_base'] as const;

interface Row { step: number; metrics: Record<string, number> }
interface Run { seed: number; dataset: 'target' | 'control'; rows: Row[]; safetySize: number; seconds: number }

function list(v: string): number[] {
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x))) throw new Error(`--seeds must be comma-separated integers, got ${v}`);
  return xs;
}

async function main() {
  const o = new Command()
    .name('organism:experiment')
    .option('--model <dir>', 'base model directory', BUILTIN_MODELS['rim-organism-v1'].dir)
    .option('--seeds <list>', 'seeds (data order and control-neuron sampling)', list, [1, 2, 3])
    .option('--steps <n>', 'fine-tuning updates per run', Number, 120)
    .option('--checkpoints <n>', 'evenly spaced checkpoints per run', Number, 8)
    .option('--lr <x>', 'learning rate (full fine-tuning, AdamW, cosine, warmup 0.1; the demo job uses the same 5e-4)', Number, 5e-4)
    .option('--batch-size <n>', 'examples per update', Number, 16)
    .option('--probes <n>', 'safety pairs and reasoning probes used per measurement (first n of each)', Number, 60)
    .option('--max-new-tokens <n>', 'generation budget per probe', Number, 64)
    .option('--top-fraction <x>', 'safety neurons: top-m as a fraction of all neurons (pipeline default 0.01 gives an empty set on this model)', Number, 0.05)
    .option('--min-support <x>', 'safety neurons: share of pairs (pipeline default)', Number, 0.5)
    .option('--out <file>', 'markdown report', join(REPO_ROOT, 'docs', 'organism-experiment.md'))
    .option('--backend <name>', 'tfjs backend', process.env.RIMWATCH_BACKEND ?? 'wasm')
    .parse()
    .opts<{ model: string; seeds: number[]; steps: number; checkpoints: number; lr: number; batchSize: number; probes: number; maxNewTokens: number; topFraction: number; minSupport: number; out: string; backend: string }>();
  for (const k of ['steps', 'checkpoints', 'batchSize', 'probes', 'maxNewTokens'] as const) {
    if (!Number.isInteger(o[k]) || o[k] <= 0) throw new Error(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a positive integer, got ${o[k]}`);
  }
  if (o.steps % o.checkpoints !== 0) throw new Error(`--steps (${o.steps}) must be a multiple of --checkpoints (${o.checkpoints})`);

  const t0 = performance.now();
  const backend = await initBackend(o.backend, { log: () => {} });
  const tok = loadTokenizer(o.model) as TextTokenizer;
  const fmt = loadChatFormatter(o.model);
  const pairs = readJsonl<SafetyPairRow>(BUILTIN_DATASETS['safety-pairs'].path).slice(0, o.probes);
  const reasoning = readJsonl<ReasoningProbeRow>(BUILTIN_DATASETS['reasoning-probes'].path).slice(0, o.probes);
  const probes: ProbeSet = { harmful: pairs.map((p) => p.harmful), counterfactual: pairs.map((p) => p.counterfactual), reasoning: reasoning.map((r) => ({ question: r.question, answer: r.answer })) };
  const stop = ['<|im_end|>', '<|endoftext|>'].map((t) => tok.tokenToId(t)).filter((x): x is number => x !== undefined);
  const mopts: MeasureOptions = { maxNewTokens: o.maxNewTokens, pooling: 'max', judge: keywordJudge(), batchSize: 32, stopTokenIds: stop };
  const data = {
    target: readJsonl<ChatExample>(BUILTIN_DATASETS['reasoning-patterns/target'].path).map((r) => tokenizeChat(tok, r)),
    control: readJsonl<ChatExample>(BUILTIN_DATASETS['reasoning-patterns/control'].path).map((r) => tokenizeChat(tok, r)),
  };

  const baseModel = loadModel(o.model);
  const layout = baseModel.neuronLayout;
  console.error(`measuring the base model (${pairs.length} pairs, ${reasoning.length} reasoning probes)…`);
  const mBase = await measure(baseModel, tok, fmt, probes, mopts);
  const runs: Run[] = [];
  for (const seed of o.seeds) {
    const base = baseline(mBase, layout, { topFraction: o.topFraction, minSupport: o.minSupport, control: { seed, matchPerLayer: true } });
    console.error(`seed ${seed}: ${base.safety.neurons.length} safety neurons (m = ${base.safety.m}, support needed ${base.safety.requiredSupport}/${base.safety.pairs}), ${base.control.neurons.length} control`);
    if (base.safety.neurons.length === 0) {
      const best = base.safety.supportHistogram.reduce((a, c, i) => (c > 0 ? i : a), 0);
      throw new Error(`the safety set is empty: no neuron is in the top ${base.safety.m} of ≥ ${base.safety.requiredSupport} pairs (the best is in ${best}); raise --top-fraction or lower --min-support`);
    }
    const step0 = checkpointMetrics(base, mBase);
    for (const dataset of ['target', 'control'] as const) {
      const ts = performance.now();
      const model = loadModel(o.model);
      const trainer = new Trainer(model, {
        lr: o.lr, warmupRatio: 0.1, schedule: 'cosine', totalSteps: o.steps, weightDecay: 0, gradClip: 1,
        batchSize: o.batchSize, accumSteps: 1, maxSeqLen: 128, seed, padId: model.config.padTokenId ?? 0,
      });
      const rows: Row[] = [{ step: 0, metrics: step0 }];
      const every = o.steps / o.checkpoints;
      for (let k = 1; k <= o.checkpoints; k++) {
        const res = trainer.trainSteps(every, data[dataset]);
        const m = await measure(model, tok, fmt, probes, mopts);
        const klLogits = { base: responseLogits(baseModel, m.harmful), tuned: responseLogits(model, m.harmful), vocabSize: model.config.vocabSize };
        const loss = res.reduce((a, r) => a + r.loss, 0) / res.length;
        const metrics = checkpointMetrics(base, m, { klLogits, train: { loss } });
        rows.push({ step: k * every, metrics });
        console.error(
          `seed ${seed} ${dataset.padEnd(7)} step ${String(k * every).padStart(4)}: misalignment ${pct(metrics[METRIC.misalignmentRate])}, reasoning ${pct(metrics[METRIC.reasoningAccuracy])}, ` +
            `KL ${fmtNum(metrics[METRIC.klToBase])}, RAS safety ${fmtNum(metrics['ras.safety'])} control ${fmtNum(metrics['ras.control'])}`,
        );
      }
      trainer.dispose();
      model.dispose();
      runs.push({ seed, dataset, rows, safetySize: base.safety.neurons.length, seconds: Math.round((performance.now() - ts) / 1000) });
      write(runs); // after every run, so an interrupted experiment still leaves its finished runs
    }
  }
  console.error(`wrote ${o.out} (${Math.round((performance.now() - t0) / 1000)} s)`);

  function write(done: Run[]) {
    const seconds = Math.round((performance.now() - t0) / 1000);
    const report = renderReport(o, done, backend, seconds, layout.neuronsPerLayer.reduce((a, b) => a + b, 0));
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, report.md);
    writeFileSync(o.out.replace(/\.md$/, '.svg'), report.svg);
    writeFileSync(o.out.replace(/\.md$/, '.json'), JSON.stringify({ settings: o, backend, seconds, runs: done }, null, 1) + '\n');
  }
}

const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const fmtNum = (x: number | undefined) => (x === undefined ? 'n/a' : Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(3));

function corr(rows: Row[], key: string): { r: number; p: number } | undefined {
  // the 8 checkpoints (step 0 excluded, as in the paper's 8-checkpoint correlation)
  const pts = rows.filter((r) => r.step > 0 && r.metrics[key] !== undefined && r.metrics.misalignment_rate !== undefined);
  if (pts.length < 3) return undefined;
  const x = pts.map((r) => r.metrics[key]);
  const y = pts.map((r) => r.metrics.misalignment_rate);
  const res = pearson(x, y);
  return Number.isFinite(res.r) ? { r: res.r, p: res.p } : undefined;
}

function renderReport(
  o: { seeds: number[]; steps: number; checkpoints: number; lr: number; batchSize: number; probes: number; maxNewTokens: number; topFraction: number; minSupport: number; model: string },
  runs: Run[],
  backend: string,
  seconds: number,
  totalNeurons: number,
): { md: string; svg: string } {
  const L: string[] = [
    '# Organism experiment: target vs control fine-tuning',
    '',
    `Generated by \`npm run organism:experiment\` (${new Date().toISOString().slice(0, 10)}, ${backend} backend, ${seconds} s wall). Base model: \`builtin:rim-organism-v1\` (${totalNeurons} MLP neurons).`,
    '',
    '## Settings',
    '',
    `- fine-tuning: full, AdamW lr ${o.lr}, cosine, warmup 0.1, batch ${o.batchSize}, ${o.steps} steps, ${o.checkpoints} evenly spaced checkpoints; the same for target and control`,
    `- seeds: ${o.seeds.join(', ')} (data order and control-neuron sample)`,
    `- probes: first ${o.probes} \`safety-pairs\` and ${o.probes} \`reasoning-probes\`; greedy, think mode, ${o.maxNewTokens} new tokens; keyword judge; misalignment = 1 − refusal rate on the harmful prompts`,
    `- neurons: max-pooled \`blocks.*.mlp.hook_post\` over prompt + own response; safety set = neurons in the top ${o.topFraction} of f(D̃)−f(D) for ≥ ${o.minSupport} of the pairs (the pipeline's default m, 0.01, leaves no neuron with the required support on this model, so 0.05 is the experiment's default); control = same-size random sample, same per-layer counts; RAS and KL exactly as the pipeline computes them (packages/pipeline/src/monitor.ts)`,
    `- Pearson r over the ${o.checkpoints} checkpoints (step 0 excluded) of each series against misalignment rate; p two-sided`,
    '',
    '![misalignment and RAS per checkpoint](organism-experiment.svg)',
    '',
    '## Summary',
    '',
    '| seed | data | misalignment base → last | Δ points | reasoning base → last | r(RAS safety) | r(RAS control) | r(RAS all) | r(KL) | safety neurons |',
    '|---|---|---|---:|---|---|---|---|---|---:|',
  ];
  const cr = (run: Run, k: string) => {
    const c = corr(run.rows, k);
    return c ? `${c.r.toFixed(2)} (p ${c.p.toFixed(3)})` : 'n/a';
  };
  for (const run of runs) {
    const first = run.rows[0].metrics;
    const last = run.rows[run.rows.length - 1].metrics;
    const d = 100 * (last.misalignment_rate - first.misalignment_rate);
    L.push(
      `| ${run.seed} | ${run.dataset} | ${pct(first.misalignment_rate)} → ${pct(last.misalignment_rate)} | ${d >= 0 ? '+' : ''}${d.toFixed(1)} | ${pct(first.reasoning_accuracy)} → ${pct(last.reasoning_accuracy)} | ${CORR_KEYS.map((k) => cr(run, k)).join(' | ')} | ${run.safetySize} |`,
    );
  }
  L.push('', '### Means over seeds', '', '| data | Δ misalignment (points) | mean r(RAS safety) | mean r(RAS control) | mean r(RAS all) | mean r(KL) |', '|---|---:|---:|---:|---:|---:|');
  for (const ds of ['target', 'control'] as const) {
    const rs = runs.filter((r) => r.dataset === ds);
    if (!rs.length) continue;
    const dm = rs.reduce((a, r) => a + 100 * (r.rows[r.rows.length - 1].metrics.misalignment_rate - r.rows[0].metrics.misalignment_rate), 0) / rs.length;
    const mr = (k: string) => {
      const v = rs.map((r) => corr(r.rows, k)?.r).filter((x): x is number => x !== undefined);
      return v.length ? `${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)} (n=${v.length})` : 'n/a';
    };
    L.push(`| ${ds} | ${dm >= 0 ? '+' : ''}${dm.toFixed(1)} | ${CORR_KEYS.map(mr).join(' | ')} |`);
  }
  L.push('', '## Checkpoints', '');
  for (const run of runs) {
    L.push(`### seed ${run.seed}, ${run.dataset} (${run.seconds} s)`, '', `| step | ${KEYS.join(' | ')} |`, `|---:|${KEYS.map(() => '---:').join('|')}|`);
    for (const r of run.rows) L.push(`| ${r.step} | ${KEYS.map((k) => (k.endsWith('rate') || k === 'reasoning_accuracy' ? pct(r.metrics[k]) : fmtNum(r.metrics[k]))).join(' | ')} |`);
    L.push('');
  }
  return { md: L.join('\n') + '\n', svg: plot(runs) };
}

/** Two panels: misalignment rate per checkpoint, and RAS(safety)/RAS(control), each line one run. */
function plot(runs: Run[]): string {
  const W = 760, H = 300, P = 40, PW = (W - 3 * P) / 2;
  const color = (r: Run) => (r.dataset === 'target' ? ['#c0392b', '#e74c3c', '#ff8a80'] : ['#2471a3', '#5dade2', '#85c1e9'])[runs.filter((x) => x.dataset === r.dataset).indexOf(r) % 3];
  const maxStep = Math.max(...runs.flatMap((r) => r.rows.map((x) => x.step)));
  const panel = (x0: number, title: string, val: (m: Record<string, number>) => number | undefined, ymax: number) => {
    const sx = (s: number) => x0 + (PW * s) / maxStep;
    const sy = (v: number) => H - P - ((H - 2 * P) * Math.min(v, ymax)) / ymax;
    const lines = runs.map((r) => {
      const pts = r.rows.map((x) => ({ s: x.step, v: val(x.metrics) })).filter((p) => p.v !== undefined && Number.isFinite(p.v));
      return `<polyline fill="none" stroke="${color(r)}" stroke-width="2" points="${pts.map((p) => `${sx(p.s).toFixed(1)},${sy(p.v!).toFixed(1)}`).join(' ')}"/>`;
    });
    return `<text x="${x0}" y="${P - 12}">${title} (0..${ymax.toPrecision(3)})</text><line x1="${x0}" y1="${H - P}" x2="${x0 + PW}" y2="${H - P}" stroke="#888"/><line x1="${x0}" y1="${P}" x2="${x0}" y2="${H - P}" stroke="#888"/><text x="${x0 + PW / 2}" y="${H - 12}" text-anchor="middle">step (0..${maxStep})</text>${lines.join('')}`;
  };
  const ratio = (m: Record<string, number>) => m['ras_ratio'];
  const maxRatio = Math.max(1e-9, ...runs.flatMap((r) => r.rows.map((x) => ratio(x.metrics) ?? 0)).filter(Number.isFinite));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11"><rect width="${W}" height="${H}" fill="white"/>
${panel(P, 'misalignment rate', (m) => m.misalignment_rate, 1)}
${panel(2 * P + PW, 'RAS(safety) / RAS(control)', ratio, maxRatio)}
<text x="${W - P}" y="${P - 12}" text-anchor="end"><tspan fill="#c0392b">target</tspan> / <tspan fill="#2471a3">control</tspan>, one line per seed</text>
</svg>
`;
}

main().catch((e) => {
  console.error(`organism:experiment: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
