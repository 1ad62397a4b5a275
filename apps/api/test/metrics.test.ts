import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { encodeJobEvent, jobEventsChannel, type JobDto, type MetricsResponseDto } from '@rimwatch/contracts';
import { REDIS_URL, setup, validSpec, type Harness } from './helpers';

let h: Harness;
let jobId: string;
const KEYS = ['loss.train', 'ras.safety', 'ras.control'];
const STEPS = [0, 10, 20, 30, 40, 50, 60, 70, 80];

beforeAll(async () => {
  h = await setup({ sseHeartbeatMs: 200 });
  const r = await h.app.inject({ method: 'POST', url: '/v1/jobs', headers: h.a.auth, payload: validSpec });
  jobId = r.json<JobDto>().id;
  await h.db.prisma.checkpoint.createMany({ data: STEPS.slice(1).map((step, i) => ({ jobId, step, epoch: i / 8, artifactLocation: `/ckpt/${step}` })) });
  await h.db.prisma.metric.createMany({ data: KEYS.flatMap((key, k) => STEPS.map((step) => ({ jobId, key, step, value: k * 1000 + step }))) });
});
afterAll(async () => {
  await h?.close();
});

const get = (url: string, headers: Record<string, string> = h.a.auth) => h.app.inject({ method: 'GET', url, headers });

describe('GET /v1/jobs/:id/checkpoints', () => {
  it('pages through checkpoints by step', async () => {
    const first = await get(`/v1/jobs/${jobId}/checkpoints?limit=5`);
    expect(first.statusCode).toBe(200);
    expect(first.json().items.map((c: { step: number }) => c.step)).toEqual([10, 20, 30, 40, 50]);
    expect(first.json().items[0]).toMatchObject({ jobId, artifactLocation: '/ckpt/10', epoch: 0 });
    const second = await get(`/v1/jobs/${jobId}/checkpoints?limit=5&cursor=${first.json().nextCursor}`);
    expect(second.json().items.map((c: { step: number }) => c.step)).toEqual([60, 70, 80]);
    expect(second.json().nextCursor).toBeNull();
  });

  it('404 for another team', async () => {
    expect((await get(`/v1/jobs/${jobId}/checkpoints`, h.b.auth)).statusCode).toBe(404);
  });
});

describe('GET /v1/jobs/:id/metrics', () => {
  it('returns each key ordered by step, keys sorted', async () => {
    const r = await get(`/v1/jobs/${jobId}/metrics`);
    expect(r.statusCode).toBe(200);
    const body = r.json<MetricsResponseDto>();
    expect(body.series.map((s) => s.key)).toEqual([...KEYS].sort());
    const safety = body.series.find((s) => s.key === 'ras.safety')!;
    expect(safety.points.map((p) => p.step)).toEqual(STEPS);
    expect(safety.points[2]).toEqual({ step: 20, value: 1020 });
    expect(body.nextPageToken).toBeNull();
  });

  it('filters by keys and sinceStep', async () => {
    const r = await get(`/v1/jobs/${jobId}/metrics?keys=ras.safety,ras.control&sinceStep=60`);
    const body = r.json<MetricsResponseDto>();
    expect(body.series.map((s) => s.key)).toEqual(['ras.control', 'ras.safety']);
    for (const s of body.series) expect(s.points.map((p) => p.step)).toEqual([60, 70, 80]);
    expect((await get(`/v1/jobs/${jobId}/metrics?keys=bad key`)).json().field).toBe('query.keys');
  });

  it('pages with pageToken/maxResults and returns every point exactly once', async () => {
    const points: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const r = await get(`/v1/jobs/${jobId}/metrics?maxResults=7${token ? `&pageToken=${token}` : ''}`);
      const body = r.json<MetricsResponseDto>();
      for (const s of body.series) for (const p of s.points) points.push(`${s.key}@${p.step}`);
      token = body.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(Math.ceil((KEYS.length * STEPS.length) / 7));
    expect(points).toHaveLength(KEYS.length * STEPS.length);
    expect(new Set(points).size).toBe(points.length);
    expect((await get(`/v1/jobs/${jobId}/metrics?pageToken=garbage`)).statusCode).toBe(400);
  });

  it('downsamples to maxPoints evenly spaced points keeping first and last', async () => {
    const body = (await get(`/v1/jobs/${jobId}/metrics?keys=loss.train&maxPoints=3`)).json<MetricsResponseDto>();
    expect(body.series[0].points.map((p) => p.step)).toEqual([0, 40, 80]);
    const five = (await get(`/v1/jobs/${jobId}/metrics?keys=loss.train&maxPoints=5`)).json<MetricsResponseDto>();
    expect(five.series[0].points.map((p) => p.step)).toEqual([0, 20, 40, 60, 80]);
    const all = (await get(`/v1/jobs/${jobId}/metrics?keys=loss.train&maxPoints=100`)).json<MetricsResponseDto>();
    expect(all.series[0].points).toHaveLength(STEPS.length);
    expect((await get(`/v1/jobs/${jobId}/metrics?maxPoints=1`)).json().field).toBe('query.maxPoints');
  });

  it('304 for an unchanged poll, 200 with a new ETag after a new metric, and after an upsert', async () => {
    const first = await get(`/v1/jobs/${jobId}/metrics?keys=ras.safety`);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[^"]+"$/); // strong
    const again = await get(`/v1/jobs/${jobId}/metrics?keys=ras.safety`, { ...h.a.auth, 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);

    await h.db.prisma.metric.create({ data: { jobId, key: 'ras.safety', step: 90, value: 1090 } });
    const changed = await get(`/v1/jobs/${jobId}/metrics?keys=ras.safety`, { ...h.a.auth, 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json<MetricsResponseDto>().series[0].points.at(-1)).toEqual({ step: 90, value: 1090 });

    // a retried checkpoint rewrites a value in place: still a new ETag
    const etag2 = changed.headers.etag as string;
    await new Promise((r) => setTimeout(r, 5));
    await h.db.prisma.metric.update({ where: { jobId_key_step: { jobId, key: 'ras.safety', step: 90 } }, data: { value: 5 } });
    const rewritten = await get(`/v1/jobs/${jobId}/metrics?keys=ras.safety`, { ...h.a.auth, 'if-none-match': etag2 });
    expect(rewritten.statusCode).toBe(200);
    // a different query is a different representation
    expect((await get(`/v1/jobs/${jobId}/metrics?keys=ras.control`)).headers.etag).not.toBe(rewritten.headers.etag);
  });

  it('authenticates the ETag poll like every route (its key lookup shares the version query)', async () => {
    const url = `/v1/jobs/${jobId}/metrics`;
    expect((await get(url, {})).statusCode).toBe(401);
    const wrongSecret = h.a.key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await get(url, { authorization: `Bearer ${wrongSecret}` })).statusCode).toBe(401);
    const { key, prefix, hash } = (await import('@rimwatch/db')).generateApiKey();
    const row = await h.db.prisma.apiKey.create({ data: { teamId: h.a.id, name: 'to-revoke', prefix, hash } });
    expect((await get(url, { authorization: `Bearer ${key}`, 'if-none-match': '*' })).statusCode).toBe(304);
    await h.db.prisma.apiKey.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
    const revoked = await get(url, { authorization: `Bearer ${key}`, 'if-none-match': '*' });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().message).toMatch(/revoked/);
    // bad input: 401 for a bad key first, then the 400 naming the field for a good one
    expect((await get(`/v1/jobs/${jobId}/metrics?maxResults=abc`, { authorization: `Bearer ${wrongSecret}` })).statusCode).toBe(401);
    const bad = await get(`/v1/jobs/${jobId}/metrics?maxResults=abc`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('query.maxResults');
    expect((await get('/v1/jobs/not-a-uuid/metrics')).json().field).toBe('params.id');
  });

  it('404 for another team, also for its ETag poll', async () => {
    const r = await get(`/v1/jobs/${jobId}/metrics`, { ...h.b.auth, 'if-none-match': '*' });
    expect(r.statusCode).toBe(404);
  });
});

describe('GET /v1/jobs/:id/events (SSE)', () => {
  it('streams the current status, then events published on Redis', async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const publisher = new Redis(REDIS_URL);
    let req: http.ClientRequest | undefined;
    try {
      const text = await new Promise<string>((resolve, reject) => {
        req = http.get({ host: '127.0.0.1', port, path: `/v1/jobs/${jobId}/events`, headers: h.a.auth }, (res) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            if (buf.includes('event: status') && !buf.includes('event: checkpoint')) {
              // subscribed (the status event is written after SUBSCRIBE is confirmed): publish now
              void publisher.publish(jobEventsChannel(jobId), encodeJobEvent({ type: 'checkpoint', jobId, at: new Date().toISOString(), step: 10 }));
            }
            if (buf.includes('event: checkpoint') && buf.includes(': keep-alive')) resolve(buf);
          });
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      expect(text).toMatch(/event: status\ndata: \{[^\n]*"status":"queued"/);
      const checkpoint = /event: checkpoint\ndata: (.*)\n\n/.exec(text);
      expect(JSON.parse(checkpoint![1])).toMatchObject({ type: 'checkpoint', jobId, step: 10 });
    } finally {
      req?.destroy();
      publisher.disconnect();
    }
    // the subscription is released when the client goes away
    await new Promise((r) => setTimeout(r, 100));
    expect(h.app.jobEvents.channelCount).toBe(0);
  });

  it('404 for another team', async () => {
    expect((await get(`/v1/jobs/${jobId}/events`, h.b.auth)).statusCode).toBe(404);
  });
});
