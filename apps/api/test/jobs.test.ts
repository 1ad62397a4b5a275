import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createFinetuneQueue } from '@rimwatch/queue';
import { jobEventsChannel, parseJobEvent, type JobDto } from '@rimwatch/contracts';
import { buildApp } from '../src/app';
import { createTeam, REDIS_URL, setup, validSpec, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setup();
});
afterAll(async () => {
  await h?.close();
});

const post = (payload: unknown, headers: Record<string, string> = h.a.auth) => h.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: payload as object });

describe('authentication', () => {
  it('401 without a key, with a malformed key and with an unknown key', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer nope' }, { authorization: 'Bearer rw_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' }]) {
      const r = await h.app.inject({ method: 'GET', url: '/v1/jobs', headers });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('401 with a key whose prefix exists but whose secret is wrong', async () => {
    const wrong = h.a.key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const r = await h.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${wrong}` } });
    expect(r.statusCode).toBe(401);
  });
});

describe('POST /v1/jobs', () => {
  it('201 for the acceptance example, with defaults applied and the job enqueued under its id', async () => {
    const r = await post(validSpec);
    expect(r.statusCode).toBe(201);
    const job = r.json<JobDto>();
    expect(job).toMatchObject({ name: 'x', status: 'queued', progress: null, error: null });
    expect(job.spec.training.learningRate).toBe(3e-4);
    expect(r.headers.location).toBe(`/v1/jobs/${job.id}`);
    const queued = await h.app.finetuneQueue.getJob(job.id);
    expect(queued?.data).toEqual({ jobId: job.id, teamId: h.a.id });
    expect(await h.db.prisma.job.count({ where: { id: job.id, teamId: h.a.id } })).toBe(1);
  });

  it('400 naming training.learningRate for a negative learning rate (acceptance example)', async () => {
    const r = await post({ ...validSpec, training: { learningRate: -1 } });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toMatch(/training\.learningRate$/);
    expect(r.json().error).toBe('validation_failed');
  });

  it.each([
    ['model', { datasets: { train: 'builtin:base-mix' } }, 'spec.model'],
    ['dataset', { ...validSpec, datasets: { train: 'builtin:missing' } }, 'spec.datasets.train'],
    ['training range', { ...validSpec, training: { warmupRatio: 1.5 } }, 'spec.training.warmupRatio'],
    ['checkpoint interval', { ...validSpec, checkpoints: { everySteps: 0 } }, 'spec.checkpoints.everySteps'],
    ['neuron selection', { ...validSpec, monitor: { topM: -3 } }, 'spec.monitor.topM'],
    ['alert rule', { ...validSpec, alerts: [{ metric: 'ras.safety', comparator: 'gt', threshold: 'high' }] }, 'spec.alerts[0].threshold'],
    ['unknown field', { ...validSpec, trainig: {} }, 'spec.trainig'],
  ])('400 for a bad %s', async (_label, body, field) => {
    const r = await post(body);
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe(field);
    expect(await h.db.prisma.job.count({ where: { name: 'never' } })).toBe(0);
  });

  it('400 for invalid JSON and for a non-object body', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...h.a.auth, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('invalid_json');
    const arr = await post([1, 2]);
    expect(arr.statusCode).toBe(400);
    expect(arr.json().field).toBe('spec');
  });

  it('413 for a spec body over the route limit', async () => {
    const r = await post({ ...validSpec, name: 'x'.repeat(300 * 1024) });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toBe('payload_too_large');
  });

  it('checks that an uploaded dataset id exists in the caller team', async () => {
    const r = await post({ ...validSpec, datasets: { train: randomUUID() } });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('spec.datasets.train');
    expect(r.json().message).toMatch(/does not exist/);
  });

  it('honours Idempotency-Key: same spec replays, another spec conflicts, another team is separate', async () => {
    const key = `idem-${randomUUID()}`;
    const first = await post({ ...validSpec, name: 'idem' }, { ...h.a.auth, 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    const again = await post({ ...validSpec, name: 'idem' }, { ...h.a.auth, 'idempotency-key': key });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await post({ ...validSpec, name: 'different' }, { ...h.a.auth, 'idempotency-key': key });
    expect(other.statusCode).toBe(409);
    expect(other.json().field).toBe('headers.idempotency-key');
    const teamB = await post({ ...validSpec, name: 'idem' }, { ...h.b.auth, 'idempotency-key': key });
    expect(teamB.statusCode).toBe(201);
    expect(teamB.json().id).not.toBe(first.json().id);
    expect(await h.db.prisma.job.count({ where: { idempotencyKey: key } })).toBe(2);
  });

  it('concurrent requests with one Idempotency-Key create one job', async () => {
    const key = `race-${randomUUID()}`;
    const rs = await Promise.all(Array.from({ length: 5 }, () => post({ ...validSpec, name: 'race' }, { ...h.a.auth, 'idempotency-key': key })));
    expect(new Set(rs.map((r) => r.json().id)).size).toBe(1);
    expect(rs.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(await h.db.prisma.job.count({ where: { idempotencyKey: key } })).toBe(1);
  });

  it('a failing enqueue answers 503 and leaves no job row', async () => {
    // a real BullMQ queue whose Redis is not there
    const deadQueue = createFinetuneQueue('redis://127.0.0.1:1', { prefix: h.queuePrefix, redis: { connectTimeout: 200, disconnectTimeout: 50, retryStrategy: () => null } });
    const app = await buildApp({ databaseUrl: h.db.url, redisUrl: REDIS_URL, prisma: h.db.prisma, finetuneQueue: deadQueue, rateLimit: false });
    try {
      const before = await h.db.prisma.job.count();
      const r = await app.inject({ method: 'POST', url: '/v1/jobs', headers: h.a.auth, payload: { ...validSpec, name: 'orphan?' } });
      expect(r.statusCode).toBe(503);
      expect(r.json().error).toBe('queue_unavailable');
      expect(await h.db.prisma.job.count()).toBe(before);
      expect(await h.db.prisma.job.count({ where: { name: 'orphan?' } })).toBe(0);
    } finally {
      await app.close();
      await deadQueue.close().catch(() => {});
    }
  });
});

describe('GET /v1/jobs and /v1/jobs/:id', () => {
  let team: Awaited<ReturnType<typeof createTeam>>;
  const ids: string[] = [];
  beforeAll(async () => {
    team = await createTeam(h.db.prisma, 'lister');
    for (let i = 0; i < 5; i++) {
      const r = await post({ ...validSpec, name: `job-${i}` }, team.auth);
      ids.push(r.json().id);
    }
    await h.db.prisma.job.update({ where: { id: ids[1] }, data: { status: 'running' } });
  });

  it('paginates newest first with a cursor, across all pages exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { statusCode: number; json(): { items: JobDto[]; nextCursor: string | null } } = await h.app.inject({ method: 'GET', url: `/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: team.auth });
      expect(r.statusCode).toBe(200);
      const body: { items: JobDto[]; nextCursor: string | null } = r.json();
      seen.push(...body.items.map((j: JobDto) => j.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/jobs?status=running', headers: team.auth });
    expect(r.json().items.map((j: JobDto) => j.id)).toEqual([ids[1]]);
    const bad = await h.app.inject({ method: 'GET', url: '/v1/jobs?status=exploded', headers: team.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('query.status');
  });

  it('400 for a forged cursor', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/jobs?cursor=abc', headers: team.auth });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('query.cursor');
  });

  it('gets a job; another team gets 404', async () => {
    const mine = await h.app.inject({ method: 'GET', url: `/v1/jobs/${ids[0]}`, headers: team.auth });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().name).toBe('job-0');
    const theirs = await h.app.inject({ method: 'GET', url: `/v1/jobs/${ids[0]}`, headers: h.b.auth });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toEqual({ error: 'not_found', message: 'job not found' });
    const none = await h.app.inject({ method: 'GET', url: `/v1/jobs/${randomUUID()}`, headers: team.auth });
    expect(none.statusCode).toBe(404);
    const list = await h.app.inject({ method: 'GET', url: '/v1/jobs', headers: h.b.auth });
    expect(list.json().items.map((j: JobDto) => j.id)).not.toContain(ids[0]);
  });
});

describe('POST /v1/jobs/:id/cancel', () => {
  it('cancels a queued job: status, queue entry removed, status event published; then 409', async () => {
    const job = (await post({ ...validSpec, name: 'to-cancel' })).json<JobDto>();
    expect(await h.app.finetuneQueue.getJob(job.id)).toBeDefined();
    const sub = new Redis(REDIS_URL);
    const got = new Promise<string>((resolve) => sub.on('message', (_c, m) => resolve(m)));
    await sub.subscribe(jobEventsChannel(job.id));
    try {
      const theirs = await h.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: h.b.auth });
      expect(theirs.statusCode).toBe(404);
      const r = await h.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: h.a.auth });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ status: 'cancelled' });
      expect(r.json().finishedAt).not.toBeNull();
      expect(parseJobEvent(await got)).toMatchObject({ type: 'status', jobId: job.id, status: 'cancelled' });
      expect(await h.app.finetuneQueue.getJob(job.id)).toBeUndefined();
      const again = await h.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: h.a.auth });
      expect(again.statusCode).toBe(409);
    } finally {
      sub.disconnect();
    }
  });
});

describe('rate limiting', () => {
  it('429 per API key once its budget is spent; another key is unaffected', async () => {
    const app = await buildApp({ databaseUrl: h.db.url, redisUrl: REDIS_URL, prisma: h.db.prisma, queuePrefix: h.queuePrefix, rateLimit: { max: 3, timeWindow: 60_000 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'GET', url: '/v1/jobs', headers: h.a.auth })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const limited = await app.inject({ method: 'GET', url: '/v1/jobs', headers: h.a.auth });
      expect(limited.json().error).toBe('rate_limited');
      expect((await app.inject({ method: 'GET', url: '/v1/jobs', headers: h.b.auth })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('with the Redis store, replicas share one budget per key', async () => {
    const opts = { databaseUrl: h.db.url, redisUrl: REDIS_URL, prisma: h.db.prisma, queuePrefix: h.queuePrefix, rateLimit: { max: 3, timeWindow: 60_000, store: 'redis' as const } };
    const [one, two] = [await buildApp(opts), await buildApp(opts)];
    try {
      const codes: number[] = [];
      for (const app of [one, two, one, two]) codes.push((await app.inject({ method: 'GET', url: '/v1/jobs', headers: h.a.auth })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      expect((await two.inject({ method: 'GET', url: '/v1/jobs', headers: h.b.auth })).statusCode).toBe(200);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
