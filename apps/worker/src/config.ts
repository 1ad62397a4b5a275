/** Worker configuration from the environment; every bad value is an error naming its variable. */
import { resolve } from 'node:path';

export interface WorkerConfig {
  databaseUrl: string;
  redisUrl: string;
  /** tfjs backend (RIMWATCH_BACKEND: auto|tensorflow|webgpu|wasm|cpu) */
  backend: string;
  /** fine-tuning jobs run at once (one child process each; default 1 per GPU) */
  concurrency: number;
  checkpointDir: string;
  logLevel: string;
  /** BullMQ key prefix (QUEUE_PREFIX, default "bull"; must match the API's) */
  queuePrefix: string;
  /** BullMQ lock duration; a killed worker's job is taken over after about this long */
  lockDurationMs: number;
  /** how often this worker looks for stalled jobs */
  stalledIntervalMs: number;
  /** stalls (crashes) a job survives before it is failed */
  maxStalledCount: number;
  /** how often the Job row is polled for a cancel (a Redis cancel event stops it at once) */
  cancelPollMs: number;
  webhookTimeoutMs: number;
  webhookAttempts: number;
  webhookBackoffMs: number;
  webhookConcurrency: number;
  /** pause after every training step (tests and demos that need a slow job; default 0) */
  stepDelayMs: number;
}

const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const databaseUrl = env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/rimwatch';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error(`DATABASE_URL must be a postgresql:// URL, got ${JSON.stringify(databaseUrl)}`);
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(redisUrl)) throw new Error(`REDIS_URL must be a redis:// URL, got ${JSON.stringify(redisUrl)}`);
  const backend = env.RIMWATCH_BACKEND || 'auto';
  if (!BACKENDS.includes(backend)) throw new Error(`RIMWATCH_BACKEND must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw new Error(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got ${JSON.stringify(logLevel)}`);
  const queuePrefix = env.QUEUE_PREFIX || 'bull';
  if (!/^[A-Za-z0-9:_.-]{1,100}$/.test(queuePrefix)) throw new Error(`QUEUE_PREFIX must be 1-100 letters, digits or :_.-, got ${JSON.stringify(queuePrefix)}`);
  const lockDurationMs = int(env, 'WORKER_LOCK_DURATION_MS', 30_000, 100);
  return {
    databaseUrl,
    redisUrl,
    backend,
    concurrency: int(env, 'WORKER_CONCURRENCY', 1, 1),
    checkpointDir: resolve(env.CHECKPOINT_DIR || './.rimwatch/checkpoints'),
    logLevel,
    queuePrefix,
    lockDurationMs,
    stalledIntervalMs: int(env, 'WORKER_STALLED_INTERVAL_MS', lockDurationMs, 100),
    maxStalledCount: int(env, 'WORKER_MAX_STALLED_COUNT', 2, 0),
    cancelPollMs: int(env, 'WORKER_CANCEL_POLL_MS', 1000, 0),
    webhookTimeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 5000, 1),
    webhookAttempts: int(env, 'WEBHOOK_ATTEMPTS', 8, 1),
    webhookBackoffMs: int(env, 'WEBHOOK_BACKOFF_MS', 2000, 0),
    webhookConcurrency: int(env, 'WEBHOOK_CONCURRENCY', 8, 1),
    stepDelayMs: int(env, 'WORKER_STEP_DELAY_MS', 0, 0),
  };
}
