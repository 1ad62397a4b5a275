import * as tf from '@tensorflow/tfjs';
import { AdamW } from '../../src/train/adamw';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Plain-number AdamW as torch.optim.AdamW computes it. */
function reference(p: number, grads: number[], lr: number, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    p -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
  });
  return p;
}

describe('AdamW', () => {
  it('matches the torch AdamW formulas, with decoupled decay on matrices only', () => {
    const w = tf.variable(tf.tensor2d([[0.5, -1.5]]));
    const bias = tf.variable(tf.tensor1d([2]));
    const opt = new AdamW(new Map<string, tf.Variable>([['w', w], ['b', bias]]), { weightDecay: 0.1 });
    const gs = [
      [0.3, -2, 1],
      [0.1, 4, -0.5],
      [-0.2, 0.5, 0.25],
    ];
    for (const [g0, g1, gb] of gs) {
      const grads = new Map<string, tf.Tensor>([['w', tf.tensor2d([[g0, g1]])], ['b', tf.tensor1d([gb])]]);
      opt.apply(grads, 0.01);
      grads.forEach((g) => g.dispose());
    }
    const [w0, w1] = w.dataSync();
    expect(w0).toBeCloseTo(reference(0.5, gs.map((g) => g[0]), 0.01, 0.1), 6);
    expect(w1).toBeCloseTo(reference(-1.5, gs.map((g) => g[1]), 0.01, 0.1), 6);
    expect(bias.dataSync()[0]).toBeCloseTo(reference(2, gs.map((g) => g[2]), 0.01, 0), 6); // no decay on vectors
    expect(opt.t).toBe(3);
    opt.dispose();
    w.dispose();
    bias.dispose();
  });

  it('first step moves each weight by ~lr (bias correction), scaled grads give the same direction', () => {
    const w = tf.variable(tf.tensor1d([0, 0]));
    const opt = new AdamW(new Map([['w', w]]));
    const g = tf.tensor1d([1e-3, -50]);
    opt.apply(new Map([['w', g]]), 0.1, 0.5);
    const [a, b] = w.dataSync();
    expect(a).toBeCloseTo(-0.1, 4);
    expect(b).toBeCloseTo(0.1, 4);
    g.dispose();
    opt.dispose();
    w.dispose();
  });
});
