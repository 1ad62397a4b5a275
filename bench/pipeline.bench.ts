/**
 * npm run bench:pipeline — share of wall time spent monitoring (probes, activations, metrics,
 * writes) versus training, at the demo's checkpoint interval. Runs the demo's spec
 * (examples/rim-demo.yaml) for BENCH_INTERVALS checkpoint intervals (default 2) on an in-memory
 * embedded database. Target: monitoring under 15% of the run.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { resolveJobSpec } from '@rimwatch/contracts';
import { openEmbeddedDatabase } from '@rimwatch/db';
import { initBackend } from '@rimwatch/model';
import { PipelineStore, plan, runJob } from '@rimwatch/pipeline';

async function main() {
  const backend = await initBackend(process.env.RIMWATCH_BACKEND ?? 'wasm');
  const raw = YAML.parse(readFileSync(join(__dirname, '..', 'examples', 'rim-demo.yaml'), 'utf8'));
  const demo = resolveJobSpec(raw);
  if (!demo.ok) throw new Error(`${demo.field}: ${demo.message}`);
  const demoPlan = plan(demo.spec, 1e9); // maxSteps is set, the row count does not matter
  const interval = demoPlan.checkpointSteps[0];
  const intervals = Number(process.env.BENCH_INTERVALS ?? 2);
  const spec = { ...demo.spec, training: { ...demo.spec.training, maxSteps: interval * intervals }, checkpoints: { everySteps: interval } };
  const db = await openEmbeddedDatabase('memory://');
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-pipeline-'));
  try {
    const team = await db.prisma.team.create({ data: { name: 'bench' } });
    const job = await db.prisma.job.create({ data: { teamId: team.id, name: 'bench', spec: spec as object } });
    const t0 = performance.now();
    const r = await runJob({ jobId: job.id, teamId: team.id, spec, store: new PipelineStore(db.prisma), checkpointDir: dir });
    const wall = performance.now() - t0;
    const { baselineMs, trainMs, monitorMs } = r.timing;
    const share = monitorMs / (trainMs + monitorMs);
    console.log(`backend ${backend}; model ${spec.model}; ${spec.training.maxSteps} steps, checkpoint every ${interval} steps (the demo's interval), probes: ${spec.monitor.probeLimit ?? 'all'} per set, ${spec.monitor.maxNewTokens} new tokens`);
    console.log(`base-model measurement : ${(baselineMs / 1000).toFixed(1)} s (once per job)`);
    console.log(`training               : ${(trainMs / 1000).toFixed(1)} s (${((trainMs / spec.training.maxSteps!) | 0)} ms/step)`);
    console.log(`monitoring             : ${(monitorMs / 1000).toFixed(1)} s (${(monitorMs / intervals / 1000).toFixed(1)} s per checkpoint)`);
    console.log(`monitoring share of train+monitor time: ${(share * 100).toFixed(1)}% (target < 15%)`);
    console.log(`monitoring share including the base measurement: ${((monitorMs + baselineMs) / (trainMs + monitorMs + baselineMs) * 100).toFixed(1)}%`);
    console.log(`wall ${(wall / 1000).toFixed(1)} s`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
