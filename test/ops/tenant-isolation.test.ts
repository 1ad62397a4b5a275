/**
 * Tenant isolation across every endpoint. The route list is read from the running app
 * (`printRoutes`), not written down here, so a route added later is covered automatically: every
 * /v1 route with an `:id` parameter must answer 404 to another team's API key for a resource that
 * exists, and a route whose resource kind has no fixture below fails this test until one is added.
 */
import type { FastifyInstance } from 'fastify';
import { generateApiKey, type PrismaClient } from '@rimwatch/db';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { buildApp } from '@rimwatch/api';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** (method, full path) pairs from Fastify's route tree printout */
export function routesFromTree(tree: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: Array<{ depth: number; path: string }> = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)(?:└── |├── )(.+?) \(([A-Z, ]+)\)$/.exec(line) ?? /^(.*?)(?:└── |├── )(.+)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length;
    while (stack.length && stack.at(-1)!.depth >= depth) stack.pop();
    const path = (stack.at(-1)?.path ?? '') + m[2];
    stack.push({ depth, path });
    if (m[3]) for (const method of m[3].split(', ')) out.push({ method, path: path.replace(/^\/\//, '/') });
  }
  return out;
}

async function team(prisma: PrismaClient, name: string) {
  const t = await prisma.team.create({ data: { name } });
  const { key, prefix, hash } = generateApiKey();
  const k = await prisma.apiKey.create({ data: { teamId: t.id, name, prefix, hash } });
  return { id: t.id, keyId: k.id, auth: { authorization: `Bearer ${key}` } };
}

describe('tenant isolation (generated from the registered routes)', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildApp({ databaseUrl: db.url, redisUrl: REDIS_URL, prisma: db.prisma, queuePrefix: `rwtenant-${process.pid}`, rateLimit: false });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('parses the route tree into full paths', () => {
    const routes = routesFromTree('└── / (GET)\n    ├── v1/jobs (POST, GET)\n    │   └── /:id (GET)\n    │       └── /cancel (POST)\n    └── healthz (GET)\n');
    expect(routes).toEqual([
      { method: 'GET', path: '/' },
      { method: 'POST', path: '/v1/jobs' },
      { method: 'GET', path: '/v1/jobs' },
      { method: 'GET', path: '/v1/jobs/:id' },
      { method: 'POST', path: '/v1/jobs/:id/cancel' },
      { method: 'GET', path: '/healthz' },
    ]);
  });

  it("every /v1 route with :id answers 404 to another team's key", async () => {
    const owner = await team(db.prisma, 'owner');
    const intruder = await team(db.prisma, 'intruder');
    const p = db.prisma;
    // one resource of each kind, owned by `owner`, created directly so the fixtures do not depend on
    // the routes under test
    const job = await p.job.create({ data: { teamId: owner.id, name: 'secret job', spec: {}, status: 'running' } });
    const fixtures: Record<string, string> = {
      jobs: job.id,
      datasets: (await p.dataset.create({ data: { teamId: owner.id, name: 'd', kind: 'chat', rowCount: 1, checksum: '0'.repeat(64), storageLocation: '/nonexistent' } })).id,
      keys: owner.keyId,
      'alert-rules': (await p.alertRule.create({ data: { teamId: owner.id, metricKey: 'ras.safety', comparator: 'gt', threshold: 1 } })).id,
      webhooks: (await p.webhookEndpoint.create({ data: { teamId: owner.id, url: 'https://example.com/hook', secret: 's' } })).id,
    };

    const routes = routesFromTree(app.printRoutes({ commonPrefix: false })).filter((r) => r.path.startsWith('/v1/') && r.path.includes(':id') && r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(8); // the tree was parsed, not silently empty
    const results: string[] = [];
    for (const r of routes) {
      const kind = r.path.split('/')[2];
      const id = fixtures[kind];
      if (!id) {
        results.push(`${r.method} ${r.path}: no fixture for resource kind "${kind}" — add one to this test`);
        continue;
      }
      const url = r.path.replace(':id', id);
      const withBody = r.method !== 'GET' && r.method !== 'DELETE';
      const res = await app.inject({ method: r.method as 'GET', url, headers: withBody ? { ...intruder.auth, 'content-type': 'application/json' } : intruder.auth, payload: withBody ? '{}' : undefined });
      if (res.statusCode !== 404) results.push(`${r.method} ${r.path}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(results).toEqual([]);

    // list routes (no :id) never show another team's resources
    const lists = routesFromTree(app.printRoutes({ commonPrefix: false })).filter((r) => r.path.startsWith('/v1/') && !r.path.includes(':') && r.method === 'GET');
    expect(lists.length).toBeGreaterThanOrEqual(5);
    for (const r of lists) {
      const res = await app.inject({ method: 'GET', url: r.path, headers: intruder.auth });
      const leaked = Object.entries(fixtures).filter(([, id]) => res.body.includes(id));
      expect({ route: r.path, status: res.statusCode, leaked }).toEqual({ route: r.path, status: 200, leaked: [] });
    }

    // nothing was changed by the intruder's requests
    expect((await p.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('running');
    expect(await p.apiKey.count({ where: { id: owner.keyId, revokedAt: null } })).toBe(1);
    expect(await p.alertRule.count({ where: { id: fixtures['alert-rules'] } })).toBe(1);
    expect(await p.webhookEndpoint.count({ where: { id: fixtures.webhooks } })).toBe(1);
    // and the owner does see them (the 404s are about ownership, not bad fixtures)
    const own = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: owner.auth });
    expect(own.statusCode).toBe(200);
  });
});
