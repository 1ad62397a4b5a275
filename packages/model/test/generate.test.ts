import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadModel } from '../src/load';
import { generate } from '../src/generate';
import type { KVCache } from '../src/types';
import { fixture, reference, relErr } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const refIds = Array.from(reference('qwen3-tiny').get('input_ids')!.data);
const prompts = [refIds.slice(0, 3), refIds.slice(3, 10), refIds.slice(16, 21)]; // lengths 3, 7, 5

describe.each(['gpt2-tiny', 'qwen3-tiny'] as const)('generate on %s', (arch) => {
  let model: ReturnType<typeof loadModel>;
  beforeAll(() => {
    model = loadModel(fixture(arch));
  });
  afterAll(() => model.dispose());

  test('batched left-padded greedy equals per-example unpadded greedy', () => {
    const batched = generate(model, prompts, { maxNewTokens: 8, eosTokenId: [] });
    const single = prompts.map((p) => generate(model, [p], { maxNewTokens: 8, eosTokenId: [] }).tokens[0]);
    expect(batched.tokens).toEqual(single);
    expect(batched.tokens.every((t) => t.length === 8)).toBe(true);
    expect(batched.finishReason).toEqual(['length', 'length', 'length']);
  });

  test('cached decoding gives the logits of a full recompute (with left padding)', () => {
    const B = prompts.length;
    const T = Math.max(...prompts.map((p) => p.length));
    const gen = generate(model, prompts, { maxNewTokens: 5, eosTokenId: [] }).tokens;
    const rows = prompts.map((p, i) => [...Array(T - p.length).fill(0), ...p, ...gen[i]]);
    const mask = prompts.map((p, i) => [...Array(T - p.length).fill(0), ...Array(p.length + gen[i].length).fill(1)]);
    const S = rows[0].length;
    const full = model.forward(tf.tensor2d(rows, [B, S], 'int32'), { attentionMask: tf.tensor2d(mask) });
    const fullLogits = full.logits.arraySync();
    // incremental: prompt with cache, then one token at a time
    let cache: KVCache | undefined;
    for (let pos = T - 1; pos < S; pos++) {
      const start = cache ? pos : 0;
      const ids = tf.tensor2d(rows.map((r) => r.slice(start, pos + 1)), [B, pos + 1 - start], 'int32');
      const r = model.forward(ids, { cache, useCache: true, attentionMask: tf.tensor2d(mask.map((m) => m.slice(0, pos + 1))) });
      cache = r.cache;
      const last = r.logits.arraySync().map((b) => b[b.length - 1]);
      for (let b = 0; b < B; b++) expect(relErr(last[b], fullLogits[b][pos])).toBeLessThan(1e-4);
    }
    expect(cache!.length).toBe(S);
    expect(cache!.layers[0].k.shape).toEqual([B, model.config.numKvHeads, S, model.config.headDim]);
  });

  test('sampling is seeded; top-p near 0 is greedy; stops on EOS', () => {
    const a = generate(model, prompts, { maxNewTokens: 6, temperature: 1.5, topP: 0.9, seed: 7, eosTokenId: [] });
    const b = generate(model, prompts, { maxNewTokens: 6, temperature: 1.5, topP: 0.9, seed: 7, eosTokenId: [] });
    const c = generate(model, prompts, { maxNewTokens: 6, temperature: 1.5, topP: 0.9, seed: 8, eosTokenId: [] });
    expect(a.tokens).toEqual(b.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
    const greedy = generate(model, prompts, { maxNewTokens: 6, eosTokenId: [] });
    expect(generate(model, prompts, { maxNewTokens: 6, temperature: 1, topP: 1e-9, seed: 1, eosTokenId: [] }).tokens).toEqual(greedy.tokens);
    // make the 3rd greedy token of prompt 0 the EOS: it stops there, the others run on
    const eos = greedy.tokens[0][2];
    const stopped = generate(model, prompts, { maxNewTokens: 6, eosTokenId: eos });
    expect(stopped.tokens[0]).toEqual(greedy.tokens[0].slice(0, greedy.tokens[0].indexOf(eos)));
    expect(stopped.finishReason[0]).toBe('eos');
  });

  test('leaves no tensors behind; bad input is named', () => {
    generate(model, prompts, { maxNewTokens: 2, eosTokenId: [] });
    const before = tf.memory().numTensors;
    generate(model, prompts, { maxNewTokens: 4, eosTokenId: [] });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => generate(model, [[1, 999]], { maxNewTokens: 2 })).toThrow('prompts[0][1] = 999 is not a token id (vocab size 320)');
    expect(() => generate(model, [[1]], { maxNewTokens: 2, topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
  });
});
