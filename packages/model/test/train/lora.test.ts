import * as tf from '@tensorflow/tfjs';
import { addLora, loraTargetWeights, mergeLora, parsePeftName, peftName } from '../../src/train/lora';
import { tinyModel, tinyNames } from './tiny-model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ids = () => tf.tensor2d([[1, 5, 9, 3, 7], [2, 2, 8, 30, 0]], [2, 5], 'int32');

function logits(m: ReturnType<typeof tinyModel>): Float32Array {
  const x = ids();
  const { logits: l } = m.forward(x);
  const out = l.dataSync() as Float32Array;
  l.dispose();
  x.dispose();
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(['llama', 'gpt2'] as const)('LoRA on a %s-layout model', (style) => {
  const n = tinyNames(style);

  it('selects targets by suffix, path segment, regex and all-linear; never embeddings', () => {
    const m = tinyModel({ style });
    const up = style === 'gpt2' ? 'c_fc' : 'up_proj';
    expect(loraTargetWeights(m, [up])).toEqual([n.up]);
    expect(loraTargetWeights(m, ['mlp']).sort()).toEqual([n.down, n.up].sort());
    expect(loraTargetWeights(m, ['all-linear']).sort()).toEqual([n.down, n.mix, n.up].sort());
    expect(loraTargetWeights(m, ['/proj/'])).not.toContain(n.emb);
    m.dispose();
  });

  it('a fresh adapter leaves the model unchanged (B = 0), A is seeded', () => {
    const m = tinyModel({ style });
    const before = logits(m);
    const names = addLora(m, { rank: 4, alpha: 8, targets: ['mlp'], seed: 3 });
    expect(names.length).toBe(2);
    const ad = m.adapters.get(n.up)!;
    expect(ad.scale).toBe(2);
    const inF = style === 'gpt2' ? m.params.get(n.up)!.shape[0] : m.params.get(n.up)!.shape[1];
    expect(ad.a.shape).toEqual([4, inF]);
    expect(tf.max(tf.abs(ad.a)).dataSync()[0]).toBeGreaterThan(0);
    expect(maxAbsDiff(logits(m), before)).toBe(0);
    const m2 = tinyModel({ style });
    addLora(m2, { rank: 4, alpha: 8, targets: ['mlp'], seed: 3 });
    expect([...m2.adapters.get(n.up)!.a.dataSync()]).toEqual([...ad.a.dataSync()]);
    m.dispose();
    m2.dispose();
  });

  it('merged forward equals adapted forward, and the adapters are gone', () => {
    const m = tinyModel({ style });
    const base = logits(m);
    addLora(m, { rank: 3, alpha: 6, targets: ['all-linear'], seed: 1 });
    for (const ad of m.adapters.values()) ad.b.assign(tf.randomNormal(ad.b.shape, 0, 0.3, 'float32', 9));
    const adapted = logits(m);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-2); // the adapters really do something
    mergeLora(m);
    expect(m.adapters.size).toBe(0);
    const merged = logits(m);
    const scale = Math.max(...adapted.map(Math.abs));
    expect(maxAbsDiff(merged, adapted) / scale).toBeLessThan(1e-5);
    m.dispose();
  });

  it('errors name the problem', () => {
    const m = tinyModel({ style });
    expect(() => addLora(m, { rank: 2, alpha: 4, targets: ['nothing_here'], seed: 1 })).toThrow(/match no linear layer/);
    expect(() => addLora(m, { rank: 0, alpha: 4, targets: ['mlp'], seed: 1 })).toThrow(/lora\.rank/);
    expect(() => addLora(m, { rank: 2, alpha: 4, targets: [], seed: 1 })).toThrow(/lora\.targets/);
    addLora(m, { rank: 2, alpha: 4, targets: ['mlp'], seed: 1 });
    expect(() => addLora(m, { rank: 2, alpha: 4, targets: ['mlp'], seed: 1 })).toThrow(/already has a LoRA adapter/);
    m.dispose();
  });
});

test('PEFT tensor names round-trip', () => {
  const w = 'model.layers.3.self_attn.q_proj.weight';
  expect(peftName(w, 'A')).toBe('base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight');
  expect(parsePeftName(peftName(w, 'B'))).toEqual({ weightName: w, which: 'B' });
  expect(parsePeftName('model.norm.weight')).toBeUndefined();
});
