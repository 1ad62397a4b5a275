/** Jobs: submit (validate + enqueue), list, get, cancel. Every query is scoped to the caller's team. */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  datasetRefs,
  encodeJobEvent,
  ErrorBodySchema,
  IdempotencyKeyHeader,
  IdParamsSchema,
  JobListQuerySchema,
  JobListSchema,
  JobSchema,
  jobEventsChannel,
  JobSpecInputSchema,
  resolveJobSpec,
  type JobDto,
  type JobListQuery,
  type JobSpec,
  type JobStatus,
} from '@rimwatch/contracts';
import { enqueueFinetune, removeQueuedFinetune } from '@rimwatch/queue';
import { Prisma, type Job } from '@rimwatch/db';
import { builtinCatalog } from '../builtins';
import { ApiError, badRequest, notFound } from '../errors';
import { decodeCursor, encodeCursor, isTimeCursor, isUuid, iso } from '../util';

export function toJobDto(j: Job): JobDto {
  return {
    id: j.id,
    name: j.name,
    status: j.status as JobStatus,
    spec: j.spec as unknown as JobSpec,
    progress: (j.progress as JobDto['progress']) ?? null,
    error: j.error,
    createdAt: j.createdAt.toISOString(),
    updatedAt: j.updatedAt.toISOString(),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

/** Finds a job of the caller's team or throws 404 (another team's job is indistinguishable from none). */
export async function findTeamJob(prisma: import('@rimwatch/db').PrismaClient, teamId: string, id: string): Promise<Job> {
  if (!isUuid(id)) throw notFound('job');
  const job = await prisma.job.findFirst({ where: { id, teamId } });
  if (!job) throw notFound('job');
  return job;
}

/** JSON with sorted keys: Postgres jsonb does not keep key order, so compare specs this way. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
const ENQUEUE_TIMEOUT_MS = 5_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema, 413: ErrorBodySchema, 429: ErrorBodySchema, 503: ErrorBodySchema };

const jobsRoutes: FastifyPluginAsync = async (app) => {
  const { prisma } = app;

  app.post(
    '/jobs',
    {
      bodyLimit: 256 * 1024,
      schema: {
        summary: 'Submit a fine-tuning job',
        description: 'Validates the job spec (400 names the first bad field), stores the job and enqueues it. Honours Idempotency-Key: a repeat with the same key and spec returns the original job (200).',
        tags: ['jobs'],
        headers: Type.Object({ [IdempotencyKeyHeader]: Type.Optional(Type.String({ maxLength: 255 })) }),
        body: JobSpecInputSchema,
        response: { 200: JobSchema, 201: JobSchema, ...errors },
      },
      // the spec is validated by resolveJobSpec (defaults + first bad field as spec.*), not by ajv
      validatorCompiler: () => (value: unknown) => ({ value }),
    },
    async (req, reply) => {
      const { teamId } = req.auth;
      const r = resolveJobSpec(req.body, { builtins: builtinCatalog });
      if (!r.ok) throw badRequest(r.message, r.field);
      const spec = r.spec;
      for (const ref of datasetRefs(spec)) {
        const field = `spec.datasets.${ref.slot}`;
        const ds = await prisma.dataset.findFirst({ where: { id: ref.id, teamId }, select: { kind: true } });
        if (!ds) throw badRequest(`${field} names dataset ${ref.id}, which does not exist`, field);
        if (ds.kind !== ref.kind) throw badRequest(`${field} needs ${ref.kind} rows but dataset ${ref.id} holds ${ds.kind} rows`, field);
      }

      const rawKey = req.headers[IdempotencyKeyHeader];
      let idempotencyKey: string | undefined;
      if (rawKey !== undefined) {
        if (typeof rawKey !== 'string' || !IDEMPOTENCY_KEY_RE.test(rawKey)) {
          throw badRequest('Idempotency-Key must be 1-255 printable ASCII characters', `headers.${IdempotencyKeyHeader}`);
        }
        idempotencyKey = rawKey;
      }
      const replay = (existing: Job) => {
        if (canonicalJson(existing.spec) !== canonicalJson(spec)) {
          throw new ApiError(409, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different job spec', `headers.${IdempotencyKeyHeader}`);
        }
        reply.code(200).header('idempotent-replayed', 'true').header('location', `/v1/jobs/${existing.id}`);
        return toJobDto(existing);
      };
      if (idempotencyKey) {
        const existing = await prisma.job.findUnique({ where: { teamId_idempotencyKey: { teamId, idempotencyKey } } });
        if (existing) return replay(existing);
      }

      let job: Job;
      try {
        job = await prisma.job.create({ data: { teamId, name: spec.name, spec: spec as unknown as Prisma.InputJsonValue, idempotencyKey } });
      } catch (err) {
        // a concurrent request with the same Idempotency-Key won the insert
        if (idempotencyKey && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          const existing = await prisma.job.findUnique({ where: { teamId_idempotencyKey: { teamId, idempotencyKey } } });
          if (existing) return replay(existing);
        }
        throw err;
      }
      // Committed first, then enqueued, so a worker never sees a queue entry without its row; if the
      // enqueue fails the row is removed again and the client gets a 503 (nothing was created).
      try {
        await withTimeout(enqueueFinetune(app.finetuneQueue, { jobId: job.id, teamId }), ENQUEUE_TIMEOUT_MS, 'enqueue');
      } catch (err) {
        req.log.error({ err, jobId: job.id }, 'enqueue failed; removing the job row');
        await prisma.job.delete({ where: { id: job.id } }).catch((e) => req.log.error({ err: e, jobId: job.id }, 'could not remove orphan job row'));
        throw new ApiError(503, 'queue_unavailable', 'the job queue is unavailable; the job was not created, retry later');
      }
      reply.code(201).header('location', `/v1/jobs/${job.id}`);
      return toJobDto(job);
    },
  );

  app.get<{ Querystring: JobListQuery }>(
    '/jobs',
    { schema: { summary: 'List jobs, newest first', tags: ['jobs'], querystring: JobListQuerySchema, response: { 200: JobListSchema, ...errors } } },
    async (req) => {
      const { status, cursor, limit = 50 } = req.query;
      const where: Prisma.JobWhereInput = { teamId: req.auth.teamId, ...(status ? { status } : {}) };
      if (cursor) {
        const [at, id] = decodeCursor(cursor, 'query.cursor', isTimeCursor);
        const createdAt = new Date(at);
        where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }];
      }
      const rows = await prisma.job.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map(toJobDto), nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    { schema: { summary: 'Get a job', tags: ['jobs'], params: IdParamsSchema, response: { 200: JobSchema, ...errors } } },
    async (req) => toJobDto(await findTeamJob(prisma, req.auth.teamId, req.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a queued or running job',
        description: 'A queued job is removed from the queue; a running one is stopped by its worker at the next step boundary. 409 when the job already finished.',
        tags: ['jobs'],
        params: IdParamsSchema,
        response: { 200: JobSchema, ...errors },
      },
    },
    async (req) => {
      const job = await findTeamJob(prisma, req.auth.teamId, req.params.id);
      const now = new Date();
      const { count } = await prisma.job.updateMany({
        where: { id: job.id, status: { in: ['queued', 'running'] } },
        data: { status: 'cancelled', finishedAt: now },
      });
      if (count === 0) throw new ApiError(409, 'conflict', `job is already ${job.status}`, 'status');
      await removeQueuedFinetune(app.finetuneQueue, job.id).catch((err) => req.log.warn({ err, jobId: job.id }, 'could not remove the job from the queue'));
      await app.redis
        .publish(jobEventsChannel(job.id), encodeJobEvent({ type: 'status', jobId: job.id, at: now.toISOString(), status: 'cancelled' }))
        .catch((err) => req.log.warn({ err, jobId: job.id }, 'could not publish the cancel event'));
      return toJobDto(await prisma.job.findUniqueOrThrow({ where: { id: job.id } }));
    },
  );
};

export default jobsRoutes;
