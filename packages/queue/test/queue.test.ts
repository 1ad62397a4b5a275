import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createFinetuneQueue, enqueueFinetune, removeQueuedFinetune, QUEUE_NAMES } from '../src';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-queue-${randomUUID()}`;

describe('finetune queue (real Redis)', () => {
  const queue = createFinetuneQueue(REDIS_URL, { prefix });
  const redis = new Redis(REDIS_URL);

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  it('enqueues under the Postgres job id, idempotently', async () => {
    const jobId = randomUUID();
    const teamId = randomUUID();
    await enqueueFinetune(queue, { jobId, teamId });
    await enqueueFinetune(queue, { jobId, teamId });
    expect(queue.name).toBe(QUEUE_NAMES.finetune);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    const job = await queue.getJob(jobId);
    expect(job?.data).toEqual({ jobId, teamId });
    expect(job?.opts.attempts).toBe(3);
    // keys live under the test's own prefix
    expect(await redis.exists(`${prefix}:finetune:${jobId}`)).toBe(1);
  });

  it('removes a waiting job on cancel', async () => {
    const jobId = randomUUID();
    await enqueueFinetune(queue, { jobId, teamId: randomUUID() });
    expect(await removeQueuedFinetune(queue, jobId)).toBe(true);
    expect(await queue.getJob(jobId)).toBeUndefined();
    expect(await removeQueuedFinetune(queue, jobId)).toBe(false);
  });

  it('rejects a payload without ids, naming the field', async () => {
    await expect(enqueueFinetune(queue, { jobId: '', teamId: 'x' })).rejects.toThrow(/jobId/);
    await expect(enqueueFinetune(queue, { jobId: 'x' } as never)).rejects.toThrow(/teamId/);
  });

  it('fails fast (does not hang) when Redis is unreachable', async () => {
    const dead = createFinetuneQueue('redis://127.0.0.1:1', { prefix, redis: { connectTimeout: 200, disconnectTimeout: 50, retryStrategy: () => null } });
    dead.on('error', () => {});
    const started = Date.now();
    await expect(enqueueFinetune(dead, { jobId: randomUUID(), teamId: randomUUID() })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    await dead.close().catch(() => {});
  });
});
