/**
 * The rimwatch REST API as a Fastify app, assembled from encapsulated plugins:
 *   db, redis (decorators, app-wide) · health routes (no auth) · /v1 scope: rate limit → auth → routes.
 * `buildApp` does not listen; main.ts does. Tests use `inject()` or `listen({ port: 0 })`.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { PrismaClient } from '@rimwatch/db';
import { ERROR_CODES } from '@rimwatch/contracts';
import type { FinetuneJobData } from '@rimwatch/queue';
import { toErrorResponse } from './errors';
import dbPlugin from './plugins/db';
import redisPlugin from './plugins/redis';
import authPlugin, { bearerPrefix } from './plugins/auth';
import healthRoutes from './routes/health';
import jobsRoutes from './routes/jobs';
import metricsRoutes from './routes/metrics';
import datasetsRoutes from './routes/datasets';
import keysRoutes from './routes/keys';
import alertsRoutes from './routes/alerts';
import webhooksRoutes from './routes/webhooks';
import neuronSetsRoutes from './routes/neuron-sets';
import dashboardRoutes from './routes/dashboard';

export interface BuildAppOptions {
  databaseUrl: string;
  redisUrl: string;
  /** false (default) = silent; true = info level; or pino options (level, stream via `stream`) */
  logger?: boolean | { level?: string; stream?: NodeJS.WritableStream };
  /** use this Prisma client instead of creating one (not closed with the app) */
  prisma?: PrismaClient;
  /** use this BullMQ queue instead of creating one (not closed with the app) */
  finetuneQueue?: Queue<FinetuneJobData>;
  /** BullMQ key prefix (default "bull"; tests use their own) */
  queuePrefix?: string;
  /** directory for uploaded datasets (default env DATA_DIR or ./.rimwatch/data) */
  dataDir?: string;
  /** dataset upload limit in bytes (default env MAX_UPLOAD_BYTES or 100 MiB) */
  maxUploadBytes?: number;
  /** JSON body limit in bytes (default 1 MiB; POST /v1/jobs has its own 256 KiB) */
  bodyLimit?: number;
  /** requests per key per window (default env RATE_LIMIT_MAX or 600 per minute); false turns it off */
  rateLimit?: { max: number; timeWindow: number | string; store?: 'memory' | 'redis' } | false;
  /** SSE heartbeat interval (default 15 s) */
  sseHeartbeatMs?: number;
}

/** Paths pino must never print: the API key (Authorization), idempotency keys, secrets in bodies. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'key',
  'secret',
  '*.apiKey',
  '*.key',
  '*.secret',
  '*.password',
];

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function rateLimitStore(raw: string | undefined): 'memory' | 'redis' {
  if (raw === undefined || raw === '' || raw === 'memory') return 'memory';
  if (raw === 'redis') return 'redis';
  throw new Error(`RATE_LIMIT_STORE must be "memory" or "redis", got ${JSON.stringify(raw)}`);
}

function loggerOptions(logger: BuildAppOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = {
    level: process.env.LOG_LEVEL || 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // request logs carry the headers (user agent, content length, ...) with the secrets redacted
    serializers: {
      req: (req: { method: string; url: string; headers: Record<string, unknown>; ip?: string }) => ({ method: req.method, url: req.url, remoteAddress: req.ip, headers: req.headers }),
    },
  };
  if (logger === true) return base;
  return { ...base, ...(logger.level ? { level: logger.level } : {}), ...(logger.stream ? { stream: logger.stream } : {}) } as FastifyServerOptions['logger'];
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(opts.logger),
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // unknown fields are errors (as in the job spec), not silently dropped
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: ERROR_CODES.notFound, message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  // Prometheus: default process metrics plus request durations by route
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'rimwatch API', version: '0.1.0', description: 'Submit fine-tuning jobs and watch reasoning-induced misalignment while they train.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key rw_<prefix>_<secret>' } } },
      security: [{ bearer: [] }],
      tags: [{ name: 'jobs' }, { name: 'metrics' }, { name: 'datasets' }, { name: 'keys' }, { name: 'health' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(dbPlugin, { databaseUrl: opts.databaseUrl, prisma: opts.prisma });
  await app.register(redisPlugin, { redisUrl: opts.redisUrl, queuePrefix: opts.queuePrefix, finetuneQueue: opts.finetuneQueue });
  await app.register(healthRoutes, { registry });
  await app.register(dashboardRoutes); // the browser dashboard at / (static, no auth; it calls /v1 with the user's key)

  const dataDir = opts.dataDir ?? process.env.DATA_DIR ?? './.rimwatch/data';
  const maxUploadBytes = opts.maxUploadBytes ?? envInt('MAX_UPLOAD_BYTES', 100 * 1024 * 1024);
  const limits = opts.rateLimit ?? { max: envInt('RATE_LIMIT_MAX', 600), timeWindow: '1 minute', store: rateLimitStore(process.env.RATE_LIMIT_STORE) };

  await app.register(
    async (v1) => {
      if (limits !== false) {
        // per API key (its visible prefix); requests without a usable key are bucketed by IP
        await v1.register(rateLimit, {
          max: limits.max,
          timeWindow: limits.timeWindow,
          keyGenerator: (req) => bearerPrefix(req.headers.authorization) ?? `ip:${req.ip}`,
          // redis: one budget shared by every api replica (one Redis round trip per request); a Redis
          // outage lets requests through rather than failing them (readiness reports Redis anyway)
          ...(limits.store === 'redis' ? { redis: app.redis, nameSpace: `${opts.queuePrefix ?? 'rimwatch'}:ratelimit:`, skipOnError: true } : {}),
          errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: ERROR_CODES.rateLimited, message: `rate limit of ${ctx.max} requests exceeded; retry in ${ctx.after}` }),
        });
      }
      await v1.register(authPlugin);
      await v1.register(jobsRoutes);
      await v1.register(metricsRoutes, { heartbeatMs: opts.sseHeartbeatMs });
      await v1.register(datasetsRoutes, { dataDir, maxUploadBytes });
      await v1.register(keysRoutes);
      await v1.register(alertsRoutes);
      await v1.register(webhooksRoutes);
      await v1.register(neuronSetsRoutes);
    },
    { prefix: '/v1' },
  );

  return app;
}
