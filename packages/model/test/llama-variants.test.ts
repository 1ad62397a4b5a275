/** Llama-family options the HF fixtures do not cover: Mistral sliding window, Qwen2 biases, untied heads. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { makeConfig, parseConfig } from '../src/config';
import { createModel } from '../src/load';
import { relErr } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const last = (t: tf.Tensor3D) => {
  const a = t.arraySync();
  return a[0][a[0].length - 1];
};

describe('Mistral sliding window', () => {
  const raw = makeConfig({ modelType: 'mistral', vocabSize: 50, hiddenSize: 32, numLayers: 1, numHeads: 4, numKvHeads: 2, maxPositions: 64 }).raw;
  const tokens = [3, 14, 15, 9, 26, 5, 35, 8, 9, 7];

  test('with one layer, the last logits depend only on the last `window` tokens (rotary is relative)', () => {
    const windowed = createModel(parseConfig({ ...raw, sliding_window: 4 }), { seed: 2 });
    const full = windowed.forward(tf.tensor2d([tokens], undefined, 'int32')).logits;
    const tail = windowed.forward(tf.tensor2d([tokens.slice(-4)], undefined, 'int32')).logits;
    expect(relErr(last(full), last(tail))).toBeLessThan(1e-5);
    // a model without the window sees the whole sequence
    const plain = createModel(parseConfig({ ...raw, sliding_window: null }), { params: windowed.params });
    expect(relErr(last(plain.forward(tf.tensor2d([tokens], undefined, 'int32')).logits), last(tail))).toBeGreaterThan(1e-3);
    // cached decoding applies the window to the single new token as well
    const pre = windowed.forward(tf.tensor2d([tokens.slice(0, -1)], undefined, 'int32'), { useCache: true });
    const step = windowed.forward(tf.tensor2d([tokens.slice(-1)], undefined, 'int32'), { cache: pre.cache });
    expect(relErr(last(step.logits), last(full))).toBeLessThan(1e-5);
    windowed.dispose();
  });

  test('Qwen2/3 per-layer sliding windows are refused, not ignored', () => {
    expect(() => parseConfig({ ...raw, model_type: 'qwen2', use_sliding_window: true })).toThrow(/use_sliding_window is not supported for qwen2/);
  });
});

describe('Qwen2 biases and untied lm_head', () => {
  test('q/k/v biases and lm_head.weight are parameters and change the output', () => {
    const cfg = parseConfig({ ...makeConfig({ modelType: 'qwen2', vocabSize: 40, hiddenSize: 16, numLayers: 1, numHeads: 2, tieWordEmbeddings: false }).raw });
    const m = createModel(cfg, { seed: 4 });
    expect(m.params.has('model.layers.0.self_attn.q_proj.bias')).toBe(true);
    expect(m.params.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(m.params.get('lm_head.weight')!.shape).toEqual([40, 16]);
    const ids = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    const before = m.forward(ids).logits.dataSync();
    m.params.get('model.layers.0.self_attn.v_proj.bias')!.assign(tf.ones([16]));
    expect(relErr(m.forward(ids).logits.dataSync(), before)).toBeGreaterThan(1e-4);
    m.params.get('lm_head.weight')!.assign(tf.zeros([40, 16]));
    expect(Math.max(...Array.from(m.forward(ids).logits.dataSync()).map(Math.abs))).toBe(0);
    m.dispose();
  });
});
