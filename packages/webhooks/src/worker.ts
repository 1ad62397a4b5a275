/**
 * The webhook delivery worker (BullMQ queue `webhooks`, in-process: deliveries are I/O only).
 * Each attempt POSTs the signed alert payload and records it on the WebhookDelivery row (attempts,
 * responseCode, error, lastAttemptAt; deliveredAt on success). Failed attempts are retried by
 * BullMQ with exponential backoff; the last failed attempt (or a 4xx other than 408/429, which a
 * retry will not fix) marks the row `failed`. A sweeper re-enqueues pending rows whose BullMQ job is
 * missing (e.g. Redis was down when the alert fired), so a stored delivery is never forgotten.
 */
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PrismaClient } from '@rimwatch/db';
import { QUEUE_NAMES, createQueueConnection, createWebhooksQueue, type WebhookJobData } from '@rimwatch/queue';
import { enqueueDelivery, type DeliveryRetryOptions } from './dispatch';
import { buildAlertPayload } from './payload';
import { sendWebhook } from './send';
import { allowPrivateWebhooks } from './ssrf';

export interface WebhookWorkerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WebhookWorkerOptions {
  prisma: PrismaClient;
  redisUrl: string;
  /** BullMQ key prefix (default "bull") */
  prefix?: string;
  /** per-attempt timeout (default 5000 ms) */
  timeoutMs?: number;
  /** parallel deliveries (default 8) */
  concurrency?: number;
  /** allow loopback/private targets (default env RIMWATCH_ALLOW_PRIVATE_WEBHOOKS=1) */
  allowPrivate?: boolean;
  /** retry options used when the sweeper re-enqueues */
  retry?: DeliveryRetryOptions;
  /** how often pending rows without a queue job are re-enqueued (default 60 s; 0 turns it off) */
  sweepIntervalMs?: number;
  /** only rows older than this are swept (default 30 s) */
  sweepGraceMs?: number;
  log?: WebhookWorkerLogger;
}

export interface WebhookWorker {
  worker: Worker<WebhookJobData>;
  queue: Queue<WebhookJobData>;
  /** re-enqueue pending deliveries that have no BullMQ job; returns how many */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

const nullLog: WebhookWorkerLogger = { info() {}, warn() {}, error() {} };

export type DeliveryOutcome = { status: 'succeeded' | 'skipped'; responseCode?: number; reason?: string };

/** One delivery attempt of the BullMQ job; throws to have BullMQ retry. Exported for tests. */
export async function deliverOnce(
  prisma: PrismaClient,
  job: Pick<Job<WebhookJobData>, 'data' | 'attemptsMade' | 'opts'>,
  o: { timeoutMs: number; allowPrivate: boolean },
): Promise<DeliveryOutcome> {
  const d = await prisma.webhookDelivery.findUnique({
    where: { id: job.data.deliveryId },
    include: { endpoint: true, alertEvent: { include: { rule: true, job: { select: { id: true, name: true } } } } },
  });
  // endpoint (and its deliveries) deleted meanwhile, or already finished: nothing to send
  if (!d) return { status: 'skipped', reason: 'delivery no longer exists' };
  if (d.status !== 'pending') return { status: 'skipped', reason: `delivery already ${d.status}` };
  if (!d.endpoint.enabled) {
    await prisma.webhookDelivery.update({ where: { id: d.id }, data: { status: 'failed', error: 'endpoint disabled' } });
    return { status: 'skipped', reason: 'endpoint disabled' };
  }
  const body = JSON.stringify(buildAlertPayload({ alertEvent: d.alertEvent, rule: d.alertEvent.rule, job: d.alertEvent.job }));
  const r = await sendWebhook(d.endpoint.url, d.endpoint.secret, body, { timeoutMs: o.timeoutMs, allowPrivate: o.allowPrivate, deliveryId: d.id });
  const now = new Date();
  const last = !r.ok && (!r.retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
  await prisma.webhookDelivery.update({
    where: { id: d.id },
    data: {
      attempts: { increment: 1 },
      lastAttemptAt: now,
      responseCode: r.status ?? null,
      error: r.ok ? null : (r.error ?? 'failed'),
      ...(r.ok ? { status: 'succeeded', deliveredAt: now } : last ? { status: 'failed' } : {}),
    },
  });
  if (r.ok) return { status: 'succeeded', responseCode: r.status };
  if (!r.retryable) throw new UnrecoverableError(r.error ?? 'delivery failed');
  throw new Error(r.error ?? 'delivery failed');
}

export function startWebhookWorker(opts: WebhookWorkerOptions): WebhookWorker {
  const log = opts.log ?? nullLog;
  const prefix = opts.prefix ?? 'bull';
  const timeoutMs = opts.timeoutMs ?? 5000;
  const allowPrivate = opts.allowPrivate ?? allowPrivateWebhooks();
  // Worker connections wait for Redis to come back (offline queue on) instead of failing.
  const connection: Redis = createQueueConnection(opts.redisUrl, { enableOfflineQueue: true });
  connection.on('error', (err) => log.warn({ err: err.message }, 'webhooks: redis connection error'));
  const queue = createWebhooksQueue(opts.redisUrl, { prefix, redis: { enableOfflineQueue: true } });
  const worker = new Worker<WebhookJobData>(QUEUE_NAMES.webhooks, (job) => deliverOnce(opts.prisma, job, { timeoutMs, allowPrivate }), {
    connection,
    prefix,
    concurrency: opts.concurrency ?? 8,
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'webhooks worker error'));
  worker.on('completed', (job, res: DeliveryOutcome) => log.info({ deliveryId: job.data.deliveryId, ...res }, 'webhook delivered'));
  worker.on('failed', (job, err) => log.warn({ deliveryId: job?.data.deliveryId, attempt: job?.attemptsMade, err: err.message }, 'webhook attempt failed'));

  const sweep = async (): Promise<number> => {
    const rows = await opts.prisma.webhookDelivery.findMany({
      where: { status: 'pending', createdAt: { lt: new Date(Date.now() - (opts.sweepGraceMs ?? 30_000)) } },
      select: { id: true },
      orderBy: { createdAt: 'asc' },
      take: 500,
    });
    let n = 0;
    for (const r of rows) {
      if (await queue.getJob(r.id)) continue;
      await enqueueDelivery(queue, r.id, opts.retry);
      n++;
    }
    if (n) log.info({ count: n }, 'webhooks: re-enqueued pending deliveries');
    return n;
  };
  const interval = opts.sweepIntervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(() => void sweep().catch((err) => log.warn({ err: (err as Error).message }, 'webhooks: sweep failed')), interval) : undefined;
  timer?.unref();

  return {
    worker,
    queue,
    sweep,
    async close() {
      if (timer) clearInterval(timer);
      await worker.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
