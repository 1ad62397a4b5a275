/**
 * End-to-end harness: the API in-process on a fresh database and a unique BullMQ prefix, and real
 * worker processes (`tsx apps/worker/src/main.ts`) started with the matching environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generateApiKey, type PrismaClient } from '@rimwatch/db';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { writeTinyModel } from '@rimwatch/pipeline/src/testing/tiny-model';
import { buildApp } from '@rimwatch/api';
import { initBackend } from '@rimwatch/model';

export const ROOT = resolve(__dirname, '../..');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Team {
  id: string;
  auth: { authorization: string };
}

export async function createTeam(prisma: PrismaClient, name: string): Promise<Team> {
  const team = await prisma.team.create({ data: { name } });
  const { key, prefix, hash } = generateApiKey();
  await prisma.apiKey.create({ data: { teamId: team.id, name: 'e2e', prefix, hash } });
  return { id: team.id, auth: { authorization: `Bearer ${key}` } };
}

export interface E2E {
  app: FastifyInstance;
  db: TestDatabase;
  queuePrefix: string;
  checkpointDir: string;
  modelDir: string;
  team: Team;
  other: Team;
  workers: WorkerProcess[];
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  close(): Promise<void>;
}

export interface WorkerProcess {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<void>;
  alive(): boolean;
}

export async function setupE2E(): Promise<E2E> {
  process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS = '1';
  const db = await createTestDatabase();
  const queuePrefix = `rwe2e-${randomUUID()}`;
  const checkpointDir = mkdtempSync(join(tmpdir(), 'rw-e2e-ckpt-'));
  await initBackend('cpu'); // only to write the tiny model's random weights here; workers use their own backend
  const modelDir = writeTinyModel();
  const app = await buildApp({ databaseUrl: db.url, redisUrl: REDIS_URL, prisma: db.prisma, queuePrefix, rateLimit: false });
  await app.ready();
  const team = await createTeam(db.prisma, 'e2e-team');
  const other = await createTeam(db.prisma, 'other-team');
  const workers: WorkerProcess[] = [];
  const e: E2E = {
    app,
    db,
    queuePrefix,
    checkpointDir,
    modelDir,
    team,
    other,
    workers,
    async startWorker(env = {}) {
      const w = spawnWorker({
        DATABASE_URL: db.url,
        REDIS_URL,
        QUEUE_PREFIX: queuePrefix,
        CHECKPOINT_DIR: checkpointDir,
        RIMWATCH_BACKEND: 'wasm',
        RIMWATCH_ALLOW_PRIVATE_WEBHOOKS: '1',
        LOG_LEVEL: 'info',
        ...env,
      });
      workers.push(w);
      await w.ready;
      return w;
    },
    async close() {
      for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      const { Queue } = await import('bullmq');
      for (const name of ['finetune', 'webhooks']) {
        const q = new Queue(name, { connection: { url: REDIS_URL }, prefix: queuePrefix });
        await q.obliterate({ force: true }).catch(() => {});
        await q.close();
      }
      await app.close();
      await db.drop();
      rmSync(checkpointDir, { recursive: true, force: true });
      rmSync(modelDir, { recursive: true, force: true });
    },
  };
  return e;
}

/** A real `apps/worker` process; `ready` resolves once it logs that it started. Shared with test/chaos. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  // node with tsx's loader rather than the tsx CLI: the CLI is a wrapper process, and a SIGKILL must
  // hit the worker itself
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/worker/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let onReady!: () => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  ready.catch(() => {}); // a worker killed before it started is not an unhandled rejection; awaiters still see it
  const feed = (b: Buffer) => {
    out += b.toString();
    if (out.includes('"msg":"worker started"')) onReady();
  };
  proc.stdout!.on('data', feed);
  proc.stderr!.on('data', feed);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on('exit', (code, signal) => {
      onFail(new Error(`worker exited (${code ?? signal}) before it started:\n${out}`));
      res({ code, signal });
    }),
  );
  return { proc, output: () => out, exited, ready, alive: () => proc.exitCode === null && proc.signalCode === null };
}

/** A job spec on the tiny model that runs in seconds. */
export function tinySpec(modelDir: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'tiny e2e',
    model: modelDir,
    datasets: { train: 'builtin:reasoning-patterns/target' },
    training: { maxSteps: 6, batchSize: 2, maxSeqLen: 64, seed: 7 },
    checkpoints: { everySteps: 2 },
    monitor: { probeLimit: 4, maxNewTokens: 8 },
    ...extra,
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 60_000, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** The worker's pino JSON log lines. */
export function logLines(output: string): Array<Record<string, unknown> & { msg?: string; name?: string; pid?: number }> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    });
}
