/** The linear helper applies model.adapters, so LoRA (train/) works without touching the architectures. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createModel } from '../src/load';
import { makeConfig } from '../src/config';
import { linear } from '../src/layers';
import { relErr } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('linear + LoRA adapters', () => {
  test('y = x W^T + (x A^T B^T) * scale for nn.Linear, and x W + ... for GPT-2 Conv1D', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const w = tf.variable(tf.randomNormal([5, 4], 0, 1, 'float32', 2)); // [out, in]
    const wc = tf.variable(w.transpose()); // Conv1D layout [in, out]
    const a = tf.variable(tf.randomNormal([2, 4], 0, 1, 'float32', 3)); // [r, in]
    const b = tf.variable(tf.randomNormal([5, 2], 0, 1, 'float32', 4)); // [out, r]
    const m = { params: new Map([['l.weight', w], ['c.weight', wc]]), adapters: new Map() };
    const base = linear(m, x, 'l.weight');
    expect(base.shape).toEqual([2, 3, 5]);
    m.adapters.set('l.weight', { a, b, scale: 0.5 });
    m.adapters.set('c.weight', { a, b, scale: 0.5 });
    const want = tf.add(tf.matMul(x.reshape([6, 4]), w, false, true), tf.mul(tf.matMul(tf.matMul(x.reshape([6, 4]), a, false, true), b, false, true), 0.5));
    expect(relErr(linear(m, x, 'l.weight').dataSync(), want.dataSync())).toBeLessThan(1e-6);
    expect(relErr(linear(m, x, 'c.weight', { conv1d: true }).dataSync(), want.dataSync())).toBeLessThan(1e-6);
  });

  test.each(['gpt2', 'qwen3'] as const)('%s: an adapter changes the logits and receives gradients; B = 0 changes nothing', (modelType) => {
    const cfg = makeConfig({ modelType, vocabSize: 30, hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositions: 32 });
    const m = createModel(cfg, { seed: 5 });
    const ids = tf.tensor2d([[1, 2, 3, 4]], undefined, 'int32');
    const target = modelType === 'gpt2' ? 'transformer.h.1.mlp.c_fc.weight' : 'model.layers.1.mlp.up_proj.weight';
    const base = m.forward(ids).logits.dataSync();
    const a = tf.variable(tf.randomNormal([2, 16], 0, 1, 'float32', 6));
    const b = tf.variable(tf.zeros([64, 2]));
    m.adapters.set(target, { a, b, scale: 2 });
    expect(m.forward(ids).logits.dataSync()).toEqual(base);
    b.assign(tf.randomNormal([64, 2], 0, 1, 'float32', 7));
    expect(relErr(m.forward(ids).logits.dataSync(), base)).toBeGreaterThan(1e-3);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(ids).logits)) as tf.Scalar, [a, b]);
    expect(grads[a.name].shape).toEqual([2, 16]);
    expect(tf.abs(grads[b.name]).sum().dataSync()[0]).toBeGreaterThan(0);
    m.dispose();
  });
});
