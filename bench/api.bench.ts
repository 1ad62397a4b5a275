/**
 * `npm run bench:api`: load on GET /v1/jobs/:id/metrics, a job with 8 checkpoints x 20 metric keys.
 *
 * Migrates a fresh database, seeds the job, starts the API in-process on a free port, and runs
 * autocannon (100 connections x 10 s by default, in a child process) twice: a full read, and a
 * dashboard poll with If-None-Match that gets 304. Prints requests/s, p50/p99 latency and the
 * server's CPU time per request (a figure that depends less on other load than req/s does).
 * Target (2 cores): >= 3,000 req/s with p99 < 50 ms for the 304 poll.
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 100), DATABASE_URL, REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import type autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { generateApiKey } from '@rimwatch/db';
import { createTestDatabase } from '@rimwatch/db/src/testing';
import { resolveJobSpec } from '@rimwatch/contracts';
import { buildApp } from '../apps/api/src/app';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHECKPOINTS = 8;
const KEYS = 20;

/**
 * autocannon in its own process, so the server's CPU time (measured here) is the server's alone and
 * the load generator does not share its event loop.
 */
function run(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<autocannon.Result> {
  const bin = require.resolve('autocannon/autocannon.js');
  const args = [bin, '--json', '-c', String(connections), '-d', String(duration), ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      try {
        resolve(JSON.parse(stdout) as autocannon.Result);
      } catch (e) {
        reject(e);
      }
    });
  });
}

function row(label: string, r: autocannon.Result, expectStatus: string, cpuMs: number): string {
  const statusOk = expectStatus === '200' ? r['2xx'] : r['3xx'];
  return [
    label.padEnd(22),
    `${Math.round(r.requests.average).toString().padStart(7)} req/s`,
    `p50 ${String(r.latency.p50).padStart(4)} ms`,
    `p99 ${String(r.latency.p99).padStart(4)} ms`,
    `max ${String(r.latency.max).padStart(5)} ms`,
    `${statusOk}/${r.requests.total} x ${expectStatus}`,
    `errors ${r.errors + r.timeouts}`,
    `server cpu ${(cpuMs / Math.max(1, r.requests.total)).toFixed(3)} ms/req`,
  ].join('  ');
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const queuePrefix = `bench-${randomUUID()}`;
  try {
    const team = await db.prisma.team.create({ data: { name: 'bench' } });
    const { key, prefix, hash } = generateApiKey();
    await db.prisma.apiKey.create({ data: { teamId: team.id, name: 'bench', prefix, hash } });
    const r = resolveJobSpec({ name: 'bench', model: 'builtin:rim-organism-v1', datasets: { train: 'builtin:reasoning-patterns/target' } });
    if (!r.ok) throw new Error(r.message);
    const job = await db.prisma.job.create({ data: { teamId: team.id, name: 'bench', spec: r.spec as object, status: 'running' } });
    const steps = Array.from({ length: CHECKPOINTS }, (_, i) => (i + 1) * 100);
    await db.prisma.checkpoint.createMany({ data: steps.map((step) => ({ jobId: job.id, step })) });
    await db.prisma.metric.createMany({
      data: steps.flatMap((step) => Array.from({ length: KEYS }, (_, k) => ({ jobId: job.id, key: `metric.${String(k).padStart(2, '0')}`, step, value: Math.sin(step + k) }))),
    });

    // rate limiting stays on (its hook is part of the real path), with a budget the bench cannot spend
    const app = await buildApp({ databaseUrl: db.url, redisUrl: REDIS_URL, prisma: db.prisma, queuePrefix, rateLimit: { max: 1e9, timeWindow: 60_000 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/v1/jobs/${job.id}/metrics`;
    const headers = { authorization: `Bearer ${key}` };

    const probe = await fetch(url, { headers });
    const etag = probe.headers.get('etag');
    const body = (await probe.json()) as { series: { points: unknown[] }[] };
    if (probe.status !== 200 || !etag) throw new Error(`warm-up read failed: ${probe.status}`);
    const points = body.series.reduce((n, s) => n + s.points.length, 0);
    const poll = await fetch(url, { headers: { ...headers, 'if-none-match': etag } });
    if (poll.status !== 304) throw new Error(`expected 304 for an unchanged poll, got ${poll.status}`);

    console.log(`rimwatch API bench: GET /v1/jobs/:id/metrics, ${body.series.length} keys x ${CHECKPOINTS} checkpoints = ${points} points`);
    console.log(`${CONNECTIONS} connections x ${DURATION} s; ${cpus().length} CPUs; load average before ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    // short warm-up so JIT and connection pools are settled before measuring
    await run(url, headers, 10, 2);
    let cpu = process.cpuUsage();
    const full = await run(url, headers, CONNECTIONS, DURATION);
    let used = process.cpuUsage(cpu);
    console.log(row('full read (200)', full, '200', (used.user + used.system) / 1000));
    cpu = process.cpuUsage();
    const cached = await run(url, { ...headers, 'if-none-match': etag }, CONNECTIONS, DURATION);
    used = process.cpuUsage(cpu);
    console.log(row('ETag poll (304)', cached, '304', (used.user + used.system) / 1000));
    const pass = cached.requests.average >= 3000 && cached.latency.p99 < 50;
    console.log(`target (304 poll >= 3000 req/s, p99 < 50 ms): ${pass ? 'met' : 'NOT met'}; load average after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await app.finetuneQueue.obliterate({ force: true }).catch(() => {});
    await app.close();
  } finally {
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
