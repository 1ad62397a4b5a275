import { PassThrough } from 'node:stream';
import type { ApiKeyDto, CreatedApiKeyDto } from '@rimwatch/contracts';
import { buildApp } from '../src/app';
import { REDIS_URL, setup, validSpec, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setup();
});
afterAll(async () => {
  await h?.close();
});

describe('health', () => {
  it('/healthz and /readyz answer 200 when Postgres and Redis are up', async () => {
    expect((await h.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('/readyz is 503 when Redis is unreachable, and /healthz stays 200', async () => {
    const app = await buildApp({ databaseUrl: h.db.url, redisUrl: 'redis://127.0.0.1:1', prisma: h.db.prisma, rateLimit: false });
    try {
      const r = await app.inject('/readyz');
      expect(r.statusCode).toBe(503);
      expect(r.json().status).toBe('unavailable');
      expect(r.json().checks.postgres).toBe('ok');
      expect(r.json().checks.redis).toMatch(/^error/);
      expect((await app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('/readyz is 503 when Postgres is unreachable', async () => {
    const app = await buildApp({ databaseUrl: 'postgresql://postgres@127.0.0.1:1/none', redisUrl: REDIS_URL, queuePrefix: h.queuePrefix, rateLimit: false });
    try {
      const r = await app.inject('/readyz');
      expect(r.statusCode).toBe(503);
      expect(r.json().checks.postgres).toMatch(/^error/);
      expect(r.json().checks.redis).toBe('ok');
    } finally {
      await app.close();
    }
  });

  it('/metrics exposes Prometheus request metrics', async () => {
    await h.app.inject({ method: 'GET', url: '/v1/jobs', headers: h.a.auth });
    const r = await h.app.inject('/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    expect(r.body).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/v1\/jobs",status_code="200"\} \d+/);
    expect(r.body).toMatch(/process_cpu_user_seconds_total/);
  });
});

describe('docs', () => {
  it('/openapi.json is generated from the contract schemas', async () => {
    const doc = (await h.app.inject('/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel', '/v1/jobs/{id}/checkpoints', '/v1/jobs/{id}/metrics', '/v1/jobs/{id}/events', '/v1/datasets', '/v1/datasets/{id}', '/v1/keys', '/v1/keys/{id}', '/healthz', '/readyz']) {
      expect(doc.paths).toHaveProperty([p]);
    }
    const body = doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['model', 'datasets']);
    expect(body.properties.training.properties.learningRate).toMatchObject({ exclusiveMinimum: 0, maximum: 1, default: 3e-4 });
    expect(doc.paths['/v1/jobs'].post.responses['400'].content['application/json'].schema.required).toEqual(['error', 'message']);
  });

  it('/docs serves Swagger UI', async () => {
    const r = await h.app.inject('/docs/');
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/swagger/i);
  });

  it('unknown routes get the error shape', async () => {
    const r = await h.app.inject('/v2/nothing');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('API keys', () => {
  it('lists, creates and revokes keys; a revoked key is rejected at once', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: h.a.auth, payload: { name: 'ci' } });
    expect(created.statusCode).toBe(201);
    const key = created.json<CreatedApiKeyDto>();
    expect(key.key).toMatch(new RegExp(`^rw_${key.prefix}_`));
    const stored = await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(stored.hash).not.toContain(key.key);

    const list = await h.app.inject({ method: 'GET', url: '/v1/keys', headers: h.a.auth });
    const items = list.json().items as ApiKeyDto[];
    expect(items.map((k) => k.name)).toEqual(['first', 'ci']);
    expect(JSON.stringify(list.json())).not.toContain(key.key);
    expect((await h.app.inject({ method: 'GET', url: '/v1/keys', headers: h.b.auth })).json().items.map((k: ApiKeyDto) => k.id)).not.toContain(key.id);

    const newAuth = { authorization: `Bearer ${key.key}` };
    expect((await h.app.inject({ method: 'GET', url: '/v1/jobs', headers: newAuth })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: h.b.auth })).statusCode).toBe(404);
    const revoked = await h.app.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: h.a.auth });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    const after = await h.app.inject({ method: 'GET', url: '/v1/jobs', headers: newAuth });
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toMatch(/revoked/);
    // the other key of the team still works
    expect((await h.app.inject({ method: 'GET', url: '/v1/jobs', headers: h.a.auth })).statusCode).toBe(200);
  });

  it('400 for a key without a name', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: h.a.auth, payload: {} });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('body.name');
  });
});

describe('logging', () => {
  it('request logs never contain the API key or the idempotency key', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (c) => (out += c));
    const app = await buildApp({ databaseUrl: h.db.url, redisUrl: REDIS_URL, prisma: h.db.prisma, queuePrefix: h.queuePrefix, rateLimit: false, logger: { level: 'info', stream } });
    try {
      await app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...h.a.auth, 'idempotency-key': 'secret-idem-123' }, payload: validSpec });
      await app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${h.a.key}x` } });
    } finally {
      await app.close();
    }
    expect(out).toMatch(/"url":"\/v1\/jobs"/);
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(h.a.key);
    expect(out).not.toContain('secret-idem-123');
  });
});

describe('Redis down', () => {
  it('SSE answers 503 instead of hanging, and job submission 503 leaves no row', async () => {
    const app = await buildApp({ databaseUrl: h.db.url, redisUrl: 'redis://127.0.0.1:1', prisma: h.db.prisma, rateLimit: false });
    try {
      const before = await h.db.prisma.job.count();
      const submit = await app.inject({ method: 'POST', url: '/v1/jobs', headers: h.a.auth, payload: validSpec });
      expect(submit.statusCode).toBe(503);
      expect(await h.db.prisma.job.count()).toBe(before);
      const job = await h.db.prisma.job.create({ data: { teamId: h.a.id, name: 'sse', spec: {} } });
      const sse = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/events`, headers: h.a.auth });
      expect(sse.statusCode).toBe(503);
      expect(sse.json().error).toBe('service_unavailable');
      // reads need no Redis; a stored spec of another shape (older version) still serialises
      const read = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: h.a.auth });
      expect(read.statusCode).toBe(200);
      expect(read.json().spec).toEqual({});
    } finally {
      await app.close();
    }
  });
});
