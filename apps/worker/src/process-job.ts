/**
 * The `finetune` processor. BullMQ runs it in a sandboxed child process (see processor.cjs), so the
 * synchronous tensor work of a training step never delays the parent's lock renewal.
 *
 * Stop conditions, polled by runJob at every step boundary:
 *  - cancel: the API sets Job.status = cancelled and publishes a status event; the event flips a flag
 *    at once, and the row is polled every WORKER_CANCEL_POLL_MS in case the event was missed;
 *  - shutdown: the parent aborts the job's signal on SIGTERM (or this child gets SIGTERM). runJob
 *    saves the train state; the job is moved back to `wait` (not failed) for the next worker;
 *  - lost lock: the parent aborts with reason `lock-lost`; the state is saved and the job left to
 *    whichever worker now holds it.
 */
import { Job as QueueJob, Queue, UnrecoverableError, WaitingError, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { createPrisma, type PrismaClient } from '@rimwatch/db';
import { encodeJobEvent, jobEventsChannel, parseJobEvent, TERMINAL_JOB_STATUSES, type JobEvent, type JobSpec, type JobStatus } from '@rimwatch/contracts';
import { initBackend } from '@rimwatch/model';
import { JobInputError, PipelineStore, runJob, type JobResult, type ProgressInfo } from '@rimwatch/pipeline';
import { QUEUE_NAMES, createWebhooksQueue, type FinetuneJobData, type WebhookJobData } from '@rimwatch/queue';
import { dispatchAlert, dispatchUndelivered } from '@rimwatch/webhooks';
import { loadConfig, type WorkerConfig } from './config';
import { createLogger } from './logger';
import { withRetries, withRetry } from './retry';
import { ABORT_LOCK_LOST } from './abort-reasons';

interface Resources {
  cfg: WorkerConfig;
  log: ReturnType<typeof createLogger>;
  prisma: PrismaClient;
  store: PipelineStore;
  redis: Redis;
  sub: Redis;
  finetune: Queue<FinetuneJobData>;
  webhooks: Queue<WebhookJobData>;
}

// The parent died (SIGKILL, OOM): stop at once rather than train on as an orphan next to the worker
// that takes the job over. Registered when the module loads, so an idle pooled child exits too.
// Checkpoints are resumable, so nothing is lost.
const parentGone = () => {
  process.stderr.write('rimwatch-worker-job: parent worker process is gone; exiting\n');
  process.exit(1);
};
process.on('disconnect', parentGone);
// Belt and braces: orphaned children were seen surviving a SIGKILLed parent, so also watch the parent pid.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) parentGone();
}, 2000).unref();

let resources: Promise<Resources> | undefined;
let shuttingDown = false;

/** One set of connections per child process, reused by every job it runs. */
function getResources(): Promise<Resources> {
  resources ??= (async () => {
    const cfg = loadConfig();
    const log = createLogger(cfg.logLevel, 'rimwatch-worker-job');
    process.on('SIGTERM', () => {
      shuttingDown = true;
    });
    const backend = await initBackend(cfg.backend, { log: (m) => log.info(m) });
    log.info({ backend }, 'tfjs backend ready');
    const prisma = createPrisma(cfg.databaseUrl, { poolMax: 3 });
    const store = withRetries(new PipelineStore(prisma), {
      onRetry: (err, attempt, delayMs) => log.warn({ err: (err as Error).message, attempt, delayMs }, 'database unreachable; retrying'),
    });
    // maxRetriesPerRequest null + offline queue: commands wait for Redis to come back
    const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
    const sub = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
    for (const c of [redis, sub]) c.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    const finetune = new Queue<FinetuneJobData>(QUEUE_NAMES.finetune, { connection: redis, prefix: cfg.queuePrefix });
    const webhooks = createWebhooksQueue(cfg.redisUrl, { prefix: cfg.queuePrefix, redis: { enableOfflineQueue: true } });
    return { cfg, log, prisma, store, redis, sub, finetune, webhooks };
  })();
  return resources;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolve after `ms` whatever happens to `p` (pub/sub events are best effort; never block training on them). */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}

export default async function processFinetune(job: SandboxedJob<FinetuneJobData>, token?: string, signal?: AbortSignal): Promise<JobResult | { skipped: string }> {
  const r = await getResources();
  const { cfg, store, prisma } = r;
  const { jobId } = job.data;
  const log = r.log.child({ jobId, attempt: job.attemptsMade + 1 });
  const publish = (e: JobEvent) => bounded(r.redis.publish(jobEventsChannel(jobId), encodeJobEvent(e)), 2000);

  const row = await withRetry(() => prisma.job.findUnique({ where: { id: jobId }, select: { teamId: true, spec: true, status: true } }));
  if (!row) return { skipped: 'job row not found' };
  if (TERMINAL_JOB_STATUSES.includes(row.status as JobStatus)) {
    log.info({ status: row.status }, 'job already finished; skipping');
    return { skipped: `job already ${row.status}` };
  }

  // cancel: the API publishes a status event; the flag is read at the next step boundary
  let cancelled = false;
  const channel = jobEventsChannel(jobId);
  const onMessage = (ch: string, msg: string) => {
    if (ch !== channel) return;
    const e = parseJobEvent(msg);
    if (e?.type === 'status' && e.status === 'cancelled') cancelled = true;
  };
  r.sub.on('message', onMessage);
  await bounded(r.sub.subscribe(channel), 2000);

  let lastPoll = Date.now();
  const shouldStop = async (): Promise<'cancelled' | 'shutdown' | undefined> => {
    if (cfg.stepDelayMs) await sleep(cfg.stepDelayMs);
    if (cancelled) return 'cancelled';
    if (signal?.aborted || shuttingDown) return 'shutdown';
    if (Date.now() - lastPoll >= cfg.cancelPollMs) {
      lastPoll = Date.now();
      if ((await store.jobStatus(jobId)) === 'cancelled') return 'cancelled';
    }
    return undefined;
  };

  const onProgress = async (p: ProgressInfo) => {
    const progress = { ...p, fraction: p.totalSteps ? p.step / p.totalSteps : 0, updatedAt: new Date().toISOString() };
    await Promise.all([job.updateProgress(progress).catch((err: Error) => log.warn({ err: err.message }, 'updateProgress failed')), store.setProgress(jobId, progress)]);
  };

  try {
    const redispatched = await withRetry(() => dispatchUndelivered(prisma, r.webhooks, jobId, { attempts: cfg.webhookAttempts, backoffMs: cfg.webhookBackoffMs }));
    if (redispatched) log.warn({ deliveries: redispatched }, 'dispatched alert webhooks an earlier attempt stored but never sent');
    const result = await runJob({
      jobId,
      teamId: row.teamId,
      spec: row.spec as unknown as JobSpec,
      store,
      checkpointDir: cfg.checkpointDir,
      shouldStop,
      onEvent: publish,
      onProgress,
      onAlert: async (a) => {
        try {
          await withRetry(() => dispatchAlert(prisma, r.webhooks, a, { attempts: cfg.webhookAttempts, backoffMs: cfg.webhookBackoffMs }), { attempts: 4 });
        } catch (err) {
          // rows already stored stay pending; the webhook worker's sweeper enqueues them later
          log.error({ err: (err as Error).message, alertEventId: a.id }, 'could not enqueue webhook deliveries');
        }
      },
      log,
    });
    if (result.status !== 'stopped') {
      log.info({ status: result.status, step: result.step }, 'job finished');
      return result;
    }
    // stopped for shutdown or a lost lock: the train state is saved; hand the job back
    if (signal?.reason === ABORT_LOCK_LOST) {
      log.warn({ step: result.step }, 'lock lost; leaving the job to the worker that holds it');
    } else {
      await store.setStatus(jobId, 'queued');
      await publish({ type: 'status', jobId, at: new Date().toISOString(), status: 'queued' });
      const qjob = await QueueJob.fromId(r.finetune, job.id!);
      await qjob?.moveToWait(token);
      log.info({ step: result.step }, 'shutdown: train state saved, job released');
    }
    throw new WaitingError();
  } catch (err) {
    if (err instanceof WaitingError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const final = err instanceof JobInputError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    log.error({ err: message, final }, 'job failed');
    await withRetry(() => (final ? store.setStatus(jobId, 'failed', message) : prisma.job.update({ where: { id: jobId }, data: { status: 'queued', error: `attempt ${job.attemptsMade + 1} failed, will retry: ${message}` } }).then(() => undefined))).catch(() => {});
    if (final) await publish({ type: 'status', jobId, at: new Date().toISOString(), status: 'failed', error: message });
    // bad input will not get better on a retry
    if (err instanceof JobInputError) throw new UnrecoverableError(message);
    throw err;
  } finally {
    r.sub.off('message', onMessage);
    await bounded(r.sub.unsubscribe(channel), 1000);
  }
}
