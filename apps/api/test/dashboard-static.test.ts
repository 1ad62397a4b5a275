import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import dashboardRoutes from '../src/routes/dashboard';
import { setup, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setup();
});
afterAll(async () => {
  await h?.close();
});

describe('dashboard at /', () => {
  it('serves the page and its bundle without auth, with a same-origin CSP', async () => {
    // browsers always send Accept-Encoding (a 404 here once hid behind passing tests)
    const page = await h.app.inject({ method: 'GET', url: '/', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<script defer src="app.js"></script>');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    // no third-party origin anywhere: the dashboard must work air-gapped
    expect(page.body).not.toMatch(/https?:\/\//);
    const js = await h.app.inject({ method: 'GET', url: '/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('no-cache');
    expect(Number(js.headers['content-length'] ?? js.rawPayload.length)).toBeGreaterThan(100_000);
  });

  it('sends the pre-compressed bundle to browsers that accept brotli', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/app.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers.vary).toMatch(/accept-encoding/i);
  });

  it('leaves unknown paths to the JSON 404 and /v1 to the API', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/nope.js' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toBeDefined();
    expect((await h.app.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(401);
  });

  it('builds the bundle on demand when the directory has none', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'rimwatch-dash-'));
    const dir = join(parent, 'dist');
    const app = Fastify();
    try {
      await app.register(dashboardRoutes, { distDir: dir });
      await app.ready();
      expect(await readdir(dir)).toEqual(expect.arrayContaining(['index.html', 'app.js', 'app.css']));
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});
