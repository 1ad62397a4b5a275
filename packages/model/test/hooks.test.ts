import * as tf from '@tensorflow/tfjs';
import { totalNeurons } from '@rimwatch/contracts';
import { initBackend } from '../src/backend';
import { loadModel } from '../src/load';
import { captureNeuronActivations, mlpHook, patternHook, residHook } from '../src/hooks';
import { poolTokens } from '../src/pool';
import { fixture, reference, relErr } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const ids = () => tf.tensor2d(reference('qwen3-tiny').get('input_ids')!.data as Int32Array, [2, 16], 'int32');

describe('forward hooks', () => {
  test('returns only the requested hooks with TransformerLens shapes; memory stays bounded', () => {
    const m = loadModel(fixture('qwen3-tiny'));
    const x = ids();
    tf.dispose(m.forward(x).logits); // first call builds (and keeps) the causal mask for this length
    const before = tf.memory().numTensors;
    const r = m.forward(x, { hooks: [mlpHook(1), patternHook(0), residHook(1)] });
    expect(Object.keys(r.hooks).sort()).toEqual(['blocks.0.attn.hook_pattern', 'blocks.1.hook_resid_post', 'blocks.1.mlp.hook_post']);
    expect(r.hooks[mlpHook(1)].shape).toEqual([2, 16, 128]);
    expect(r.hooks[patternHook(0)].shape).toEqual([2, 4, 16, 16]);
    expect(r.hooks[residHook(1)].shape).toEqual([2, 16, 64]);
    // logits + 3 hooks survive the forward pass, nothing else
    expect(tf.memory().numTensors - before).toBe(4);
    tf.dispose([r.logits, ...Object.values(r.hooks)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  test.each(['gpt2-tiny', 'qwen3-tiny'] as const)('%s: the last hook_resid_post, final norm and unembedding give the logits', (arch) => {
    const m = loadModel(fixture(arch));
    const x = tf.tensor2d(reference(arch).get('input_ids')!.data as Int32Array, [2, 16], 'int32');
    const r = m.forward(x, { hooks: [residHook(1)] });
    const resid = r.hooks[residHook(1)];
    const p = (n: string) => m.params.get(n)!;
    const logits = tf.tidy(() => {
      const xf =
        arch === 'gpt2-tiny'
          ? tf.add(tf.mul(tf.div(tf.sub(resid, tf.mean(resid, -1, true)), tf.sqrt(tf.add(tf.moments(resid, -1, true).variance, 1e-5))), p('transformer.ln_f.weight')), p('transformer.ln_f.bias'))
          : tf.mul(tf.div(resid, tf.sqrt(tf.add(tf.mean(tf.square(resid), -1, true), 1e-6))), p('model.norm.weight'));
      const emb = p(arch === 'gpt2-tiny' ? 'transformer.wte.weight' : 'model.embed_tokens.weight');
      return tf.matMul(xf.reshape([32, 64]), emb, false, true);
    });
    expect(relErr(logits.dataSync(), reference(arch).get('logits')!.data)).toBeLessThan(1e-4);
    tf.dispose([x, r.logits, resid, logits]);
    m.dispose();
  });

  test('unknown or out-of-range hook names are rejected', () => {
    const m = loadModel(fixture('gpt2-tiny'));
    const x = ids();
    expect(() => m.forward(x, { hooks: ['blocks.0.mlp.hook_pre'] })).toThrow(/unknown hook "blocks.0.mlp.hook_pre"/);
    expect(() => m.forward(x, { hooks: ['blocks.5.mlp.hook_post'] })).toThrow(/layer 5 out of range \(model has 2 layers\)/);
    x.dispose();
    m.dispose();
  });

  test('pooling max / mean / last over poolMask matches pooling the full activations on the host', () => {
    const m = loadModel(fixture('gpt2-tiny'));
    const x = ids();
    const mask = tf.tensor2d([Array.from({ length: 16 }, (_, t) => (t >= 3 && t < 11 ? 1 : 0)), Array.from({ length: 16 }, (_, t) => (t % 2 ? 1 : 0))]);
    const full = m.forward(x, { hooks: [mlpHook(0), patternHook(1)] });
    const act = full.hooks[mlpHook(0)].arraySync() as number[][][];
    const pat = full.hooks[patternHook(1)].arraySync() as number[][][][];
    const mk = mask.arraySync();
    for (const pool of ['max', 'mean', 'last'] as const) {
      const r = m.forward(x, { hooks: [mlpHook(0), patternHook(1)], pool, poolMask: mask, logits: false });
      expect(r.hooks[mlpHook(0)].shape).toEqual([2, 256]);
      expect(r.hooks[patternHook(1)].shape).toEqual([2, 4, 16]); // pooled over query positions
      const got = r.hooks[mlpHook(0)].arraySync() as number[][];
      const gotPat = r.hooks[patternHook(1)].arraySync() as number[][][];
      for (let b = 0; b < 2; b++) {
        const ts = mk[b].flatMap((v, t) => (v ? [t] : []));
        const red = (vals: number[]) => (pool === 'max' ? Math.max(...vals) : pool === 'mean' ? vals.reduce((a, c) => a + c, 0) / vals.length : vals[vals.length - 1]);
        const want = act[b][0].map((_, f) => red(ts.map((t) => act[b][t][f])));
        expect(relErr(got[b], want)).toBeLessThan(1e-5);
        const wantPat = pat[b].map((head) => head[0].map((_, s) => red(ts.map((t) => head[t][s]))));
        expect(relErr(gotPat[b].flat(), wantPat.flat())).toBeLessThan(1e-5);
      }
      tf.dispose([r.logits, ...Object.values(r.hooks)]);
    }
    tf.dispose([x, mask, full.logits, ...Object.values(full.hooks)]);
    m.dispose();
  });

  test('poolTokens: an example with no pooled token gives zeros; bad pool name is named', () => {
    const x = tf.tensor3d([[[1, -2], [3, 4]], [[-5, -6], [7, 8]]]);
    const mask = tf.tensor2d([[0, 0], [1, 0]]);
    expect(poolTokens(x, mask, 'max').arraySync()).toEqual([[0, 0], [-5, -6]]);
    expect(poolTokens(x, mask, 'mean').arraySync()).toEqual([[0, 0], [-5, -6]]);
    expect(poolTokens(x, mask, 'last').arraySync()).toEqual([[0, 0], [-5, -6]]);
    expect(poolTokens(x, undefined, 'last').arraySync()).toEqual([[3, 4], [7, 8]]);
    expect(() => poolTokens(x, mask, 'median' as never)).toThrow(/pool must be one of max, mean, last, none; got "median"/);
  });
});

describe('captureNeuronActivations', () => {
  test('one flat vector per example, layers concatenated in neuronLayout order, max-pooled', () => {
    const m = loadModel(fixture('qwen3-tiny'));
    const ref = reference('qwen3-tiny');
    const idRows = [0, 1].map((b) => Array.from(ref.get('input_ids')!.data.slice(b * 16, (b + 1) * 16)));
    const mask = [Array(16).fill(1), [...Array(8).fill(0), ...Array(8).fill(1)]];
    captureNeuronActivations(m, idRows, mask, 'max'); // warm-up: builds the cached causal mask
    const before = tf.memory().numTensors;
    const vecs = captureNeuronActivations(m, idRows, mask, 'max', { batchSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(vecs).toHaveLength(2);
    expect(vecs[0].length).toBe(totalNeurons(m.neuronLayout));
    // against the HF reference activations (mlp_act.{i} is blocks.{i}.mlp.hook_post)
    for (let b = 0; b < 2; b++) {
      for (let layer = 0; layer < 2; layer++) {
        const act = ref.get(`mlp_act.${layer}`)!.data;
        const want = Array.from({ length: 128 }, (_, f) => {
          let best = -Infinity;
          for (let t = 0; t < 16; t++) if (mask[b][t]) best = Math.max(best, act[(b * 16 + t) * 128 + f]);
          return best;
        });
        expect(relErr(vecs[b].subarray(layer * 128, (layer + 1) * 128), want)).toBeLessThan(1e-4);
      }
    }
    expect(() => captureNeuronActivations(m, idRows, [[1]], 'max')).toThrow(/mask must be \[2, 16\] like batchIds, got \[1,1\]/);
    m.dispose();
  });
});
