/**
 * BullMQ queue names and payloads (producer side). The API enqueues on `finetune`; apps/worker
 * consumes it. `webhooks` carries alert deliveries (issue 5).
 */
import { Queue, type JobsOptions, type QueueOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

export const QUEUE_NAMES = { finetune: 'finetune', webhooks: 'webhooks' } as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** Default BullMQ key prefix; tests pass their own so parallel files never share a queue. */
export const DEFAULT_QUEUE_PREFIX = 'bull';

export interface FinetuneJobData {
  /** Job.id in Postgres (also the BullMQ job id, so enqueueing twice is a no-op) */
  jobId: string;
  teamId: string;
}

export interface WebhookJobData {
  /** WebhookDelivery.id */
  deliveryId: string;
}

export interface QueueConnectionOptions {
  /** BullMQ key prefix (default "bull") */
  prefix?: string;
  /** extra ioredis options (e.g. connectTimeout) */
  redis?: RedisOptions;
}

/**
 * An ioredis connection as BullMQ requires it (`maxRetriesPerRequest: null`). For producers the
 * offline queue is off so that a command fails at once when Redis is down rather than hanging the
 * HTTP request (BullMQ's advice for queues used from HTTP handlers).
 */
export function createQueueConnection(redisUrl: string, opts: RedisOptions = {}): Redis {
  if (typeof redisUrl !== 'string' || !/^rediss?:\/\//.test(redisUrl)) {
    throw new Error(`redisUrl must be a redis:// URL, got ${JSON.stringify(redisUrl)}`);
  }
  return new Redis(redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false, ...opts });
}

const defaultFinetuneJobOptions: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

function makeQueue<T>(name: QueueName, redisUrl: string, opts: QueueConnectionOptions, defaultJobOptions: JobsOptions): Queue<T> {
  const connection = createQueueConnection(redisUrl, opts.redis);
  const queueOpts: QueueOptions = { connection, prefix: opts.prefix ?? DEFAULT_QUEUE_PREFIX, defaultJobOptions };
  const queue = new Queue<T>(name, queueOpts);
  // the connection is ours, not BullMQ's: close it with the queue
  const close = queue.close.bind(queue);
  queue.close = async () => {
    try {
      await close();
    } finally {
      connection.disconnect();
    }
  };
  // errors surface on the add() promise; this only keeps an unhandled 'error' event from crashing
  queue.on('error', () => {});
  return queue;
}

export function createFinetuneQueue(redisUrl: string, opts: QueueConnectionOptions = {}): Queue<FinetuneJobData> {
  return makeQueue<FinetuneJobData>(QUEUE_NAMES.finetune, redisUrl, opts, defaultFinetuneJobOptions);
}

export function createWebhooksQueue(redisUrl: string, opts: QueueConnectionOptions = {}): Queue<WebhookJobData> {
  return makeQueue<WebhookJobData>(QUEUE_NAMES.webhooks, redisUrl, opts, {
    attempts: 8,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: { age: 7 * 24 * 3600 },
  });
}

/**
 * Enqueue one fine-tuning job. The Postgres job id is the BullMQ job id, so a retried request
 * (or a second call) does not create a second BullMQ job.
 */
export async function enqueueFinetune(queue: Queue<FinetuneJobData>, data: FinetuneJobData, opts: JobsOptions = {}): Promise<void> {
  for (const f of ['jobId', 'teamId'] as const) {
    if (typeof data?.[f] !== 'string' || data[f].length === 0) throw new TypeError(`${f} must be a non-empty string`);
  }
  await queue.add('finetune', { jobId: data.jobId, teamId: data.teamId }, { ...opts, jobId: data.jobId });
}

/** Remove a not-yet-started job from the queue (on cancel). Returns true when it was waiting. */
export async function removeQueuedFinetune(queue: Queue<FinetuneJobData>, jobId: string): Promise<boolean> {
  const job = await queue.getJob(jobId);
  if (!job) return false;
  const state = await job.getState();
  if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
    await job.remove();
    return true;
  }
  return false;
}
