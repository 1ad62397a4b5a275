/** /v1/webhooks, /v1/alert-rules, /v1/alerts and /v1/jobs/:id/alerts against real Postgres and Redis. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { buildApp } from '@rimwatch/api';
import { createTeam, REDIS_URL, type Team } from './helpers';

describe('alert and webhook API', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let a: Team;
  let b: Team;
  const saved = process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS;

  beforeAll(async () => {
    delete process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS;
    db = await createTestDatabase();
    app = await buildApp({ databaseUrl: db.url, redisUrl: REDIS_URL, prisma: db.prisma, queuePrefix: `rwtest-${randomUUID()}`, rateLimit: false });
    await app.ready();
    a = await createTeam(db.prisma, 'a');
    b = await createTeam(db.prisma, 'b');
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS;
    else process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS = saved;
    await app?.close();
    await db?.drop();
  });

  const req = (t: Team, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

  describe('/v1/webhooks', () => {
    it('creates an endpoint, returns the secret once, lists and deletes it; other teams get 404', async () => {
      const res = await req(a, 'POST', '/v1/webhooks', { url: 'https://hooks.example.com/rimwatch' });
      expect(res.statusCode).toBe(201);
      const created = res.json();
      expect(created).toMatchObject({ url: 'https://hooks.example.com/rimwatch', enabled: true });
      expect(created.secret).toMatch(/^whsec_/);
      const own = await req(a, 'POST', '/v1/webhooks', { url: 'https://hooks.example.com/2', secret: 'a-very-long-secret-value' });
      expect(own.json().secret).toBe('a-very-long-secret-value');

      const list = await req(a, 'GET', '/v1/webhooks');
      expect(list.json().items.map((w: { id: string }) => w.id)).toEqual([created.id, own.json().id]);
      expect(JSON.stringify(list.json())).not.toContain('secret');
      expect((await req(b, 'GET', '/v1/webhooks')).json().items).toEqual([]);

      expect((await req(b, 'DELETE', `/v1/webhooks/${created.id}`)).statusCode).toBe(404);
      expect((await req(b, 'GET', `/v1/webhooks/${created.id}/deliveries`)).statusCode).toBe(404);
      expect((await req(a, 'DELETE', `/v1/webhooks/${created.id}`)).statusCode).toBe(204);
      expect((await req(a, 'DELETE', `/v1/webhooks/${created.id}`)).statusCode).toBe(404);
      const bad = await req(a, 'DELETE', '/v1/webhooks/not-a-uuid');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().field).toBe('params.id');
    });

    it.each([
      [{ url: 'http://127.0.0.1:8080/hook' }, 'body.url', /private or loopback/],
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 'body.url', /private or loopback/],
      [{ url: 'http://localhost/hook' }, 'body.url', /local host name/],
      [{ url: 'ftp://example.com/x' }, 'body.url', /http or https/],
      [{ url: 'nonsense' }, 'body.url', /not a valid URL/],
      [{}, 'body.url', /required/],
      [{ url: 'https://example.com/x', secret: 'short' }, 'body.secret', /.+/],
      [{ url: 'https://example.com/x', extra: 1 }, 'body.extra', /not a known field/],
    ])('400 naming the field for %j', async (payload, field, message) => {
      const res = await req(a, 'POST', '/v1/webhooks', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().field).toBe(field);
      expect(res.json().message).toMatch(message);
    });

    it('accepts private URLs when RIMWATCH_ALLOW_PRIVATE_WEBHOOKS=1', async () => {
      process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS = '1';
      try {
        expect((await req(a, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/x' })).statusCode).toBe(201);
      } finally {
        delete process.env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS;
      }
    });
  });

  describe('/v1/alert-rules', () => {
    it('creates, lists and deletes team-wide rules; another team sees none', async () => {
      const res = await req(a, 'POST', '/v1/alert-rules', { metric: 'ras_ratio', comparator: 'gt', threshold: 5, window: 2 });
      expect(res.statusCode).toBe(201);
      const rule = res.json();
      expect(rule).toMatchObject({ name: 'ras_ratio gt 5', metric: 'ras_ratio', comparator: 'gt', threshold: 5, mode: 'absolute', window: 2, cooldownSteps: 0 });
      const row = await db.prisma.alertRule.findUniqueOrThrow({ where: { id: rule.id } });
      expect(row).toMatchObject({ jobId: null, source: 'user', teamId: a.id });

      expect((await req(a, 'GET', '/v1/alert-rules')).json().items.map((r: { id: string }) => r.id)).toEqual([rule.id]);
      expect((await req(b, 'GET', '/v1/alert-rules')).json().items).toEqual([]);
      expect((await req(b, 'DELETE', `/v1/alert-rules/${rule.id}`)).statusCode).toBe(404);
      expect((await req(a, 'DELETE', `/v1/alert-rules/${rule.id}`)).statusCode).toBe(204);
      expect((await req(a, 'GET', '/v1/alert-rules')).json().items).toEqual([]);
      expect((await req(a, 'DELETE', `/v1/alert-rules/${rule.id}`)).statusCode).toBe(404);
    });

    it.each([
      [{ comparator: 'gt', threshold: 1 }, 'body.metric'],
      [{ metric: 'bad key!', comparator: 'gt', threshold: 1 }, 'body.metric'],
      [{ metric: 'ras_ratio', comparator: 'above', threshold: 1 }, 'body.comparator'],
      [{ metric: 'ras_ratio', comparator: 'gt', threshold: 'x' }, 'body.threshold'],
      [{ metric: 'ras_ratio', comparator: 'gt', threshold: 1, mode: 'relative' }, 'body.mode'],
      [{ metric: 'ras_ratio', comparator: 'gt', threshold: 1, window: 0 }, 'body.window'],
    ])('400 naming the field for %j', async (payload, field) => {
      const res = await req(a, 'POST', '/v1/alert-rules', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().field).toBe(field);
    });
  });

  describe('alert events', () => {
    it('lists the team\'s events newest first with pagination, per job, scoped to the team', async () => {
      const job = await db.prisma.job.create({ data: { teamId: a.id, name: 'j', spec: {} } });
      const otherJob = await db.prisma.job.create({ data: { teamId: a.id, name: 'k', spec: {} } });
      const rule = await db.prisma.alertRule.create({ data: { teamId: a.id, jobId: job.id, source: 'default', name: 'misalignment up', metricKey: 'misalignment_rate', comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase' } });
      const base = Date.now() - 10_000;
      for (let i = 0; i < 5; i++) {
        await db.prisma.alertEvent.create({ data: { teamId: a.id, jobId: i < 3 ? job.id : otherJob.id, ruleId: rule.id, step: i * 2, value: 0.2 + i, state: i % 2 ? 'resolved' : 'firing', createdAt: new Date(base + i * 1000) } });
      }
      const p1 = await req(a, 'GET', '/v1/alerts?limit=2');
      expect(p1.statusCode).toBe(200);
      expect(p1.json().items.map((e: { step: number }) => e.step)).toEqual([8, 6]);
      expect(p1.json().items[0]).toMatchObject({ jobId: otherJob.id, ruleId: rule.id, rule: { name: 'misalignment up', metric: 'misalignment_rate', mode: 'deltaFromBase', source: 'default' }, value: 4.2, state: 'firing' });
      const p2 = await req(a, 'GET', `/v1/alerts?limit=2&cursor=${p1.json().nextCursor}`);
      const p3 = await req(a, 'GET', `/v1/alerts?limit=2&cursor=${p2.json().nextCursor}`);
      expect(p2.json().items.map((e: { step: number }) => e.step)).toEqual([4, 2]);
      expect(p3.json().items.map((e: { step: number }) => e.step)).toEqual([0]);
      expect(p3.json().nextCursor).toBeNull();

      const perJob = await req(a, 'GET', `/v1/jobs/${job.id}/alerts`);
      expect(perJob.json().items.map((e: { step: number }) => e.step)).toEqual([4, 2, 0]);

      expect((await req(b, 'GET', '/v1/alerts')).json().items).toEqual([]);
      expect((await req(b, 'GET', `/v1/jobs/${job.id}/alerts`)).statusCode).toBe(404);
      const bad = await req(a, 'GET', '/v1/alerts?cursor=zzz');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().field).toBe('query.cursor');
    });
  });
});
