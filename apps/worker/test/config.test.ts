import { resolve } from 'node:path';
import { loadConfig } from '../src/config';

describe('worker config', () => {
  it('has local defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/rimwatch',
      redisUrl: 'redis://127.0.0.1:6379',
      backend: 'auto',
      concurrency: 1,
      checkpointDir: resolve('.rimwatch/checkpoints'),
      logLevel: 'info',
      queuePrefix: 'bull',
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      webhookTimeoutMs: 5000,
      stepDelayMs: 0,
    });
  });

  it('reads the environment', () => {
    const c = loadConfig({ WORKER_CONCURRENCY: '2', RIMWATCH_BACKEND: 'wasm', CHECKPOINT_DIR: '/tmp/ck', WORKER_LOCK_DURATION_MS: '2000', QUEUE_PREFIX: 'rw-1' });
    expect(c).toMatchObject({ concurrency: 2, backend: 'wasm', checkpointDir: '/tmp/ck', lockDurationMs: 2000, stalledIntervalMs: 2000, queuePrefix: 'rw-1' });
  });

  it.each([
    [{ WORKER_CONCURRENCY: '0' }, /WORKER_CONCURRENCY must be an integer >= 1, got "0"/],
    [{ WORKER_CONCURRENCY: 'two' }, /WORKER_CONCURRENCY/],
    [{ RIMWATCH_BACKEND: 'cuda' }, /RIMWATCH_BACKEND must be one of/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgresql:\/\/ URL/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\/ URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ WEBHOOK_TIMEOUT_MS: '-5' }, /WEBHOOK_TIMEOUT_MS/],
    [{ QUEUE_PREFIX: 'a b' }, /QUEUE_PREFIX/],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
