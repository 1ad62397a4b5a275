/**
 * The pipeline end to end in-process, on a tiny random model and real Postgres: base measurement,
 * training, checkpoints, metrics, neuron sets, alert rules; resume after a graceful stop reproduces
 * an uninterrupted run; a re-run writes no duplicates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveJobSpec, type JobSpec } from '@rimwatch/contracts';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { initBackend } from '@rimwatch/model';
import { PipelineStore, runJob, plan, METRIC, type JobContext } from '../src';
import { writeTinyModel } from '../src/testing/tiny-model';

let db: TestDatabase;
let modelDir: string;
let ckptDir: string;
let teamId: string;

const specFor = (overrides: Record<string, unknown> = {}): JobSpec => {
  const r = resolveJobSpec({
    name: 'tiny',
    model: modelDir,
    datasets: { train: 'builtin:reasoning-patterns/target' },
    training: { maxSteps: 6, batchSize: 4, learningRate: 1e-2, maxSeqLen: 96, seed: 3 },
    checkpoints: { everySteps: 2 },
    monitor: { probeLimit: 4, maxNewTokens: 6, topM: 40, minSupport: 0.5 },
    alerts: [{ metric: 'ras.safety', comparator: 'gte', threshold: 0, mode: 'absolute' }],
    ...overrides,
  });
  if (!r.ok) throw new Error(`${r.field}: ${r.message}`);
  return r.spec;
};

async function newJob(spec: JobSpec): Promise<string> {
  const job = await db.prisma.job.create({ data: { teamId, name: spec.name, spec: spec as object } });
  return job.id;
}

const ctxFor = (jobId: string, spec: JobSpec, extra: Partial<JobContext> = {}): JobContext => ({
  jobId,
  teamId,
  spec,
  store: new PipelineStore(db.prisma),
  checkpointDir: ckptDir,
  probeBatchSize: 4,
  ...extra,
});

const metricsOf = async (jobId: string) =>
  (await db.prisma.metric.findMany({ where: { jobId }, orderBy: [{ step: 'asc' }, { key: 'asc' }] })).map((m) => ({ step: m.step, key: m.key, value: m.value }));

beforeAll(async () => {
  await initBackend('wasm');
  db = await createTestDatabase();
  modelDir = writeTinyModel();
  ckptDir = mkdtempSync(join(tmpdir(), 'rw-ckpt-'));
  teamId = (await db.prisma.team.create({ data: { name: 'pipeline-test' } })).id;
});

afterAll(async () => {
  await db?.drop();
  rmSync(modelDir, { recursive: true, force: true });
  rmSync(ckptDir, { recursive: true, force: true });
});

test('plan: evenly spaced checkpoints always include the last step', () => {
  const s = specFor({ checkpoints: { count: 4 }, training: { maxSteps: 10, batchSize: 4 } });
  expect(plan(s, 100).checkpointSteps).toEqual([3, 5, 8, 10]); // round(10*i/4) for i = 1..3, then 10
  const e = specFor({ checkpoints: { everySteps: 4 }, training: { maxSteps: 10, batchSize: 4 } });
  expect(plan(e, 100).checkpointSteps).toEqual([4, 8, 10]);
  const ep = specFor({ checkpoints: { everySteps: 100 }, training: { epochs: 2, batchSize: 8, gradAccumSteps: 2 } });
  expect(plan(ep, 100).totalSteps).toBe(13); // ceil(2 * 100 / 16)
});

test('a job runs to completion and stores checkpoints, metrics, neuron sets and alerts', async () => {
  const spec = specFor();
  const jobId = await newJob(spec);
  const events: string[] = [];
  const r = await runJob(ctxFor(jobId, spec, { onEvent: (e) => void events.push(e.type) }));
  expect(r.status).toBe('completed');
  expect(r.checkpoints).toEqual([2, 4, 6]);

  const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  expect(job.status).toBe('completed');
  const cps = await db.prisma.checkpoint.findMany({ where: { jobId }, orderBy: { step: 'asc' } });
  expect(cps.map((c) => c.step)).toEqual([2, 4, 6]);

  const metrics = await metricsOf(jobId);
  const steps = [...new Set(metrics.map((m) => m.step))];
  expect(steps).toEqual([0, 2, 4, 6]);
  const at = (step: number, key: string) => metrics.find((m) => m.step === step && m.key === key)?.value;
  for (const step of [2, 4, 6]) {
    for (const key of ['ras.safety', 'ras.control', 'ras.all', 'delta_safe.safety', 'delta_reason.safety', METRIC.refusalRate, METRIC.misalignmentRate, METRIC.klToBase, METRIC.trainLoss, METRIC.learningRate]) {
      expect(at(step, key)).toEqual(expect.any(Number));
    }
    expect(at(step, METRIC.klToBase)!).toBeGreaterThanOrEqual(0);
  }
  expect(at(0, 'ras.safety')).toBe(0); // the base model against itself: nothing moved
  expect(at(0, METRIC.misalignmentDelta)).toBe(0);

  const sets = await db.prisma.neuronSet.findMany({ where: { jobId }, orderBy: { kind: 'asc' } });
  expect(sets.map((s) => s.kind).sort()).toEqual(['control', 'safety']);
  const [control, safety] = [sets.find((s) => s.kind === 'control')!, sets.find((s) => s.kind === 'safety')!];
  expect(control.indices.length).toBe(safety.indices.length);
  expect(control.indices.filter((i) => safety.indices.includes(i))).toEqual([]);

  // the spec rule (ras.safety >= 0) fires once at step 0 and stays firing: exactly one event
  const rules = await db.prisma.alertRule.findMany({ where: { jobId } });
  expect(rules.map((r) => r.source).sort()).toEqual(['default', 'default', 'default', 'spec']);
  const specRule = rules.find((r) => r.source === 'spec')!;
  const fired = await db.prisma.alertEvent.findMany({ where: { ruleId: specRule.id } });
  expect(fired.map((e) => [e.step, e.state])).toEqual([[0, 'firing']]);
  expect(events).toContain('checkpoint');
  expect(events[events.length - 1]).toBe('status');

  // running the same job again resumes at the end: no duplicate rows, same values
  const before = await metricsOf(jobId);
  await runJob(ctxFor(jobId, spec));
  expect(await metricsOf(jobId)).toEqual(before);
  expect(await db.prisma.checkpoint.count({ where: { jobId } })).toBe(3);
});

test('a graceful stop saves the train state; the resumed job matches an uninterrupted one', async () => {
  const spec = specFor();
  const straight = await newJob(spec);
  await runJob(ctxFor(straight, spec));

  const stopped = await newJob(spec);
  let steps = 0;
  const r1 = await runJob(ctxFor(stopped, spec, { shouldStop: async () => (++steps > 3 ? 'shutdown' : undefined) }));
  expect(r1.status).toBe('stopped');
  expect(r1.step).toBe(3); // between checkpoints 2 and 4
  const r2 = await runJob(ctxFor(stopped, spec));
  expect(r2.status).toBe('completed');

  const timing = new Set([METRIC.tokensPerSec]);
  const a = (await metricsOf(straight)).filter((m) => !timing.has(m.key as typeof METRIC.tokensPerSec));
  const b = (await metricsOf(stopped)).filter((m) => !timing.has(m.key as typeof METRIC.tokensPerSec));
  expect(b.map((m) => `${m.step}:${m.key}`)).toEqual(a.map((m) => `${m.step}:${m.key}`));
  b.forEach((m, i) => expect(m.value).toBeCloseTo(a[i].value, 5));
});

test('cancel stops at the next step boundary', async () => {
  const spec = specFor();
  const jobId = await newJob(spec);
  let n = 0;
  const r = await runJob(ctxFor(jobId, spec, { shouldStop: async () => (++n > 1 ? 'cancelled' : undefined) }));
  expect(r.status).toBe('cancelled');
  expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe('cancelled');
  expect(await db.prisma.checkpoint.count({ where: { jobId } })).toBe(0);
});

test('bad inputs fail with the path or row number', async () => {
  const missing = specFor({ model: '/nonexistent/model-dir' });
  await expect(runJob(ctxFor(await newJob(missing), missing))).rejects.toThrow('/nonexistent/model-dir');
  const unknownDs = specFor({ datasets: { train: '00000000-0000-4000-8000-000000000000' } });
  await expect(runJob(ctxFor(await newJob(unknownDs), unknownDs))).rejects.toThrow('not found');
});

test('NaN loss marks the job diverged and fires the diverged alert', async () => {
  const { loadModel, saveModel } = await import('@rimwatch/model');
  const { copyFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'rw-nan-'));
  const m = loadModel(modelDir);
  // a huge final-norm gain: activations stay finite (the probes still run), logits overflow, the loss is NaN
  m.params.get('transformer.ln_f.weight')!.assign((await import('@tensorflow/tfjs')).fill([m.config.hiddenSize], 3e38));
  saveModel(m, dir);
  m.dispose();
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(modelDir, f), join(dir, f));
  const spec = specFor({ model: dir });
  const jobId = await newJob(spec);
  const r = await runJob(ctxFor(jobId, spec));
  expect(r.status).toBe('diverged');
  const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  expect(job.status).toBe('diverged');
  expect(job.error).toMatch(/diverged at step 1/);
  const rule = await db.prisma.alertRule.findFirstOrThrow({ where: { jobId, metricKey: METRIC.diverged } });
  expect(await db.prisma.alertEvent.count({ where: { ruleId: rule.id, state: 'firing' } })).toBe(1);
  rmSync(dir, { recursive: true, force: true });
});

test('a crash after a checkpoint state is saved but before it is recorded re-measures it on resume', async () => {
  const spec = specFor();
  const straight = await newJob(spec);
  await runJob(ctxFor(straight, spec));

  const crashed = await newJob(spec);
  const store = new PipelineStore(db.prisma);
  const crashing = Object.create(store) as PipelineStore;
  // the process "dies" right before the checkpoint row of step 4 is written (state-4 is on disk)
  crashing.upsertCheckpoint = async (jobId, step, epoch, loc) => {
    if (step === 4) throw new Error('killed');
    return store.upsertCheckpoint(jobId, step, epoch, loc);
  };
  await expect(runJob(ctxFor(crashed, spec, { store: crashing }))).rejects.toThrow('killed');
  expect((await db.prisma.checkpoint.findMany({ where: { jobId: crashed } })).map((c) => c.step)).toEqual([2]);

  const r = await runJob(ctxFor(crashed, spec));
  expect(r.status).toBe('completed');
  expect(r.checkpoints).toEqual([4, 6]);
  expect((await db.prisma.checkpoint.findMany({ where: { jobId: crashed }, orderBy: { step: 'asc' } })).map((c) => c.step)).toEqual([2, 4, 6]);
  const strip = (ms: { step: number; key: string; value: number }[]) => ms.filter((m) => m.key !== METRIC.tokensPerSec);
  const a = strip(await metricsOf(straight));
  const b = strip(await metricsOf(crashed));
  expect(b.map((m) => `${m.step}:${m.key}`)).toEqual(a.map((m) => `${m.step}:${m.key}`));
  b.forEach((m, i) => expect(m.value).toBeCloseTo(a[i].value, 5));
});

test('the base model is its own reference: KL and RAS are 0 at step 0', async () => {
  const spec = specFor({ training: { maxSteps: 2, batchSize: 4, learningRate: 1e-2, maxSeqLen: 96 } });
  const jobId = await newJob(spec);
  await runJob(ctxFor(jobId, spec));
  const at0 = (await metricsOf(jobId)).filter((m) => m.step === 0);
  expect(at0.find((m) => m.key === METRIC.klToBase)?.value).toBe(0);
  expect(at0.find((m) => m.key === 'ras.all')?.value).toBe(0);
});
