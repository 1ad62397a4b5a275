/**
 * API → BullMQ → a real worker process (sandboxed processor) → Postgres → metrics endpoint; alert →
 * signed webhook to a real receiver; cancel of a running job.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { verifySignature } from '@rimwatch/webhooks';
import { logLines, REDIS_URL, setupE2E, tinySpec, until, type E2E, type WorkerProcess } from './helpers';

jest.setTimeout(180_000);

type Points = { step: number; value: number }[];

describe('e2e: a real worker fine-tunes and monitors submitted jobs', () => {
  let e: E2E;
  let w: WorkerProcess;
  let server: http.Server;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    e = await setupE2E();
    // a receiver that fails twice, then accepts
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(received.length <= 2 ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    w = await e.startWorker({ WORKER_STEP_DELAY_MS: '200', WEBHOOK_ATTEMPTS: '4', WEBHOOK_BACKOFF_MS: '100', WEBHOOK_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await e?.close();
  });

  const api = (method: 'GET' | 'POST', url: string, payload?: object) => e.app.inject({ method, url, headers: e.team.auth, ...(payload ? { payload } : {}) });
  const finished = (id: string) =>
    until(`job ${id} to finish`, async () => {
      const j = (await api('GET', `/v1/jobs/${id}`)).json();
      return ['completed', 'failed', 'diverged', 'cancelled'].includes(j.status) && j;
    }).catch((err) => {
      throw new Error(`${(err as Error).message}\nworker output:\n${w.output()}`);
    });

  it('runs a job to completion, serves its checkpoint metrics and delivers its alert as a signed webhook', async () => {
    const hook = await api('POST', '/v1/webhooks', { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` });
    expect(hook.statusCode).toBe(201);
    const { id: endpointId, secret } = hook.json();
    // a rule that fires at the first checkpoint: any positive train loss
    const res = await api('POST', '/v1/jobs', tinySpec(e.modelDir, { alerts: [{ metric: 'train_loss', comparator: 'gt', threshold: 0 }] }));
    expect(res.statusCode).toBe(201);
    const job = res.json();

    const done = await finished(job.id);
    expect(done).toMatchObject({ status: 'completed', error: null, progress: { step: 6, totalSteps: 6 } });

    const m = await api('GET', `/v1/jobs/${job.id}/metrics`);
    expect(m.statusCode).toBe(200);
    const series = new Map<string, Points>(m.json().series.map((s: { key: string; points: Points }) => [s.key, s.points]));
    for (const key of ['ras.safety', 'ras.control', 'ras.all', 'misalignment_rate', 'refusal_rate', 'kl_to_base']) {
      const steps = series.get(key)?.map((p) => p.step);
      expect({ key, steps }).toEqual({ key, steps: [0, 2, 4, 6] }); // kl_to_base is 0 at step 0 (π0 against itself)
      for (const p of series.get(key)!) expect(Number.isFinite(p.value)).toBe(true);
    }
    expect(series.get('train_loss')?.map((p) => p.step)).toEqual([2, 4, 6]);
    const cps = await api('GET', `/v1/jobs/${job.id}/checkpoints`);
    expect(cps.json().items.map((c: { step: number }) => c.step).sort((a: number, b: number) => a - b)).toEqual([2, 4, 6]);
    // the processor ran in a sandboxed child process, not in the worker's own process
    const jobLogPids = new Set(logLines(w.output()).filter((l) => l.name === 'rimwatch-worker-job').map((l) => l.pid));
    expect(jobLogPids.size).toBe(1);
    expect(jobLogPids.has(w.proc.pid)).toBe(false);
    expect((await e.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/metrics`, headers: e.other.auth })).statusCode).toBe(404);

    // the alert, queryable, and its webhook: 500, 500, then delivered
    const alerts = (await api('GET', `/v1/jobs/${job.id}/alerts`)).json().items;
    const fired = alerts.find((a: { rule: { metric: string } }) => a.rule.metric === 'train_loss');
    expect(fired).toMatchObject({ step: 2, state: 'firing', rule: { source: 'spec' } });
    const delivery = await until('webhook delivered', async () => {
      const d = (await api('GET', `/v1/webhooks/${endpointId}/deliveries`)).json().items.find((x: { alertEventId: string }) => x.alertEventId === fired.id);
      return d?.status !== 'pending' && d;
    });
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, responseCode: 200 });
    const last = received.filter((r) => r.headers['x-rimwatch-delivery'] === delivery.id).at(-1)!;
    expect(verifySignature(secret, last.body, last.headers['x-rimwatch-signature'])).toBe(true);
    expect(JSON.parse(last.body)).toMatchObject({ event: 'alert', alert: { id: fired.id, metric: 'train_loss', step: 2, state: 'firing' }, job: { id: job.id, name: 'tiny e2e' } });
  });

  it('stops a running job within a step of POST /cancel and moves on to the next job', async () => {
    const spec = tinySpec(e.modelDir, { training: { maxSteps: 6, batchSize: 2, maxSeqLen: 64, seed: 7 }, checkpoints: { everySteps: 6 } });
    const job = (await api('POST', '/v1/jobs', spec)).json();
    const next = (await api('POST', '/v1/jobs', { ...spec, name: 'after the cancel' })).json();
    const step = await until('training to start', async () => {
      const j = await e.db.prisma.job.findUnique({ where: { id: job.id } });
      const p = j?.progress as { phase?: string; step?: number } | null;
      return p?.phase === 'training' && (p.step ?? 0) >= 1 && (p.step as number);
    }, 60_000, 20);
    const c = await api('POST', `/v1/jobs/${job.id}/cancel`);
    expect(c.statusCode).toBe(200);
    expect(c.json().status).toBe('cancelled');

    const q = new Queue('finetune', { connection: { url: REDIS_URL }, prefix: e.queuePrefix });
    try {
      const result = await until('the worker to stop the job', async () => {
        const bj = await q.getJob(job.id);
        return (await bj?.getState()) === 'completed' && bj!.returnvalue;
      });
      // the worker returned cancelled, at most one step after the step it was at when cancelled
      expect(result.status).toBe('cancelled');
      expect(result.step).toBeLessThanOrEqual(step + 2); // progress is written after the step; +1 for the step under way
    } finally {
      await q.close();
    }
    const row = await e.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.status).toBe('cancelled');
    expect(await e.db.prisma.checkpoint.count({ where: { jobId: job.id } })).toBe(0);
    // the worker moved on
    expect((await finished(next.id)).status).toBe('completed');
  });

  it('fails a job whose model directory is missing at once, with the path, without retries', async () => {
    const res = await api('POST', '/v1/jobs', tinySpec('/nonexistent/rimwatch-model', { name: 'no model' }));
    expect(res.statusCode).toBe(201);
    const job = res.json();
    const done = await finished(job.id);
    expect(done.status).toBe('failed');
    expect(done.error).toContain('/nonexistent/rimwatch-model');
    const q = new Queue('finetune', { connection: { url: REDIS_URL }, prefix: e.queuePrefix });
    try {
      const bj = await until('the queue job to fail', async () => {
        const j = await q.getJob(job.id);
        return (await j?.getState()) === 'failed' && j;
      });
      expect(bj.attemptsMade).toBe(1); // bad input is not retried
    } finally {
      await q.close();
    }
  });
});
