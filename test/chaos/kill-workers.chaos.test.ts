/**
 * Chaos: three real worker processes, SIGKILL a random one every few seconds (and start a fresh one in
 * its place) until every job is finished. Then: every job completed, every checkpoint and every
 * metric exists exactly once, and no job was ever executed by two processes at once.
 *
 * CI form: 3 jobs, a kill every 5 s, at most 3 kills. CHAOS_LONG=1: 6 jobs, a kill every 3 s until done.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAOS_ENABLED, CHAOS_LONG, ROOT, logLines, type WorkerProcess, EXPECTED_CHECKPOINTS, EXPECTED_METRIC_STEPS, executions, jobRecord, overlaps, sleep, startCluster, until, type Cluster } from './harness';

jest.setTimeout(CHAOS_LONG ? 900_000 : 240_000);

const JOBS = CHAOS_LONG ? 6 : 3;
const KILL_EVERY_MS = CHAOS_LONG ? 3000 : 5000;
const MAX_KILLS = CHAOS_LONG ? Infinity : 3;
// short locks so a dead worker's job is taken over within seconds; a job may be hit by many kills
// here, far more than the production default of 2 stalls allows
const WORKER_ENV = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_MAX_STALLED_COUNT: '1000', WORKER_STEP_DELAY_MS: '400' };

(CHAOS_ENABLED ? describe : describe.skip)('chaos: random SIGKILLs among three workers', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ workerEnv: WORKER_ENV });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('finishes every job exactly once, with no overlapping execution', async () => {
    const live = [c.startWorker(), c.startWorker(), c.startWorker()];
    await Promise.all(live.map((w) => w.ready));
    const ids = await c.submit(JOBS);
    const terminal = ['completed', 'failed', 'diverged', 'cancelled'] as const;
    const allDone = async () => (await c.db.prisma.job.count({ where: { id: { in: ids }, status: { in: [...terminal] } } })) === ids.length;

    const midJob = async (ws: WorkerProcess[]) => {
      const out: number[] = [];
      for (const [i, w] of ws.entries()) {
        const lines = logLines(w.output()).filter((l) => l.name === 'rimwatch-worker' && typeof l.jobId === 'string');
        const started = lines.filter((l) => l.msg === 'job started').at(-1)?.jobId;
        if (!started || lines.some((l) => l.msg === 'job done' && l.jobId === started)) continue;
        const job = await c.db.prisma.job.findUnique({ where: { id: started }, select: { status: true, _count: { select: { checkpoints: true } } } });
        if (job?.status === 'running' && job._count.checkpoints > 0) out.push(i);
      }
      return out;
    };
    let kills = 0;
    const killLog: Array<{ time: number; msg: string; pid?: number }> = [];
    const started = Date.now();
    const deadline = started + (CHAOS_LONG ? 840_000 : 200_000);
    let lastKill = 0;
    while (!(await allDone())) {
      if (Date.now() > deadline) throw new Error(`jobs not finished after ${kills} kills:\n${c.workers.map((w) => w.output().slice(-3000)).join('\n----\n')}`);
      // poll often, kill at most every KILL_EVERY_MS: on a fast machine jobs can finish within one interval
      await sleep(500);
      if (kills >= MAX_KILLS || Date.now() - lastKill < KILL_EVERY_MS || (await allDone())) continue;
      // CI form: kill only a worker that is mid-job (its job has a checkpoint and is unfinished), so
      // every kill forces a takeover and a resume; long form: any worker, busy or idle
      const candidates = CHAOS_LONG ? live.map((_, i) => i) : await midJob(live);
      if (candidates.length === 0) continue;
      const i = candidates[Math.floor(Math.random() * candidates.length)];
      killLog.push({ time: Date.now(), msg: 'chaos: SIGKILL', pid: live[i].proc.pid });
      live[i].proc.kill('SIGKILL');
      await live[i].exited;
      kills++;
      lastKill = Date.now();
      live[i] = c.startWorker();
    }
    const wallSec = (Date.now() - started) / 1000;

    const records = await Promise.all(ids.map((id) => jobRecord(c.db.prisma, id)));
    const bad = records.filter((r) => r.status !== 'completed' || r.checkpoints.join() !== EXPECTED_CHECKPOINTS.join());
    if (bad.length) {
      // keep the evidence: every log line about the broken jobs, in time order
      const lines = [...killLog, ...c.workers.flatMap((w) => logLines(w.output())).filter((l) => bad.some((b) => l.jobId === b.id || !l.jobId))];
      lines.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
      mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
      const file = join(ROOT, 'test-artifacts', `chaos-kill-${Date.now()}.jsonl`);
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
      console.error(`chaos kill: ${bad.length} job(s) wrong after ${kills} kills; logs in ${file}`);
    }
    for (const r of records) {
      expect({ status: r.status, error: r.error }).toEqual({ status: 'completed', error: null });
      expect({ job: r.id, checkpoints: r.checkpoints }).toEqual({ job: r.id, checkpoints: EXPECTED_CHECKPOINTS });
      expect(r.byKey.get('ras.safety')).toEqual(EXPECTED_METRIC_STEPS);
      for (const [key, steps] of r.byKey) {
        expect({ key, duplicates: steps.length - new Set(steps).size }).toEqual({ key, duplicates: 0 });
        expect(steps.every((s) => EXPECTED_METRIC_STEPS.includes(s))).toBe(true);
      }
    }
    // the same spec everywhere: every job has the same (key, step) set as the first
    const keySet = (r: (typeof records)[number]) => [...r.byKey].flatMap(([k, steps]) => steps.map((s) => `${k}@${s}`)).sort();
    for (const r of records.slice(1)) expect(keySet(r)).toEqual(keySet(records[0]));

    const execs = executions(c.workers.map((w) => w.output()));
    expect(overlaps(execs)).toEqual([]);
    const takeovers = execs.length - ids.length;
    const resumed = c.workers.flatMap((w) => w.output().split('\n')).filter((l) => l.includes('"msg":"resuming from saved train state"')).length;
    console.log(
      `chaos kill: ${ids.length} jobs, ${c.workers.length} worker processes started, ${kills} SIGKILLs, ` +
        `${execs.length} job executions (${takeovers} after a kill), ${resumed} resumed from a train state, ` +
        `${records.reduce((n, r) => n + r.checkpoints.length, 0)} checkpoints, ${records.reduce((n, r) => n + r.metricRows, 0)} metric rows, 0 overlaps, ${wallSec.toFixed(1)} s`,
    );
    expect(kills).toBeGreaterThan(0);
    if (!CHAOS_LONG) expect(resumed).toBeGreaterThan(0); // kills hit jobs mid-run, so a takeover resumed one
  });
});
