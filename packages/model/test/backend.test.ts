import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';

describe('initBackend', () => {
  test('wasm and cpu initialise by name', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  test('RIMWATCH_BACKEND is the default', async () => {
    const old = process.env.RIMWATCH_BACKEND;
    process.env.RIMWATCH_BACKEND = 'cpu';
    try {
      expect(await initBackend()).toBe('cpu');
    } finally {
      if (old === undefined) delete process.env.RIMWATCH_BACKEND;
      else process.env.RIMWATCH_BACKEND = old;
    }
  });

  test('tensorflow without tfjs-node says how to install it', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(/needs @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node, which are not installed.*npm install @tensorflow\/tfjs-node-gpu@4.22/);
  });

  test('auto falls back to wasm here (no libtensorflow, no GPU adapter) and logs its choice', async () => {
    const logs: string[] = [];
    expect(await initBackend('auto', { log: (m) => logs.push(m) })).toBe('wasm');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/using tfjs backend "wasm" \(skipped tensorflow: .*; webgpu: /);
  });

  test('unknown names are rejected', async () => {
    await expect(initBackend('tpu')).rejects.toThrow('unknown backend "tpu" (expected one of: auto, tensorflow, webgpu, wasm, cpu)');
  });

  test('wasm has a working UnsortedSegmentSum (gather gradient)', async () => {
    await initBackend('wasm');
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([2, 0, 2], 'int32')), tf.tensor2d([[1, 10], [100, 1000], [2, 20]]))))(table);
    expect(g.arraySync()).toEqual([[100, 1000], [0, 0], [3, 30]]);
  });
});
