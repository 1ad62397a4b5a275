import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { jobEventsChannel } from '@rimwatch/contracts';
import { JobEventHub } from '../src/plugins/redis';
import { REDIS_URL } from './helpers';

describe('JobEventHub (real Redis)', () => {
  const sub = new Redis(REDIS_URL);
  const pub = new Redis(REDIS_URL);
  afterAll(() => {
    sub.disconnect();
    pub.disconnect();
  });

  it('shares one Redis subscription per job between listeners and releases it with the last one', async () => {
    const hub = new JobEventHub(sub);
    const jobId = randomUUID();
    const a: string[] = [];
    const b: string[] = [];
    const offA = await hub.subscribe(jobId, (m) => a.push(m));
    const offB = await hub.subscribe(jobId, (m) => b.push(m));
    expect(hub.channelCount).toBe(1);
    expect(await pub.publish(jobEventsChannel(jobId), 'one')).toBe(1); // one subscribed connection
    await new Promise((r) => setTimeout(r, 50));
    expect(a).toEqual(['one']);
    expect(b).toEqual(['one']);
    offA();
    await pub.publish(jobEventsChannel(jobId), 'two');
    await new Promise((r) => setTimeout(r, 50));
    expect(a).toEqual(['one']);
    expect(b).toEqual(['one', 'two']);
    offB();
    expect(hub.channelCount).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(await pub.publish(jobEventsChannel(jobId), 'three')).toBe(0);
  });
});
