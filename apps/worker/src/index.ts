// @rimwatch/worker: the BullMQ fine-tuning worker (see main.ts for `npm run worker`).
export { startWorker, PROCESSOR_FILE, type RunningWorker } from './worker';
export { loadConfig, type WorkerConfig } from './config';
export { isTransientDbError, withRetry, withRetries, type RetryOptions } from './retry';
