/**
 * Durability with real worker processes: a worker killed with SIGKILL mid-job (its stalled job is
 * taken over by another worker and resumed from the newest train state), and a worker stopped with
 * SIGTERM (state saved, job released to the queue rather than failed). Both resumed jobs must end
 * with every checkpoint exactly once and metrics equal to an uninterrupted run of the same spec.
 */
import { Queue } from 'bullmq';
import { logLines, REDIS_URL, setupE2E, tinySpec, until, type E2E, type WorkerProcess } from './helpers';

jest.setTimeout(300_000);

// short locks so a dead worker's job is taken over in seconds; slow steps so there is time to kill mid-job
const WORKER_ENV = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_STEP_DELAY_MS: '300' };
const TIMING_METRICS = /per_sec|seconds|_ms$/;

describe('e2e: kill and resume', () => {
  let e: E2E;
  let queue: Queue;
  beforeAll(async () => {
    e = await setupE2E();
    queue = new Queue('finetune', { connection: { url: REDIS_URL }, prefix: e.queuePrefix });
  });
  afterAll(async () => {
    await queue?.close();
    await e?.close();
  });

  const submit = async (name: string) => {
    const res = await e.app.inject({ method: 'POST', url: '/v1/jobs', headers: e.team.auth, payload: tinySpec(e.modelDir, { name }) });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const finished = (id: string, w: () => WorkerProcess) =>
    until(`job ${id} to finish`, async () => {
      const j = await e.db.prisma.job.findUnique({ where: { id } });
      return j && ['completed', 'failed', 'diverged', 'cancelled'].includes(j.status) && j;
    }, 120_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nworker output:\n${w().output()}`);
    });
  const firstCheckpoint = (id: string) => until(`a checkpoint of ${id}`, () => e.db.prisma.checkpoint.findFirst({ where: { jobId: id } }), 120_000, 25);
  const metrics = async (id: string) => {
    const rows = await e.db.prisma.metric.findMany({ where: { jobId: id }, orderBy: [{ key: 'asc' }, { step: 'asc' }] });
    return new Map(rows.map((r) => [`${r.key}@${r.step}`, r.value]));
  };
  const expectSameMetrics = (got: Map<string, number>, want: Map<string, number>) => {
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    const diffs: string[] = [];
    for (const [k, v] of want) {
      if (TIMING_METRICS.test(k.split('@')[0])) continue;
      const g = got.get(k)!;
      if (!(Math.abs(g - v) <= 1e-5 || (Number.isNaN(g) && Number.isNaN(v)))) diffs.push(`${k}: ${g} vs ${v}`);
    }
    expect(diffs).toEqual([]);
  };
  const checkpointSteps = async (id: string) => (await e.db.prisma.checkpoint.findMany({ where: { jobId: id }, orderBy: { step: 'asc' } })).map((c) => c.step);

  it('SIGKILL mid-job: another worker takes the stalled job over and resumes; SIGTERM: the job is released, not failed, and resumes', async () => {
    // ---- SIGKILL ----
    const a = await e.startWorker(WORKER_ENV);
    const killed = await submit('tiny e2e');
    await firstCheckpoint(killed);
    a.proc.kill('SIGKILL');
    await a.exited;
    const status = await e.db.prisma.job.findUniqueOrThrow({ where: { id: killed } });
    expect(status.status).toBe('running'); // killed mid-job
    // its sandboxed child notices the parent is gone and exits too (no orphan training on)
    const childPid = logLines(a.output()).find((l) => l.name === 'rimwatch-worker-job')?.pid as number;
    expect(childPid).toBeGreaterThan(0);
    await until('the orphaned child to exit', async () => {
      try {
        process.kill(childPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 20_000);

    let b = await e.startWorker(WORKER_ENV);
    const resumed = await finished(killed, () => b);
    expect(resumed.status).toBe('completed');
    expect(logLines(b.output()).some((l) => l.msg === 'resuming from saved train state' && l.jobId === killed)).toBe(true);

    // ---- the same spec, uninterrupted ----
    const reference = await submit('tiny e2e');
    expect((await finished(reference, () => b)).status).toBe('completed');

    // ---- SIGTERM ----
    const released = await submit('tiny e2e');
    await firstCheckpoint(released);
    b.proc.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
    const qjob = await queue.getJob(released);
    expect(await qjob!.getState()).toBe('waiting');
    expect(qjob!.failedReason ?? '').toBe('');
    expect(qjob!.attemptsMade).toBe(0);
    expect((await e.db.prisma.job.findUniqueOrThrow({ where: { id: released } })).status).toBe('queued');
    expect(logLines(b.output()).some((l) => l.msg === 'shutdown: train state saved, job released')).toBe(true);

    b = await e.startWorker(WORKER_ENV);
    expect((await finished(released, () => b)).status).toBe('completed');

    // ---- nothing lost, nothing doubled, same numbers ----
    const want = await metrics(reference);
    for (const id of [killed, released]) {
      expect(await checkpointSteps(id)).toEqual([2, 4, 6]);
      expectSameMetrics(await metrics(id), want);
      const events = await e.db.prisma.alertEvent.findMany({ where: { jobId: id } });
      expect(new Set(events.map((ev) => `${ev.ruleId}:${ev.step}:${ev.state}`)).size).toBe(events.length);
    }
    expect((await metrics(reference)).get('ras.safety@6')).toEqual(expect.any(Number));
  });
});
