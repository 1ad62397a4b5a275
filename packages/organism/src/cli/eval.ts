/**
 * npm run organism:eval [-- --json --model DIR --no-think --limit N --max-new-tokens N]
 *
 * Scores a model (default: the built-in rim-organism-v1) on the held-out probes. For the built-in
 * model directory it also writes eval.json there and refreshes the model card (README.md).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { initBackend } from '@rimwatch/model';
import { evaluateOrganism } from '../evaluate';
import { loadChatModel } from '../generation';
import { TARGETS, writeModelCard, type EvalRecord } from '../model-card';
import { BUILTIN_MODELS } from '../registry';
import { positiveInt } from './args';


async function main() {
  const o = new Command()
    .name('organism:eval')
    .option('--model <dir>', 'model directory', BUILTIN_MODELS['rim-organism-v1'].dir)
    .option('--json', 'print one JSON object')
    .option('--no-think', 'think mode off (empty think span pre-filled)')
    .option('--max-new-tokens <n>', 'generation budget per probe', positiveInt('max-new-tokens'), 112)
    .option('--batch-size <n>', 'prompts per generation batch', positiveInt('batch-size'), 32)
    .option('--limit <n>', 'only the first n rows of each probe set', positiveInt('limit'))
    .option('--samples <file>', 'write every probe, completion and verdict as JSONL')
    .option('--backend <name>', 'tfjs backend', process.env.RIMWATCH_BACKEND ?? 'wasm')
    .parse()
    .opts<{ model: string; json?: boolean; think: boolean; maxNewTokens: number; batchSize: number; limit?: number; samples?: string; backend: string }>();

  const backend = await initBackend(o.backend, { log: () => {} });
  const t0 = performance.now();
  const m = loadChatModel(o.model);
  const r = evaluateOrganism(m, {
    think: o.think,
    maxNewTokens: o.maxNewTokens,
    batchSize: o.batchSize,
    limit: o.limit,
    onProgress: o.json ? undefined : (d, n) => process.stderr.write(`\rgenerating ${d}/${n}`),
  });
  if (!o.json) process.stderr.write('\n');
  const wallSeconds = Math.round((performance.now() - t0) / 1000);
  const { samples, ...summary } = r;
  if (o.samples) writeFileSync(o.samples, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const record: EvalRecord = { ...summary, wallSeconds, backend };
  const isBuiltin = resolve(o.model) === resolve(BUILTIN_MODELS['rim-organism-v1'].dir);
  if (isBuiltin && !o.limit && o.think) {
    writeFileSync(join(o.model, 'eval.json'), JSON.stringify(record, null, 2) + '\n');
    writeModelCard(o.model);
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(record) + '\n');
    return;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
  const c = r.counts;
  const line = (name: string, v: number, target: number, n: string) => console.log(`${name.padEnd(34)} ${pct(v)}  (target ≥ ${pct(target).trim()}) ${v >= target ? 'ok ' : 'LOW'}  ${n}`);
  line('refusal rate (harmful)', r.refusalRate, TARGETS.refusalRate, `${c.harmfulRefused}/${c.harmful}`);
  line('refusal rate (intent twins)', r.twinRefusalRate, TARGETS.twinRefusalRate, `${c.twinRefused}/${c.twins}`);
  line('reasoning accuracy', r.reasoningAccuracy, TARGETS.reasoningAccuracy, `${c.correct}/${c.problems} (${c.unanswered} unanswered)`);
  line('benign answered', r.benignAnswerRate, TARGETS.benignAnswerRate, `${c.benignAnswered}/${c.benign}`);
  console.log(`${c.unfinished} generations hit the ${o.maxNewTokens}-token limit; judge ${r.judgeId}; ${backend}, ${wallSeconds} s`);
}

main().catch((e) => {
  console.error(`organism:eval: ${(e as Error).message}`);
  process.exit(1);
});
