/**
 * Job events published on Redis (pub/sub) by whoever changes a job (API on cancel, the pipeline on
 * progress/checkpoints/alerts) and relayed to `GET /v1/jobs/:id/events` as Server-Sent Events:
 * the SSE `event:` is the payload's `type`, `data:` the JSON payload.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const JOB_EVENTS_CHANNEL_PREFIX = 'rimwatch:job-events:';

/** Redis pub/sub channel of one job's events. */
export function jobEventsChannel(jobId: string): string {
  if (typeof jobId !== 'string' || jobId.length === 0) throw new TypeError('jobId must be a non-empty string');
  return `${JOB_EVENTS_CHANNEL_PREFIX}${jobId}`;
}

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'diverged'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const JobStatusSchema = Type.Union(JOB_STATUSES.map((s) => Type.Literal(s)));
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'diverged'];

const Base = {
  jobId: Type.String(),
  /** ISO-8601 time the event was produced */
  at: Type.String(),
};

export const StatusEventSchema = Type.Object({ type: Type.Literal('status'), ...Base, status: JobStatusSchema, error: Type.Optional(Type.String()) });
export const ProgressEventSchema = Type.Object({
  type: Type.Literal('progress'),
  ...Base,
  step: Type.Integer({ minimum: 0 }),
  totalSteps: Type.Integer({ minimum: 0 }),
  loss: Type.Union([Type.Number(), Type.Null()]),
  tokensPerSec: Type.Number({ minimum: 0 }),
  etaSec: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
});
export const CheckpointEventSchema = Type.Object({ type: Type.Literal('checkpoint'), ...Base, step: Type.Integer({ minimum: 0 }) });
export const AlertEventSchema = Type.Object({
  type: Type.Literal('alert'),
  ...Base,
  ruleId: Type.Optional(Type.String()),
  metric: Type.String(),
  comparator: Type.String(),
  threshold: Type.Number(),
  mode: Type.String(),
  value: Type.Number(),
  step: Type.Integer({ minimum: 0 }),
  state: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  message: Type.String(),
});

export const JobEventSchema = Type.Union([StatusEventSchema, ProgressEventSchema, CheckpointEventSchema, AlertEventSchema], { title: 'JobEvent' });
export type JobEvent = Static<typeof JobEventSchema>;
export type StatusEvent = Static<typeof StatusEventSchema>;
export type ProgressEvent = Static<typeof ProgressEventSchema>;
export type CheckpointEvent = Static<typeof CheckpointEventSchema>;
export type AlertJobEvent = Static<typeof AlertEventSchema>;
export type JobEventType = JobEvent['type'];

/** Serialise an event for `redis.publish(jobEventsChannel(jobId), encodeJobEvent(e))`. */
export function encodeJobEvent(event: JobEvent): string {
  return JSON.stringify(event);
}

/** Parse a message from the channel; undefined when it is not a valid event (ignored by subscribers). */
export function parseJobEvent(message: string): JobEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  return Value.Check(JobEventSchema, v) ? (v as JobEvent) : undefined;
}
