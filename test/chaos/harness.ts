/**
 * Chaos harness: the API in-process, real worker processes, and — when a case needs to restart them —
 * a Redis and a Postgres that the test starts itself on its own ports (never the shared services).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { PrismaClient } from '@rimwatch/db';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { writeTinyModel } from '@rimwatch/pipeline/src/testing/tiny-model';
import { buildApp } from '@rimwatch/api';
import { initBackend } from '@rimwatch/model';

export const ROOT = resolve(__dirname, '../..');
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SHARED_DATABASE_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
export const CHAOS_LONG = process.env.CHAOS_LONG === '1';
/**
 * Chaos runs take 1-4 minutes on a 2-core machine, so plain `npm test` skips them;
 * `npm run test:chaos` (CHAOS=1) runs the short form, CHAOS_LONG=1 the long one.
 */
export const CHAOS_ENABLED = process.env.CHAOS === '1' || CHAOS_LONG;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), res(true)));
      c.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await sleep(100);
  }
}

/** A private redis-server with AOF (fsync on every write), restartable on the same port and data dir. */
export class OwnRedis {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'rw-chaos-redis-'));
  port = 0;
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  static available(): boolean {
    return spawnSync('redis-server', ['--version']).status === 0;
  }
  async start(): Promise<void> {
    this.port ||= await freePort();
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
    await waitPort(this.port, 10_000);
  }
  /** SIGKILL: the harshest stop; AOF with fsync always must still keep every acknowledged write */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A private PostgreSQL cluster (initdb + pg_ctl) on its own port. Postgres refuses to run as root, so
 * as root the cluster is owned by and run as the `postgres` user.
 */
export class OwnPostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'rw-chaos-pg-'));
  port = 0;
  private readonly asRoot = process.getuid?.() === 0;
  get baseUrl() {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }
  /** why this case cannot run here, or undefined */
  static unavailable(): string | undefined {
    for (const bin of ['initdb', 'pg_ctl']) if (spawnSync('which', [bin]).status !== 0) return `${bin} not on PATH`;
    if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return 'running as root and there is no postgres user to run the server as';
    return undefined;
  }
  private run(bin: string, args: string[]): void {
    if (this.asRoot) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', [bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')], { stdio: 'pipe' });
    else execFileSync(bin, args, { stdio: 'pipe' });
  }
  async init(): Promise<void> {
    this.port = await freePort();
    chmodSync(this.dir, 0o700);
    if (this.asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(this.dir, uid, gid);
    }
    this.run('initdb', ['-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await this.start();
  }
  async start(): Promise<void> {
    // fsync on: a stop -m immediate is a crash, and committed rows must survive it
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-t', '30', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start']);
    await waitPort(this.port, 10_000);
  }
  /** stop -m immediate: every backend killed, no shutdown checkpoint (crash recovery on start) */
  stop(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }
  async destroy(): Promise<void> {
    if (existsSync(join(this.dir, 'data', 'postmaster.pid'))) {
      try {
        this.stop();
      } catch {
        /* already down */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// the same team + key fixture and worker process as the e2e tests
import { createTeam, spawnWorker, tinySpec as e2eTinySpec, type Team, type WorkerProcess } from '../e2e/helpers';
export { createTeam, spawnWorker, type Team, type WorkerProcess };


export interface Cluster {
  app: FastifyInstance;
  db: TestDatabase;
  redisUrl: string;
  queuePrefix: string;
  checkpointDir: string;
  modelDir: string;
  team: Team;
  /** every worker ever started (killed ones included: their logs are evidence) */
  workers: WorkerProcess[];
  workerEnv: Record<string, string>;
  startWorker(env?: Record<string, string>): WorkerProcess;
  submit(n: number, name?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startCluster(opts: { databaseBaseUrl?: string; redisUrl?: string; workerEnv?: Record<string, string> } = {}): Promise<Cluster> {
  process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS = '1';
  const redisUrl = opts.redisUrl ?? SHARED_REDIS_URL;
  const db = await createTestDatabase(opts.databaseBaseUrl ?? SHARED_DATABASE_URL);
  const queuePrefix = `rwchaos-${randomUUID()}`;
  const checkpointDir = mkdtempSync(join(tmpdir(), 'rw-chaos-ckpt-'));
  await initBackend('cpu'); // only to write the tiny model's weights; workers use wasm
  const modelDir = writeTinyModel();
  const app = await buildApp({ databaseUrl: db.url, redisUrl, prisma: db.prisma, queuePrefix, rateLimit: false });
  await app.ready();
  const team = await createTeam(db.prisma, 'chaos-team');
  const workers: WorkerProcess[] = [];
  const workerEnv = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    CHECKPOINT_DIR: checkpointDir,
    RIMWATCH_BACKEND: 'wasm',
    LOG_LEVEL: 'info',
    ...opts.workerEnv,
  };
  const c: Cluster = {
    app,
    db,
    redisUrl,
    queuePrefix,
    checkpointDir,
    modelDir,
    team,
    workers,
    workerEnv,
    startWorker(env = {}) {
      const w = spawnWorker({ ...workerEnv, ...env });
      workers.push(w);
      return w;
    },
    async submit(n, name = 'chaos') {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: team.auth, payload: tinySpec(modelDir, { name: `${name} ${i}` }) });
        if (res.statusCode !== 201) throw new Error(`submit failed: ${res.statusCode} ${res.body}`);
        ids.push(res.json().id);
      }
      return ids;
    },
    async close() {
      for (const w of workers) if (w.alive()) w.proc.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      const { Queue } = await import('bullmq');
      for (const name of ['finetune', 'webhooks']) {
        const q = new Queue(name, { connection: { url: redisUrl, maxRetriesPerRequest: 1 }, prefix: queuePrefix });
        await q.obliterate({ force: true }).catch(() => {});
        await q.close().catch(() => {});
      }
      await app.close();
      await db.drop();
      rmSync(checkpointDir, { recursive: true, force: true });
      rmSync(modelDir, { recursive: true, force: true });
    },
  };
  return c;
}

/** Tiny job: 6 steps, checkpoints at 2, 4, 6 (plus the base measurement at step 0) — the e2e tests' spec. */
export const tinySpec = (modelDir: string, extra: Record<string, unknown> = {}) => e2eTinySpec(modelDir, { name: 'tiny chaos', ...extra });
export const EXPECTED_CHECKPOINTS = [2, 4, 6];
export const EXPECTED_METRIC_STEPS = [0, 2, 4, 6];

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 60_000, every = 200): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

export type LogLine = Record<string, unknown> & { msg?: string; name?: string; pid?: number; time?: number; jobId?: string };

export function logLines(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const l of output.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(l));
    } catch {
      /* a line cut by SIGKILL */
    }
  }
  return lines;
}

export interface Execution {
  jobId: string;
  pid: number;
  from: number;
  to: number;
}

/**
 * Per job and per sandboxed child process (pid), the span between its first and last log line about
 * that job. The children's stdout is inherited from their worker, so even an orphan whose worker was
 * SIGKILLed keeps logging here: a child that trained on after another took the job over shows up as
 * an overlap.
 */
export function executions(outputs: string[]): Execution[] {
  const spans = new Map<string, Execution>();
  for (const out of outputs) {
    for (const l of logLines(out)) {
      if (l.name !== 'rimwatch-worker-job' || typeof l.jobId !== 'string' || typeof l.pid !== 'number' || typeof l.time !== 'number') continue;
      const k = `${l.jobId}:${l.pid}`;
      const s = spans.get(k);
      if (!s) spans.set(k, { jobId: l.jobId, pid: l.pid, from: l.time, to: l.time });
      else {
        s.from = Math.min(s.from, l.time);
        s.to = Math.max(s.to, l.time);
      }
    }
  }
  return [...spans.values()];
}

/** pairs of executions of the same job by different processes whose spans intersect */
export function overlaps(execs: Execution[]): Array<[Execution, Execution]> {
  const out: Array<[Execution, Execution]> = [];
  for (let i = 0; i < execs.length; i++)
    for (let j = i + 1; j < execs.length; j++) {
      const a = execs[i];
      const b = execs[j];
      if (a.jobId === b.jobId && a.pid !== b.pid && a.from <= b.to && b.from <= a.to) out.push([a, b]);
    }
  return out;
}

/** checkpoints and per-key metric steps of a job, to compare with the expected ones */
export async function jobRecord(prisma: PrismaClient, jobId: string) {
  const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  const checkpoints = (await prisma.checkpoint.findMany({ where: { jobId }, orderBy: { step: 'asc' } })).map((c) => c.step);
  const metrics = await prisma.metric.findMany({ where: { jobId }, select: { key: true, step: true } });
  const byKey = new Map<string, number[]>();
  for (const m of metrics) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.step].sort((a, b) => a - b));
  return { id: jobId, status: job.status, error: job.error, checkpoints, byKey, metricRows: metrics.length };
}
