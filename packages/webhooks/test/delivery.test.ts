/**
 * The delivery worker against real Postgres, real Redis (own queue prefix) and real HTTP receivers
 * on 127.0.0.1: retries with backoff, timeouts, the delivery log, signatures.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { createWebhooksQueue } from '@rimwatch/queue';
import { dispatchAlert, dispatchUndelivered, startWebhookWorker, verifySignature, type WebhookWorker } from '../src';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver answering with `respond(n)` for the n-th request (1-based); 'hang' never answers. */
async function receiver(respond: (n: number) => number | 'hang') {
  const received: Received[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const r = respond(received.length);
      if (r === 'hang') return void hanging.push(res);
      res.writeHead(r, { 'content-type': 'text/plain' }).end(r >= 400 ? 'receiver says no' : 'ok');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhook delivery worker', () => {
  let db: TestDatabase;
  let prefix: string;
  let worker: WebhookWorker;
  let queue: ReturnType<typeof createWebhooksQueue>;
  let teamId: string;
  let jobId: string;
  let ruleId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = `rwtest-wh-${randomUUID()}`;
    queue = createWebhooksQueue(REDIS_URL, { prefix });
    worker = startWebhookWorker({ prisma: db.prisma, redisUrl: REDIS_URL, prefix, timeoutMs: 300, allowPrivate: true, sweepIntervalMs: 0 });
    const team = await db.prisma.team.create({ data: { name: 't' } });
    teamId = team.id;
    const job = await db.prisma.job.create({ data: { teamId, name: 'demo job', spec: {} } });
    jobId = job.id;
    const rule = await db.prisma.alertRule.create({ data: { teamId, jobId, name: 'misalignment up', metricKey: 'misalignment_rate', comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase', source: 'default' } });
    ruleId = rule.id;
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => {});
    await queue?.close();
    await db?.drop();
  });

  let step = 0;
  async function fireAlert(endpointUrl: string, secret = 'whsec_s3cret') {
    await db.prisma.webhookEndpoint.deleteMany({ where: { teamId } });
    const ep = await db.prisma.webhookEndpoint.create({ data: { teamId, url: endpointUrl, secret } });
    const ev = await db.prisma.alertEvent.create({ data: { teamId, jobId, ruleId, step: ++step, value: 0.25, state: 'firing' } });
    const ids = await dispatchAlert(db.prisma, queue, { id: ev.id, teamId }, { attempts: 3, backoffMs: 50 });
    expect(ids).toHaveLength(1);
    return { endpoint: ep, event: ev, deliveryId: ids[0] };
  }

  it('retries a receiver that fails twice and records the third attempt as delivered, signed', async () => {
    const rx = await receiver((n) => (n <= 2 ? 500 : 200));
    try {
      const { deliveryId, event } = await fireAlert(rx.url);
      const d = await until(async () => {
        const r = await db.prisma.webhookDelivery.findUnique({ where: { id: deliveryId } });
        return r?.status !== 'pending' && r;
      });
      expect(d).toMatchObject({ status: 'succeeded', attempts: 3, responseCode: 200, error: null });
      expect(d.deliveredAt).toBeInstanceOf(Date);
      expect(rx.received).toHaveLength(3);
      const last = rx.received[2];
      expect(verifySignature('whsec_s3cret', last.body, last.headers['x-rimwatch-signature'])).toBe(true);
      expect(verifySignature('wrong', last.body, last.headers['x-rimwatch-signature'])).toBe(false);
      expect(last.headers['x-rimwatch-delivery']).toBe(deliveryId);
      expect(last.headers['content-type']).toBe('application/json');
      const payload = JSON.parse(last.body);
      expect(payload).toMatchObject({ event: 'alert', alert: { id: event.id, ruleId, metric: 'misalignment_rate', value: 0.25, step: event.step, state: 'firing' }, job: { id: jobId, name: 'demo job' } });
      expect(payload.text).toContain('misalignment up');
      // every attempt sent the same bytes
      expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
    } finally {
      await rx.close();
    }
  });

  it('marks a delivery to a receiver that never answers failed after the retries, with a timeout error', async () => {
    const rx = await receiver(() => 'hang');
    try {
      const { deliveryId } = await fireAlert(rx.url);
      const d = await until(async () => {
        const r = await db.prisma.webhookDelivery.findUnique({ where: { id: deliveryId } });
        return r?.status !== 'pending' && r;
      });
      expect(d).toMatchObject({ status: 'failed', attempts: 3, responseCode: null, deliveredAt: null });
      expect(d.error).toMatch(/timed out after 300 ms/);
      expect(rx.received).toHaveLength(3);
    } finally {
      await rx.close();
    }
  });

  it('does not retry a 4xx answer other than 408/429', async () => {
    const rx = await receiver(() => 404);
    try {
      const { deliveryId } = await fireAlert(rx.url);
      const d = await until(async () => {
        const r = await db.prisma.webhookDelivery.findUnique({ where: { id: deliveryId } });
        return r?.status !== 'pending' && r;
      });
      expect(d).toMatchObject({ status: 'failed', attempts: 1, responseCode: 404 });
      expect(d.error).toBe('HTTP 404: receiver says no');
    } finally {
      await rx.close();
    }
  });

  it('refuses private targets when they are not allowed, without retrying', async () => {
    const strict = startWebhookWorker({ prisma: db.prisma, redisUrl: REDIS_URL, prefix: `${prefix}-strict`, allowPrivate: false, sweepIntervalMs: 0 });
    const strictQueue = createWebhooksQueue(REDIS_URL, { prefix: `${prefix}-strict` });
    try {
      await db.prisma.webhookEndpoint.deleteMany({ where: { teamId } });
      await db.prisma.webhookEndpoint.create({ data: { teamId, url: 'http://127.0.0.1:9/hook', secret: 'x' } });
      const ev = await db.prisma.alertEvent.create({ data: { teamId, jobId, ruleId, step: ++step, value: 1, state: 'firing' } });
      const [id] = await dispatchAlert(db.prisma, strictQueue, { id: ev.id, teamId }, { attempts: 3, backoffMs: 50 });
      const d = await until(async () => {
        const r = await db.prisma.webhookDelivery.findUnique({ where: { id } });
        return r?.status !== 'pending' && r;
      });
      expect(d).toMatchObject({ status: 'failed', attempts: 1 });
      expect(d.error).toMatch(/private or loopback/);
    } finally {
      await strict.close();
      await strictQueue.obliterate({ force: true }).catch(() => {});
      await strictQueue.close();
    }
  });

  it('dispatching the same alert twice creates one delivery; the sweeper re-enqueues a pending row without a job', async () => {
    const rx = await receiver(() => 200);
    try {
      await db.prisma.webhookEndpoint.deleteMany({ where: { teamId } });
      await db.prisma.webhookEndpoint.create({ data: { teamId, url: rx.url, secret: 's' } });
      await db.prisma.webhookEndpoint.create({ data: { teamId, url: rx.url, secret: 's2', enabled: false } });
      const ev = await db.prisma.alertEvent.create({ data: { teamId, jobId, ruleId, step: ++step, value: 1, state: 'firing' } });
      // a row stored while Redis was unreachable: no queue job exists for it
      const orphan = await db.prisma.webhookDelivery.create({ data: { endpointId: (await db.prisma.webhookEndpoint.findFirstOrThrow({ where: { teamId, enabled: true } })).id, alertEventId: ev.id, createdAt: new Date(Date.now() - 60_000) } });
      const ids1 = await dispatchAlert(db.prisma, queue, { id: ev.id, teamId }, { attempts: 3, backoffMs: 50 });
      const ids2 = await dispatchAlert(db.prisma, queue, { id: ev.id, teamId }, { attempts: 3, backoffMs: 50 });
      expect(ids1).toEqual([orphan.id]);
      expect(ids2).toEqual(ids1);
      await until(async () => (await db.prisma.webhookDelivery.findUnique({ where: { id: orphan.id } }))?.status === 'succeeded');
      expect(rx.received).toHaveLength(1);
      // nothing pending is left without a job, so the sweep finds nothing to do
      expect(await worker.sweep()).toBe(0);
    } finally {
      await rx.close();
    }
  });

  it('the sweeper enqueues an old pending row that has no queue job', async () => {
    const rx = await receiver(() => 200);
    try {
      await db.prisma.webhookEndpoint.deleteMany({ where: { teamId } });
      const ep = await db.prisma.webhookEndpoint.create({ data: { teamId, url: rx.url, secret: 's' } });
      const ev = await db.prisma.alertEvent.create({ data: { teamId, jobId, ruleId, step: ++step, value: 1, state: 'firing' } });
      const fresh = await db.prisma.webhookDelivery.create({ data: { endpointId: ep.id, alertEventId: ev.id } });
      expect(await worker.sweep()).toBe(0); // younger than the grace period: maybe still being enqueued
      await db.prisma.webhookDelivery.update({ where: { id: fresh.id }, data: { createdAt: new Date(Date.now() - 60_000) } });
      expect(await worker.sweep()).toBe(1);
      await until(async () => (await db.prisma.webhookDelivery.findUnique({ where: { id: fresh.id } }))?.status === 'succeeded');
      expect(rx.received).toHaveLength(1);
    } finally {
      await rx.close();
    }
  });

  it('dispatchUndelivered sends stored events that never got deliveries, only to endpoints that existed then', async () => {
    const rx = await receiver(() => 200);
    try {
      await db.prisma.webhookEndpoint.deleteMany({ where: { teamId } });
      const before = await db.prisma.webhookEndpoint.create({ data: { teamId, url: rx.url, secret: 's', createdAt: new Date(Date.now() - 60_000) } });
      const job2 = await db.prisma.job.create({ data: { teamId, name: 'resumed', spec: {} } });
      const ev = await db.prisma.alertEvent.create({ data: { teamId, jobId: job2.id, ruleId, step: 2, value: 1, state: 'firing' } });
      await db.prisma.webhookEndpoint.create({ data: { teamId, url: rx.url, secret: 's', createdAt: new Date(Date.now() + 60_000) } });
      expect(await dispatchUndelivered(db.prisma, queue, job2.id, { attempts: 2, backoffMs: 50 })).toBe(1);
      const rows = await db.prisma.webhookDelivery.findMany({ where: { alertEventId: ev.id } });
      expect(rows.map((r) => r.endpointId)).toEqual([before.id]);
      expect(await dispatchUndelivered(db.prisma, queue, job2.id, { attempts: 2, backoffMs: 50 })).toBe(0);
      await until(async () => (await db.prisma.webhookDelivery.findUnique({ where: { id: rows[0].id } }))?.status === 'succeeded');
    } finally {
      await rx.close();
    }
  });
});
