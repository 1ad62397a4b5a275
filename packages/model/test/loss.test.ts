import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { causalLmLoss } from '../src/loss';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Reference in float64 JS: mean over unmasked targets of logsumexp(row) - row[target]. */
function naive(logits: number[][][], ids: number[][], mask?: number[][]): number {
  let sum = 0;
  let n = 0;
  for (let b = 0; b < ids.length; b++) {
    for (let t = 0; t + 1 < ids[b].length; t++) {
      const w = mask ? mask[b][t + 1] : 1;
      if (!w) continue;
      const row = logits[b][t];
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
      sum += w * (lse - row[ids[b][t + 1]]);
      n += w;
    }
  }
  return sum / n;
}

describe('causalLmLoss', () => {
  const B = 2;
  const T = 5;
  const V = 7;
  const logits = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from({ length: V }, (_, v) => Math.sin(b * 31 + t * 7 + v * 3) * 4)));
  const ids = [
    [1, 2, 3, 4, 5],
    [6, 0, 1, 2, 3],
  ];

  test('all-ones mask equals the unmasked mean over B x (T-1) shifted targets', () => {
    const got = causalLmLoss(tf.tensor3d(logits), tf.tensor2d(ids, undefined, 'int32')).dataSync()[0];
    expect(got).toBeCloseTo(naive(logits, ids), 5);
    const ones = causalLmLoss(tf.tensor3d(logits), tf.tensor2d(ids, undefined, 'int32'), tf.ones([B, T]) as tf.Tensor2D).dataSync()[0];
    expect(ones).toBeCloseTo(got, 6);
  });

  test('mask selects TARGET tokens: prompt and padding do not count', () => {
    // row 0: prompt = first 2 tokens; row 1: left padding (1 token) + prompt (2) + response
    const mask = [
      [0, 0, 1, 1, 1],
      [0, 0, 0, 1, 1],
    ];
    const got = causalLmLoss(tf.tensor3d(logits), tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(mask)).dataSync()[0];
    expect(got).toBeCloseTo(naive(logits, ids, mask), 5);
    expect(got).not.toBeCloseTo(naive(logits, ids), 3);
  });

  test('numerically stable for huge logits; gradient is finite', () => {
    const big = logits.map((r) => r.map((row) => row.map((x) => x * 1e4)));
    const x = tf.tensor3d(big);
    const idsT = tf.tensor2d(ids, undefined, 'int32');
    const got = causalLmLoss(x, idsT).dataSync()[0];
    expect(Number.isFinite(got)).toBe(true);
    expect(got).toBeCloseTo(naive(big, ids), -1); // float32 of values ~1e4: agree to ~0.5
    const g = tf.grad((l: tf.Tensor) => causalLmLoss(l as tf.Tensor3D, idsT))(x);
    expect(g.dataSync().every(Number.isFinite)).toBe(true);
  });

  test('no target token gives 0, not NaN; bad shapes are named', () => {
    expect(causalLmLoss(tf.tensor3d(logits), tf.tensor2d(ids, undefined, 'int32'), tf.zeros([B, T]) as tf.Tensor2D).dataSync()[0]).toBe(0);
    expect(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d([[1, 2]], undefined, 'int32'))).toThrow(/inputIds must be \[2, 5\]/);
    expect(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d(ids, undefined, 'int32'), tf.ones([2, 4]) as tf.Tensor2D)).toThrow(/lossMask must be \[2, 5\]/);
  });
});
