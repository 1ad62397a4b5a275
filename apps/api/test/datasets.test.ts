import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetDto } from '@rimwatch/contracts';
import { setup, validSpec, type Harness } from './helpers';

let h: Harness;
const LIMIT = 64 * 1024;
beforeAll(async () => {
  h = await setup({ maxUploadBytes: LIMIT });
});
afterAll(async () => {
  await h?.close();
});

const chatRows = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `What is ${i} + 1?`, think: `${i} plus one`, response: `The answer is ${i + 1}.` })).join('\n') + '\n';
const upload = (body: string, query = 'name=mine&kind=chat', headers: Record<string, string> = h.a.auth) =>
  h.app.inject({ method: 'POST', url: `/v1/datasets?${query}`, headers: { ...headers, 'content-type': 'application/x-ndjson' }, payload: body });

describe('POST /v1/datasets', () => {
  it('stores a valid JSONL file and records rows, checksum and location', async () => {
    const body = chatRows(25);
    const r = await upload(body);
    expect(r.statusCode).toBe(201);
    const ds = r.json<DatasetDto>();
    expect(ds).toMatchObject({ name: 'mine', kind: 'chat', rowCount: 25, sizeBytes: Buffer.byteLength(body) });
    expect(ds.checksum).toBe(createHash('sha256').update(body).digest('hex'));
    const row = await h.db.prisma.dataset.findUniqueOrThrow({ where: { id: ds.id } });
    expect(row.storageLocation.startsWith(h.dataDir)).toBe(true);
    expect(await readFile(row.storageLocation, 'utf8')).toBe(body);
  });

  it('400 naming the first bad row (line number and field), nothing stored', async () => {
    const lines = chatRows(4).trimEnd().split('\n');
    lines.splice(2, 0, JSON.stringify({ prompt: 'no response' }));
    const r = await upload(lines.join('\n'));
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'validation_failed', field: 'rows[3].response' });
    expect(r.json().message).toMatch(/^row 3: response is required/);
    const bad = await upload('{"prompt":"a","response":"b"}\n{not json\n');
    expect(bad.json().field).toBe('rows[2]');
    expect(bad.json().message).toMatch(/row 2 is not valid JSON/);
    const wrongKind = await upload(chatRows(2), 'name=x&kind=safety-pair');
    expect(wrongKind.json().field).toBe('rows[1].id');
    expect(await h.db.prisma.dataset.count({ where: { name: { not: 'mine' } } })).toBe(0);
    const files = await readdir(join(h.dataDir, 'datasets', h.a.id));
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('400 for a missing name, an unknown kind, and an empty file', async () => {
    expect((await upload(chatRows(1), 'kind=chat')).json().field).toBe('query.name');
    expect((await upload(chatRows(1), 'name=x&kind=pdf')).json().field).toBe('query.kind');
    const empty = await upload('\n\n');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toMatch(/no rows/);
  });

  it('415 for a JSON (non-JSONL) body', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/v1/datasets?name=x&kind=chat', headers: h.a.auth, payload: { prompt: 'a' } });
    expect(r.statusCode).toBe(415);
  });

  it('413 for an oversized upload, by Content-Length and when streamed without one', async () => {
    const big = chatRows(2000);
    expect(Buffer.byteLength(big)).toBeGreaterThan(LIMIT);
    const r = await upload(big);
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toBe('payload_too_large');

    // chunked transfer: the limit is enforced while streaming
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/datasets?name=chunked&kind=chat', headers: { ...h.a.auth, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = chatRows(50);
      let sent = 0;
      const pump = () => {
        while (sent < LIMIT * 2) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status.code).toBe(413);
    expect(JSON.parse(status.body).error).toBe('payload_too_large');
    expect(await h.db.prisma.dataset.count({ where: { name: 'chunked' } })).toBe(0);
  });
});

describe('GET /v1/datasets', () => {
  it('lists and gets the team datasets; other teams get 404', async () => {
    const created = (await upload(chatRows(3), 'name=listed&kind=chat')).json<DatasetDto>();
    const list = await h.app.inject({ method: 'GET', url: '/v1/datasets?limit=1', headers: h.a.auth });
    expect(list.json().items.map((d: DatasetDto) => d.id)).toEqual([created.id]);
    expect(list.json().nextCursor).not.toBeNull();
    const page2 = await h.app.inject({ method: 'GET', url: `/v1/datasets?cursor=${list.json().nextCursor}`, headers: h.a.auth });
    expect(page2.json().items.map((d: DatasetDto) => d.name)).toEqual(['mine']);
    expect((await h.app.inject({ method: 'GET', url: `/v1/datasets/${created.id}`, headers: h.a.auth })).json()).toEqual(created);
    expect((await h.app.inject({ method: 'GET', url: `/v1/datasets/${created.id}`, headers: h.b.auth })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/v1/datasets', headers: h.b.auth })).json().items).toEqual([]);
  });

  it('an uploaded dataset can be used by a job of its team, with the right kind only', async () => {
    const chat = (await upload(chatRows(3), 'name=train&kind=chat')).json<DatasetDto>();
    const ok = await h.app.inject({ method: 'POST', url: '/v1/jobs', headers: h.a.auth, payload: { ...validSpec, datasets: { train: chat.id } } });
    expect(ok.statusCode).toBe(201);
    const wrongSlot = await h.app.inject({ method: 'POST', url: '/v1/jobs', headers: h.a.auth, payload: { ...validSpec, datasets: { ...validSpec.datasets, reasoningProbes: chat.id } } });
    expect(wrongSlot.statusCode).toBe(400);
    expect(wrongSlot.json().field).toBe('spec.datasets.reasoningProbes');
    const otherTeam = await h.app.inject({ method: 'POST', url: '/v1/jobs', headers: h.b.auth, payload: { ...validSpec, datasets: { train: chat.id } } });
    expect(otherTeam.statusCode).toBe(400);
    expect(otherTeam.json().field).toBe('spec.datasets.train');
  });
});
