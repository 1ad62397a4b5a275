/**
 * Chaos: the backing services themselves restart mid-run. Each case starts its own server on its own
 * port (never the shared ones):
 *  - Redis with AOF (fsync always), SIGKILLed while jobs are queued and running, restarted on the same
 *    data dir: no job lost — every job completes with all its checkpoints.
 *  - Postgres (initdb + pg_ctl), stopped with `-m immediate` (a crash) mid-run and started again a few
 *    seconds later: workers retry with backoff, nothing lost.
 * CI form: 2 jobs, one worker; CHAOS_LONG=1: 6 jobs, three workers, two restarts.
 */
import { CHAOS_ENABLED, CHAOS_LONG, EXPECTED_CHECKPOINTS, EXPECTED_METRIC_STEPS, jobRecord, OwnPostgres, OwnRedis, sleep, startCluster, until, type Cluster } from './harness';

jest.setTimeout(CHAOS_LONG ? 900_000 : 240_000);

const JOBS = CHAOS_LONG ? 6 : 2;
const WORKERS = CHAOS_LONG ? 3 : 1;
const RESTARTS = CHAOS_LONG ? 2 : 1;
const WORKER_ENV = { WORKER_LOCK_DURATION_MS: '5000', WORKER_STEP_DELAY_MS: '300', WORKER_CANCEL_POLL_MS: '500' };
const TERMINAL = ['completed', 'failed', 'diverged', 'cancelled'] as const;

async function expectAllComplete(c: Cluster, ids: string[]) {
  const records = await Promise.all(ids.map((id) => jobRecord(c.db.prisma, id)));
  for (const r of records) {
    expect({ job: r.id, status: r.status, error: r.error, checkpoints: r.checkpoints }).toEqual({ job: r.id, status: 'completed', error: null, checkpoints: EXPECTED_CHECKPOINTS });
    expect(r.byKey.get('ras.safety')).toEqual(EXPECTED_METRIC_STEPS);
    for (const steps of r.byKey.values()) expect(steps.length).toBe(new Set(steps).size);
  }
  return records;
}

async function waitFinished(c: Cluster, ids: string[], ms: number) {
  await until('all jobs to finish', async () => (await c.db.prisma.job.count({ where: { id: { in: ids }, status: { in: [...TERMINAL] } } })) === ids.length, ms, 500).catch((err) => {
    throw new Error(`${(err as Error).message}\n${c.workers.map((w) => w.output().slice(-4000)).join('\n----\n')}`);
  });
}

const redisCase = OwnRedis.available() ? it : it.skip;
const pgUnavailable = OwnPostgres.unavailable();
const pgCase = pgUnavailable ? it.skip : it;
if (pgUnavailable) console.warn(`chaos: skipping the Postgres restart case: ${pgUnavailable}`);

(CHAOS_ENABLED ? describe : describe.skip)('chaos: service restarts', () => {
  redisCase('Redis SIGKILLed and restarted mid-run (AOF): no job lost', async () => {
    const redis = new OwnRedis();
    await redis.start();
    let c: Cluster | undefined;
    try {
      c = await startCluster({ redisUrl: redis.url, workerEnv: WORKER_ENV });
      for (let i = 0; i < WORKERS; i++) c.startWorker();
      await Promise.all(c.workers.map((w) => w.ready));
      const ids = await c.submit(JOBS, 'redis chaos');
      for (let r = 0; r < RESTARTS; r++) {
        // mid-run: a job has a checkpoint and at least one is still unfinished
        await until('a checkpoint', async () => (await c!.db.prisma.checkpoint.count({ where: { jobId: { in: ids } } })) > r, 120_000, 100);
        await redis.kill();
        await sleep(2000);
        await redis.start();
      }
      await waitFinished(c, ids, CHAOS_LONG ? 600_000 : 150_000);
      await expectAllComplete(c, ids);
      const reconnects = c.workers.flatMap((w) => w.output().split('\n')).filter((l) => l.includes('"msg":"redis connection error"')).length;
      expect(reconnects).toBeGreaterThan(0); // the restart was felt
      console.log(`chaos redis: ${ids.length} jobs, ${RESTARTS} Redis SIGKILL+restart, ${reconnects} connection errors logged, all completed`);
    } finally {
      await c?.close();
      await redis.destroy();
    }
  });

  pgCase('Postgres crashed (stop -m immediate) and restarted mid-run: workers retry, nothing lost', async () => {
    const pg = new OwnPostgres();
    let c: Cluster | undefined;
    try {
      await pg.init();
      c = await startCluster({ databaseBaseUrl: pg.baseUrl, workerEnv: WORKER_ENV });
      for (let i = 0; i < WORKERS; i++) c.startWorker();
      await Promise.all(c.workers.map((w) => w.ready));
      const ids = await c.submit(JOBS, 'pg chaos');
      for (let r = 0; r < RESTARTS; r++) {
        await until('a checkpoint', async () => (await c!.db.prisma.checkpoint.count({ where: { jobId: { in: ids } } })) > r, 120_000, 100);
        pg.stop();
        await sleep(3000);
        await pg.start();
      }
      await waitFinished(c, ids, CHAOS_LONG ? 600_000 : 150_000);
      await expectAllComplete(c, ids);
      const retries = c.workers.flatMap((w) => w.output().split('\n')).filter((l) => l.includes('"msg":"database unreachable; retrying"')).length;
      console.log(`chaos postgres: ${ids.length} jobs, ${RESTARTS} Postgres crash+restart, ${retries} store retries logged, all completed`);
    } finally {
      await c?.close().catch(() => {});
      await pg.destroy();
    }
  });
});
