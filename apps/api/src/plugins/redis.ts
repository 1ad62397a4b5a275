/**
 * Redis: a command connection (publish, readiness ping), one shared subscriber connection that fans
 * job events out to SSE listeners (one Redis SUBSCRIBE per job however many browsers watch it), and
 * the BullMQ `finetune` queue producer.
 */
import fp from 'fastify-plugin';
import type { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { jobEventsChannel } from '@rimwatch/contracts';
import { createFinetuneQueue, type FinetuneJobData } from '@rimwatch/queue';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    jobEvents: JobEventHub;
    finetuneQueue: Queue<FinetuneJobData>;
  }
}

export interface RedisPluginOptions {
  redisUrl: string;
  /** BullMQ key prefix (tests use their own) */
  queuePrefix?: string;
  /** an existing queue (tests inject a failing one) */
  finetuneQueue?: Queue<FinetuneJobData>;
}

// Fail commands at once while disconnected instead of queueing them: an HTTP request should get a
// 503, not hang. ioredis keeps reconnecting in the background, so readiness recovers by itself.
const commandOptions: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, disconnectTimeout: 200 };

type Listener = (message: string) => void;
const SUBSCRIBE_TIMEOUT_MS = 3_000;

export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly sub: Redis) {
    sub.on('message', (channel: string, message: string) => {
      for (const l of this.listeners.get(channel) ?? []) l(message);
    });
  }

  /** Listen to one job's events; resolves once Redis confirmed the subscription. Returns the unsubscribe. */
  async subscribe(jobId: string, listener: Listener): Promise<() => void> {
    const channel = jobEventsChannel(jobId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    let timer: NodeJS.Timeout | undefined;
    try {
      // the subscriber queues commands while reconnecting; don't let a request wait forever
      await Promise.race([
        this.sub.subscribe(channel),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('Redis did not confirm the subscription')), SUBSCRIBE_TIMEOUT_MS))),
      ]);
    } catch (err) {
      this.remove(channel, listener);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return () => this.remove(channel, listener);
  }

  private remove(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) {
      this.listeners.delete(channel);
      this.sub.unsubscribe(channel).catch(() => {});
    }
  }

  get channelCount(): number {
    return this.listeners.size;
  }
}

export default fp<RedisPluginOptions>(
  async (app, opts) => {
    const redis = new Redis(opts.redisUrl, commandOptions);
    const sub = new Redis(opts.redisUrl, { ...commandOptions, maxRetriesPerRequest: null, enableOfflineQueue: true });
    // connection errors are expected while Redis is down (readyz reports them); don't crash
    for (const c of [redis, sub]) c.on('error', (err) => app.log.debug({ err: err.message }, 'redis connection error'));
    const owned = !opts.finetuneQueue;
    const queue = opts.finetuneQueue ?? createFinetuneQueue(opts.redisUrl, { prefix: opts.queuePrefix, redis: { connectTimeout: 2000, disconnectTimeout: 200 } });
    app.decorate('redis', redis);
    app.decorate('jobEvents', new JobEventHub(sub));
    app.decorate('finetuneQueue', queue);
    app.addHook('onClose', async () => {
      if (owned) await queue.close().catch(() => {});
      redis.disconnect();
      sub.disconnect();
    });
  },
  { name: 'redis' },
);
