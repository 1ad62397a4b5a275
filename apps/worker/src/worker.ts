/** The worker process: the sandboxed `finetune` worker and the in-process webhook delivery worker. */
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { createPrisma } from '@rimwatch/db';
import { QUEUE_NAMES, createQueueConnection, type FinetuneJobData } from '@rimwatch/queue';
import { startWebhookWorker, type WebhookWorker } from '@rimwatch/webhooks';
import { loadConfig, type WorkerConfig } from './config';
import { createLogger } from './logger';
import { ABORT_LOCK_LOST, ABORT_SHUTDOWN } from './abort-reasons';

export interface RunningWorker {
  cfg: WorkerConfig;
  log: ReturnType<typeof createLogger>;
  finetune: Worker<FinetuneJobData>;
  webhooks: WebhookWorker;
  /** graceful: running jobs save their state and are released; resolves when all is closed */
  close(): Promise<void>;
}

export const PROCESSOR_FILE = join(__dirname, 'processor.cjs');

export async function startWorker(env: NodeJS.ProcessEnv = process.env): Promise<RunningWorker> {
  const cfg = loadConfig(env);
  const log = createLogger(cfg.logLevel, 'rimwatch-worker');
  const connection = createQueueConnection(cfg.redisUrl, { enableOfflineQueue: true });
  connection.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));

  const finetune = new Worker<FinetuneJobData>(QUEUE_NAMES.finetune, PROCESSOR_FILE, {
    connection,
    prefix: cfg.queuePrefix,
    concurrency: cfg.concurrency,
    lockDuration: cfg.lockDurationMs,
    stalledInterval: cfg.stalledIntervalMs,
    maxStalledCount: cfg.maxStalledCount,
    // child processes inherit the environment (DATABASE_URL, CHECKPOINT_DIR, ...)
  });
  finetune.on('error', (err) => log.warn({ err: err.message }, 'finetune worker error'));
  finetune.on('active', (job) => log.info({ jobId: job.data.jobId, attempt: job.attemptsMade + 1 }, 'job started'));
  finetune.on('completed', (job, result) => log.info({ jobId: job.data.jobId, result }, 'job done'));
  finetune.on('failed', (job, err) => log.error({ jobId: job?.data.jobId, err: err.message }, 'job attempt failed'));
  finetune.on('stalled', (jobId) => log.warn({ jobId }, 'stalled job taken over (its worker died); it resumes from its newest train state'));
  // Another worker may now own a job whose lock we could not renew: stop ours at the next step.
  finetune.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) finetune.cancelJob(id, ABORT_LOCK_LOST);
  });

  const prisma = createPrisma(cfg.databaseUrl, { poolMax: 3 });
  const webhooks = startWebhookWorker({
    prisma,
    redisUrl: cfg.redisUrl,
    prefix: cfg.queuePrefix,
    timeoutMs: cfg.webhookTimeoutMs,
    concurrency: cfg.webhookConcurrency,
    retry: { attempts: cfg.webhookAttempts, backoffMs: cfg.webhookBackoffMs },
    log,
  });
  log.info({ queuePrefix: cfg.queuePrefix, concurrency: cfg.concurrency, backend: cfg.backend, checkpointDir: cfg.checkpointDir }, 'worker started');

  let closing: Promise<void> | undefined;
  return {
    cfg,
    log,
    finetune,
    webhooks,
    close() {
      closing ??= (async () => {
        finetune.cancelAllJobs(ABORT_SHUTDOWN);
        await finetune.close();
        await webhooks.close();
        await prisma.$disconnect();
        connection.disconnect();
        log.info('worker stopped');
      })();
      return closing;
    },
  };
}
