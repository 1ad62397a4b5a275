import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeConfig, parseConfig } from '../src/config';
import { ropeInvFreq } from '../src/llama';
import { fixture } from './helpers';

const raw = (name: 'gpt2-tiny' | 'qwen3-tiny') => JSON.parse(fs.readFileSync(path.join(fixture(name), 'config.json'), 'utf8'));

describe('config.json parsing', () => {
  test('GPT-2', () => {
    const c = parseConfig(raw('gpt2-tiny'));
    expect(c).toMatchObject({ modelType: 'gpt2', vocabSize: 320, hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 4, headDim: 16, intermediateSize: 256, maxPositions: 64, normEps: 1e-5, tieWordEmbeddings: true, activation: 'gelu_new' });
  });

  test('Qwen3 with transformers 5 rope_parameters', () => {
    const c = parseConfig(raw('qwen3-tiny'));
    expect(c).toMatchObject({ modelType: 'qwen3', numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 128, ropeTheta: 10000, qkNorm: true, qkvBias: false, tieWordEmbeddings: true });
    const r = { ...raw('qwen3-tiny'), rope_parameters: { rope_type: 'default', rope_theta: 1e6 } };
    expect(parseConfig(r).ropeTheta).toBe(1e6);
  });

  test('older top-level rope_theta, Qwen2 biases, llama3 rope scaling', () => {
    const base = { ...raw('qwen3-tiny'), rope_parameters: undefined };
    expect(parseConfig({ ...base, rope_theta: 500000 }).ropeTheta).toBe(500000);
    const q2 = parseConfig({ ...base, model_type: 'qwen2', rope_theta: 1e6 });
    expect([q2.qkvBias, q2.oBias, q2.qkNorm]).toEqual([true, false, false]);
    const l3 = parseConfig({
      ...base,
      model_type: 'llama',
      rope_theta: 500000,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    });
    expect(l3.ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(l3.ropeTheta).toBe(500000);
  });

  test('errors name the problem', () => {
    expect(() => parseConfig({ ...raw('gpt2-tiny'), model_type: 'bert' }, 'x/config.json')).toThrow('x/config.json: unsupported model_type "bert" (supported: gpt2, llama, mistral, qwen2, qwen3)');
    expect(() => parseConfig({ model_type: 'gpt2' })).toThrow(/missing field "n_embd"/);
    expect(() => parseConfig({ ...raw('gpt2-tiny'), n_head: 'four' })).toThrow(/field "n_head" must be a number/);
    expect(() => parseConfig({ ...raw('qwen3-tiny'), rope_parameters: { rope_type: 'yarn', rope_theta: 1 } })).toThrow(/unsupported rope_type "yarn"/);
    expect(() => parseConfig({ ...raw('qwen3-tiny'), hidden_act: 'gelu' })).toThrow(/unsupported hidden_act "gelu"/);
  });

  test('makeConfig builds a config.json that parses back to itself', () => {
    const c = makeConfig({ modelType: 'qwen3', vocabSize: 100, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2 });
    expect(parseConfig(JSON.parse(JSON.stringify(c.raw)))).toEqual(c);
    expect(c.raw.architectures).toEqual(['Qwen3ForCausalLM']);
    const g = makeConfig({ modelType: 'gpt2', vocabSize: 50, hiddenSize: 16, numLayers: 1, numHeads: 2 });
    expect(g.intermediateSize).toBe(64);
  });
});

describe('rotary frequencies', () => {
  test('default: theta^(-2i/d); llama3: high frequencies kept, low ones / factor, smooth in between', () => {
    const base = makeConfig({ modelType: 'llama', vocabSize: 10, hiddenSize: 256, numLayers: 1, numHeads: 2, ropeTheta: 500000 });
    const plain = ropeInvFreq(base);
    expect(plain).toHaveLength(64);
    expect(plain[0]).toBe(1);
    expect(plain[10]).toBeCloseTo(500000 ** (-20 / 128), 7); // float32, as HF computes it
    const l3 = ropeInvFreq({ ...base, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } });
    const wavelen = (f: number) => (2 * Math.PI) / f;
    let medium = 0;
    for (let i = 0; i < 64; i++) {
      const w = wavelen(plain[i]);
      if (w < 8192 / 4) expect(l3[i]).toBe(plain[i]);
      else if (w > 8192) expect(l3[i]).toBeCloseTo(plain[i] / 8, 12);
      else {
        medium++;
        expect(l3[i]).toBeLessThanOrEqual(plain[i]);
        expect(l3[i]).toBeGreaterThanOrEqual(plain[i] / 8);
      }
    }
    expect(medium).toBeGreaterThan(0);
    const lin = ropeInvFreq({ ...base, ropeScaling: { type: 'linear', factor: 4 } });
    expect(lin[3]).toBeCloseTo(plain[3] / 4, 9);
  });
});
