/**
 * Checkpoints, metric history and the live event stream of one job.
 *
 * Metric reads carry a strong ETag computed from the job's metrics version (a counter a database
 * trigger bumps on every metric write) plus the query, so a dashboard polling with If-None-Match gets
 * a 304 after one primary-key lookup, however long the run — the rows are only read when something changed.
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import {
  CheckpointListSchema,
  encodeJobEvent,
  ErrorBodySchema,
  IdParamsSchema,
  METRIC_KEY_PATTERN,
  MetricsQuerySchema,
  MetricsResponseSchema,
  PageQuerySchema,
  type CheckpointListDto,
  type JobStatus,
  type MetricsQuery,
  type MetricsResponseDto,
} from '@rimwatch/contracts';
import { badRequest, notFound } from '../errors';
import { decodeCursor, encodeCursor } from '../util';
// (params are validated as UUIDs by IdParamsSchema before any handler runs)
import { findTeamJob } from './jobs';
import { authenticate, completeAuth, type KeyRow } from '../plugins/auth';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema };
const metricKeyRe = new RegExp(METRIC_KEY_PATTERN);
const isStepCursor = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isMetricCursor = (v: unknown): v is [string, number] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isStepCursor(v[1]);

/** Does an If-None-Match header match this (strong) ETag? */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim() === etag);
}

const BODY_CACHE_ENTRIES = 256;

export interface SseOptions {
  /** heartbeat comment interval (keeps proxies from closing idle streams) */
  heartbeatMs?: number;
}

const metricsRoutes: FastifyPluginAsync<SseOptions> = async (app, opts) => {
  const { prisma } = app;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  /** serialised metric bodies by ETag (insertion order = eviction order); many dashboards read the same job */
  const bodyCache = new Map<string, string>();

  app.get<{ Params: { id: string }; Querystring: { cursor?: string; limit?: number } }>(
    '/jobs/:id/checkpoints',
    { schema: { summary: 'Checkpoints of a job, by step', tags: ['metrics'], params: IdParamsSchema, querystring: PageQuerySchema, response: { 200: CheckpointListSchema, ...errors } } },
    async (req): Promise<CheckpointListDto> => {
      const job = await findTeamJob(prisma, req.auth.teamId, req.params.id);
      const { cursor, limit = 50 } = req.query;
      const after = cursor ? decodeCursor(cursor, 'query.cursor', isStepCursor) : undefined;
      const rows = await prisma.checkpoint.findMany({
        where: { jobId: job.id, ...(after !== undefined ? { step: { gt: after } } : {}) },
        orderBy: { step: 'asc' },
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        items: page.map((c) => ({ id: c.id, jobId: c.jobId, step: c.step, epoch: c.epoch, artifactLocation: c.artifactLocation, createdAt: c.createdAt.toISOString() })),
        nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].step) : null,
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: MetricsQuery }>(
    '/jobs/:id/metrics',
    {
      config: { inlineAuth: true },
      attachValidation: true,
      schema: {
        summary: 'Metric history per key, ordered by step',
        description: 'Strong ETag: send If-None-Match to get 304 when nothing changed. Pages hold up to maxResults points over all keys (ordered by key, then step); maxPoints downsamples each key evenly (first and last kept).',
        tags: ['metrics'],
        params: IdParamsSchema,
        querystring: MetricsQuerySchema,
        response: { 200: MetricsResponseSchema, 304: { type: 'null', description: 'not modified' }, ...errors },
      },
    },
    async (req, reply): Promise<MetricsResponseDto | undefined> => {
      if (req.validationError) {
        // a bad request from a bad key is still a 401
        await authenticate(app, req, req.pendingKey!);
        throw req.validationError;
      }
      const { id } = req.params;
      const { sinceStep, pageToken, maxResults = 1000, maxPoints } = req.query;
      // One round trip for a dashboard poll: the API key row (auth) and, for the key's team, the
      // job's metrics version (a counter a trigger bumps on every metric write; see the
      // 20261127190000_metrics_version migration); no job row = not this team's.
      const pending = req.pendingKey!;
      const { rows: version } = await app.pg.query<KeyRow & { found: boolean; v: number | null }>({
        name: 'rimwatch-metrics-version',
        text: `SELECT k.id, k."teamId", k.hash, k."revokedAt", j.id IS NOT NULL AS found, j."metricsVersion" AS v
               FROM "ApiKey" k
               LEFT JOIN "Job" j ON j.id = $2::uuid AND j."teamId" = k."teamId"
               WHERE k.prefix = $1`,
        values: [pending.prefix, id],
      });
      completeAuth(app, req, pending, version[0]);
      const v = version[0];
      if (!v.found) throw notFound('job');
      const keys = req.query.keys === undefined ? undefined : [...new Set(req.query.keys.split(',').map((k) => k.trim()).filter(Boolean))].sort();
      for (const k of keys ?? []) if (!metricKeyRe.test(k)) throw badRequest(`query.keys contains an invalid metric key ${JSON.stringify(k)}`, 'query.keys');
      const cursor = pageToken ? decodeCursor(pageToken, 'query.pageToken', isMetricCursor) : undefined;

      const etag = `"${createHash('sha1')
        .update(`${id}|${v.v}|${keys?.join(',') ?? '*'}|${sinceStep ?? ''}|${pageToken ?? ''}|${maxResults}|${maxPoints ?? ''}`)
        .digest('base64url')}"`;
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (matches(req.headers['if-none-match'], etag)) {
        reply.code(304);
        return undefined;
      }
      // the ETag names this exact body (job version + query), so a cached copy is current
      const cached = bodyCache.get(etag);
      if (cached !== undefined) {
        reply.type('application/json; charset=utf-8');
        return cached as unknown as MetricsResponseDto;
      }

      // the history read also goes through pg: it is the other half of a dashboard poll
      const values: unknown[] = [id];
      const param = (v: unknown) => `$${values.push(v)}`;
      const filters = ['"jobId" = $1::uuid'];
      if (keys) filters.push(keys.length ? `key = ANY(${param(keys)}::text[])` : 'false');
      if (sinceStep !== undefined) filters.push(`step >= ${param(sinceStep)}::int`);
      const keep = ['true'];
      if (maxPoints !== undefined) {
        // exactly maxPoints evenly spaced rows per key: the first row of each of maxPoints buckets
        const P = param(maxPoints);
        keep.push(`(cnt <= ${P}::int OR rn = 1 OR floor((rn - 1) * (${P}::int - 1)::float8 / (cnt - 1)) <> floor((rn - 2) * (${P}::int - 1)::float8 / (cnt - 1)))`);
      }
      if (cursor) keep.push(`(key, step) > (${param(cursor[0])}::text, ${param(cursor[1])}::int)`);
      const { rows } = await app.pg.query<{ key: string; step: number; value: number }>(
        `WITH base AS (
           SELECT key, step, value,
                  row_number() OVER (PARTITION BY key ORDER BY step) AS rn,
                  count(*) OVER (PARTITION BY key) AS cnt
           FROM "Metric" WHERE ${filters.join(' AND ')}
         )
         SELECT key, step, value FROM base WHERE ${keep.join(' AND ')}
         ORDER BY key, step LIMIT ${param(maxResults + 1)}::int`,
        values,
      );
      const page = rows.slice(0, maxResults);
      const series: MetricsResponseDto['series'] = [];
      for (const r of page) {
        let s = series[series.length - 1];
        if (!s || s.key !== r.key) series.push((s = { key: r.key, points: [] }));
        s.points.push({ step: r.step, value: r.value });
      }
      const last = page[page.length - 1];
      const result: MetricsResponseDto = { jobId: id, series, nextPageToken: rows.length > maxResults && last ? encodeCursor([last.key, last.step]) : null };
      const json = JSON.stringify(result);
      bodyCache.set(etag, json);
      if (bodyCache.size > BODY_CACHE_ENTRIES) bodyCache.delete(bodyCache.keys().next().value as string);
      reply.type('application/json; charset=utf-8');
      return json as unknown as MetricsResponseDto;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/events',
    {
      schema: {
        summary: 'Live job events (Server-Sent Events)',
        description: 'text/event-stream; `event:` is status | progress | checkpoint | alert and `data:` the JSON payload (see JobEvent). The current status is sent first.',
        tags: ['metrics'],
        params: IdParamsSchema,
        response: { 200: { type: 'string', description: 'event stream' }, ...errors },
      },
    },
    async (req, reply: FastifyReply) => {
      const job = await findTeamJob(prisma, req.auth.teamId, req.params.id);
      const raw = reply.raw;
      // events can arrive between subscribing and writing the headers: hold them until then
      let pending: string[] | undefined = [];
      const write = (chunk: string) => {
        if (pending) pending.push(chunk);
        else if (!raw.writableEnded) raw.write(chunk);
      };
      let unsubscribe: () => void;
      try {
        unsubscribe = await app.jobEvents.subscribe(job.id, (message) => {
          const type = (() => {
            try {
              return String((JSON.parse(message) as { type?: unknown }).type ?? 'message');
            } catch {
              return 'message';
            }
          })();
          write(`event: ${type.replace(/[\r\n]/g, '')}\ndata: ${message.replace(/\n/g, '\ndata: ')}\n\n`);
        });
      } catch {
        throw Object.assign(new Error('event stream unavailable (Redis unreachable)'), { statusCode: 503 });
      }
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const early = pending;
      pending = undefined;
      write(`retry: 3000\n`);
      write(`event: status\ndata: ${encodeJobEvent({ type: 'status', jobId: job.id, at: new Date().toISOString(), status: job.status as JobStatus, ...(job.error ? { error: job.error } : {}) })}\n\n`);
      for (const chunk of early) write(chunk);
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), heartbeatMs);
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe();
        sseStreams.delete(close);
        if (!raw.writableEnded) raw.end();
      };
      sseStreams.add(close);
      req.raw.on('close', close);
    },
  );

  const sseStreams = new Set<() => void>();
  // end open streams before the server closes, or close() would wait for them forever
  app.addHook('preClose', async () => {
    for (const close of [...sseStreams]) close();
  });
};

export default metricsRoutes;
