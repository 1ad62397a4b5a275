/**
 * REST request/response schemas of the /v1 API. The API validates with them and @fastify/swagger
 * turns them into /openapi.json, so they are also the published contract for the CLI and dashboard.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DatasetKindSchema } from './datasets';
import { JobStatusSchema } from './events';
import { METRIC_KEY_PATTERN, type JobSpec } from './job-spec';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const IdParamsSchema = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParamsSchema>;

export const PageQuerySchema = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

// ---------- jobs ----------
export const JobProgressSchema = Type.Object(
  {
    step: Type.Optional(Type.Integer()),
    totalSteps: Type.Optional(Type.Integer()),
    fraction: Type.Optional(Type.Number()),
    loss: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    tokensPerSec: Type.Optional(Type.Number()),
    etaSec: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  },
  { additionalProperties: true },
);

export const JobSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    status: JobStatusSchema,
    // serialised leniently: a job stored under an older spec version must still list (its shape is JobSpec)
    spec: Type.Unsafe<JobSpec>({ type: 'object', additionalProperties: true, description: 'the resolved job spec, every default filled in (see POST /v1/jobs for its fields)' }),
    progress: Type.Union([JobProgressSchema, Type.Null()]),
    error: Nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    startedAt: Nullable(Timestamp),
    finishedAt: Nullable(Timestamp),
  },
  { title: 'Job' },
);
export type JobDto = Static<typeof JobSchema>;

export const JobListQuerySchema = Type.Object({
  status: Type.Optional(JobStatusSchema),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export type JobListQuery = Static<typeof JobListQuerySchema>;

export const JobListSchema = Type.Object({ items: Type.Array(JobSchema), nextCursor: Nullable(Type.String()) }, { title: 'JobList' });
export type JobListDto = Static<typeof JobListSchema>;

export const IdempotencyKeyHeader = 'idempotency-key';

// ---------- checkpoints ----------
export const CheckpointSchema = Type.Object(
  {
    id: Uuid,
    jobId: Uuid,
    step: Type.Integer(),
    epoch: Type.Union([Type.Number(), Type.Null()]),
    artifactLocation: Nullable(Type.String()),
    createdAt: Timestamp,
  },
  { title: 'Checkpoint' },
);
export type CheckpointDto = Static<typeof CheckpointSchema>;
export const CheckpointListSchema = Type.Object({ items: Type.Array(CheckpointSchema), nextCursor: Nullable(Type.String()) });
export type CheckpointListDto = Static<typeof CheckpointListSchema>;

// ---------- metrics ----------
export const MetricsQuerySchema = Type.Object({
  keys: Type.Optional(Type.String({ maxLength: 4096, description: 'comma-separated metric keys (default: all)' })),
  sinceStep: Type.Optional(Type.Integer({ minimum: 0, description: 'only points with step >= sinceStep' })),
  pageToken: Type.Optional(Type.String({ maxLength: 400, description: 'nextPageToken of the previous page' })),
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'points per page, over all keys' })),
  maxPoints: Type.Optional(Type.Integer({ minimum: 2, maximum: 10_000, description: 'downsample each key to about this many evenly spaced points (first and last kept)' })),
});
export type MetricsQuery = Static<typeof MetricsQuerySchema>;
export { METRIC_KEY_PATTERN };

export const MetricPointSchema = Type.Object({ step: Type.Integer(), value: Type.Number() });
export const MetricSeriesSchema = Type.Object({ key: Type.String(), points: Type.Array(MetricPointSchema) });
export const MetricsResponseSchema = Type.Object(
  { jobId: Uuid, series: Type.Array(MetricSeriesSchema), nextPageToken: Nullable(Type.String()) },
  { title: 'MetricsHistory' },
);
export type MetricsResponseDto = Static<typeof MetricsResponseSchema>;

// ---------- datasets ----------
export const DatasetSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    kind: DatasetKindSchema,
    rowCount: Type.Integer(),
    checksum: Type.String({ description: 'sha256 hex of the stored JSONL' }),
    sizeBytes: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Timestamp,
  },
  { title: 'Dataset' },
);
export type DatasetDto = Static<typeof DatasetSchema>;
export const DatasetListSchema = Type.Object({ items: Type.Array(DatasetSchema), nextCursor: Nullable(Type.String()) });
export const DatasetUploadQuerySchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  kind: DatasetKindSchema,
});
export type DatasetUploadQuery = Static<typeof DatasetUploadQuerySchema>;
/** Content types accepted for uploads (the body is the JSONL file itself). */
export const JSONL_CONTENT_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'] as const;

// ---------- API keys ----------
export const ApiKeySchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    prefix: Type.String({ description: 'visible part of the key' }),
    createdAt: Timestamp,
    lastUsedAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
  },
  { title: 'ApiKey' },
);
export type ApiKeyDto = Static<typeof ApiKeySchema>;
export const ApiKeyListSchema = Type.Object({ items: Type.Array(ApiKeySchema) });
export const CreateApiKeyBodySchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const CreatedApiKeySchema = Type.Object(
  { ...ApiKeySchema.properties, key: Type.String({ description: 'the secret key; shown only once' }) },
  { title: 'CreatedApiKey' },
);
export type CreatedApiKeyDto = Static<typeof CreatedApiKeySchema>;

// ---------- health ----------
export const HealthSchema = Type.Object({ status: Type.Literal('ok') });
export const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Object({ postgres: Type.String(), redis: Type.String() }),
});
