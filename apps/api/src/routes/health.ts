/** Liveness, readiness (Postgres and Redis answer) and Prometheus metrics; no authentication. */
import { once } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { HealthSchema, ReadySchema } from '@rimwatch/contracts';

const PROBE_TIMEOUT_MS = 1_500;

async function probe(fn: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS)))]);
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

const healthRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, opts) => {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'], response: { 200: HealthSchema } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { summary: 'Postgres and Redis are reachable (503 otherwise)', tags: ['health'], response: { 200: ReadySchema, 503: ReadySchema } } }, async (_req, reply) => {
    const [postgres, redis] = await Promise.all([probe(() => app.prisma.$queryRaw`SELECT 1`), probe(async () => {
      // just after start-up (or a reconnect) the connection may still be coming up
      if (app.redis.status !== 'ready') await once(app.redis, 'ready');
      return app.redis.ping();
    })]);
    const ready = postgres === 'ok' && redis === 'ok';
    reply.code(ready ? 200 : 503);
    return { status: ready ? ('ready' as const) : ('unavailable' as const), checks: { postgres, redis } };
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['health'], hide: false } }, async (_req, reply) => {
    reply.header('content-type', opts.registry.contentType);
    return opts.registry.metrics();
  });
};

export default healthRoutes;
