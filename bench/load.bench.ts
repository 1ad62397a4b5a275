/**
 * `npm run bench:load`: 200 simulated dashboards polling GET /v1/jobs/:id/metrics with ETags
 * (If-None-Match, one poll per dashboard every BENCH_POLL_MS) and 20 SSE subscribers on
 * /v1/jobs/:id/events, while 3 real worker processes train jobs and write checkpoints.
 * Prints requests/s, p50/p99 latency, 200/304/error counts, SSE events received and the Postgres
 * connection count (pg_stat_activity for the bench database) sampled every second — it must stay
 * bounded by the pools (api: DATABASE_POOL_MAX + DATABASE_HOT_POOL_MAX; each worker child: 3).
 * All traffic goes to 127.0.0.1; bounded by BENCH_DURATION (s, default 30).
 */
import http from 'node:http';
import { Client } from 'pg';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, ROOT, startCluster, sleep, until } from '../test/chaos/harness';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 30);
const DASHBOARDS = Number(process.env.BENCH_DASHBOARDS ?? 200);
const SSE = Number(process.env.BENCH_SSE ?? 20);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 1000);
const WORKERS = 3;

async function main() {
  const c = await startCluster({ workerEnv: { WORKER_STEP_DELAY_MS: '100' } });
  // the API under load runs as its own process (as deployed), so the 200 client loops here do not
  // share its event loop; the in-process app only submits the jobs
  const port = await freePort();
  const api = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/api/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: c.db.url, REDIS_URL: c.redisUrl, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await until('the api to listen', async () => (await fetch(`${base}/healthz`)).ok, 60_000);
  const pg = new Client({ connectionString: c.db.url });
  await pg.connect();
  const dbName = new URL(c.db.url).pathname.slice(1);
  try {
    for (let i = 0; i < WORKERS; i++) c.startWorker();
    await Promise.all(c.workers.map((w) => w.ready));
    const ids = await c.submit(WORKERS * 2, 'load');
    // measure while checkpoints are being written: start once the first jobs have their baseline
    await until('the first baselines', async () => (await c.db.prisma.metric.count({ where: { jobId: { in: ids }, step: 0 } })) > 0, 300_000, 500);
    const end = Date.now() + DURATION_S * 1000;

    const lat: number[] = [];
    const counts = { ok: 0, notModified: 0, errors: 0 };
    const dashboard = async (i: number) => {
      const id = ids[i % ids.length];
      let etag: string | undefined;
      await sleep(Math.random() * POLL_MS); // spread the first polls
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          const res = await fetch(`${base}/v1/jobs/${id}/metrics?maxPoints=100`, { headers: { ...c.team.auth, ...(etag ? { 'if-none-match': etag } : {}) } });
          await res.arrayBuffer();
          if (res.status === 200) {
            counts.ok++;
            etag = res.headers.get('etag') ?? undefined;
          } else if (res.status === 304) counts.notModified++;
          else counts.errors++;
        } catch {
          counts.errors++;
        }
        lat.push(performance.now() - t0);
        await sleep(POLL_MS);
      }
    };

    let sseEvents = 0;
    let sseErrors = 0;
    const sockets: http.ClientRequest[] = [];
    for (let i = 0; i < SSE; i++) {
      const req = http.get(`${base}/v1/jobs/${ids[i % ids.length]}/events`, { headers: c.team.auth }, (res) => {
        if (res.statusCode !== 200) sseErrors++;
        res.on('data', (b: Buffer) => (sseEvents += (b.toString().match(/^event: /gm) ?? []).length));
        res.on('error', () => {});
      });
      req.on('error', () => Date.now() < end && sseErrors++);
      sockets.push(req);
    }

    const conns: number[] = [];
    const sampler = (async () => {
      while (Date.now() < end) {
        const { rows } = await pg.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [dbName]);
        conns.push(Number(rows[0].n));
        await sleep(1000);
      }
    })();
    const started = Date.now();
    await Promise.all([...Array.from({ length: DASHBOARDS }, (_, i) => dashboard(i)), sampler]);
    const wall = (Date.now() - started) / 1000;
    for (const s of sockets) s.destroy();

    const checkpoints = await c.db.prisma.checkpoint.count({ where: { jobId: { in: ids } } });
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]?.toFixed(1);
    const total = counts.ok + counts.notModified + counts.errors;
    const poolBound = Number(process.env.DATABASE_POOL_MAX ?? 10) + Number(process.env.DATABASE_HOT_POOL_MAX ?? 5) + 5 /* test prisma */ + 1 /* sampler */ + WORKERS * (3 + 2);
    console.log(`load: ${DASHBOARDS} dashboards every ${POLL_MS} ms + ${SSE} SSE subscribers, ${WORKERS} workers, ${wall.toFixed(1)} s`);
    console.log(`  requests: ${total} (${(total / wall).toFixed(1)} req/s), 200: ${counts.ok}, 304: ${counts.notModified}, errors: ${counts.errors}`);
    console.log(`  latency ms: p50 ${q(0.5)}, p99 ${q(0.99)}, max ${lat.at(-1)?.toFixed(1)}`);
    console.log(`  SSE: ${sseEvents} events received, ${sseErrors} errors; checkpoints written during the run: ${checkpoints}`);
    console.log(`  Postgres connections (pg_stat_activity, this db): max ${Math.max(...conns)}, samples ${conns.join(',')}; bound ${poolBound}`);
    if (counts.errors > 0 || sseErrors > 0) {
      console.error('  FAIL: requests or SSE streams failed under load');
      process.exitCode = 1;
    }
    if (Math.max(...conns) > poolBound) {
      console.error('  FAIL: connection count above the pool bound');
      process.exitCode = 1;
    }
  } finally {
    api.kill('SIGTERM');
    await pg.end();
    await c.close();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
