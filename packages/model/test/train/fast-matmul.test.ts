import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { registerFastCpuSegmentSum, registerFastTransposedMatMul, restoreMatMul } from '../../src/train/fast-matmul';

const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [2, 3, 6, 4], b: [2, 3, 4, 5], ta: false, tb: false }, // batched (attention-like)
  { a: [2, 3, 6, 4], b: [2, 3, 5, 4], ta: false, tb: true },
  { a: [2, 3, 4, 6], b: [2, 3, 4, 5], ta: true, tb: false },
  { a: [4, 6, 4], b: [1, 4, 5], ta: false, tb: false }, // broadcast batch: left to the original kernel
  { a: [4, 6, 4], b: [5, 4], ta: false, tb: true },
];

function values(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((x, y) => x * y, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.7));
}

describe('fast wasm BatchMatMul', () => {
  const reference: Float32Array[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
    for (const [i, c] of cases.entries()) {
      reference.push(tf.tidy(() => tf.matMul(tf.tensor(values(c.a, i), c.a), tf.tensor(values(c.b, i + 50), c.b), c.ta, c.tb).dataSync() as Float32Array));
    }
    await initBackend('wasm');
  });
  afterAll(() => restoreMatMul('wasm'));

  it('matches the cpu backend for plain, transposed, batched and broadcast products, without leaking', () => {
    expect(registerFastTransposedMatMul('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    // temporaries made inside the kernel are backend data the engine does not count: ask the backend
    const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const buffers = dataIds();
    for (const [i, c] of cases.entries()) {
      const got = tf.tidy(() => tf.matMul(tf.tensor(values(c.a, i), c.a), tf.tensor(values(c.b, i + 50), c.b), c.ta, c.tb).dataSync() as Float32Array);
      expect(got.length).toBe(reference[i].length);
      const scale = Math.max(...reference[i].map(Math.abs));
      for (let j = 0; j < got.length; j++) expect(Math.abs(got[j] - reference[i][j]) / scale).toBeLessThan(1e-5);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(dataIds()).toBe(buffers);
  });

  it('gradients through matMul are unchanged', () => {
    const a = tf.tensor(values([3, 4, 6], 1), [3, 4, 6]);
    const b = tf.tensor(values([3, 5, 6], 2), [3, 5, 6]);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true)));
    restoreMatMul('wasm');
    const [ga0, gb0] = tf.grads(f)([a, b]).map((g) => g.dataSync());
    registerFastTransposedMatMul('wasm');
    const [ga1, gb1] = tf.grads(f)([a, b]).map((g) => g.dataSync());
    const close = (x: ArrayLike<number>, y: ArrayLike<number>) => {
      const s = Math.max(...Array.from(y, Math.abs));
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i]) / s).toBeLessThan(1e-5);
    };
    close(ga1, ga0);
    close(gb1, gb0);
  });
});

describe('fast cpu UnsortedSegmentSum', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('gives the same gather gradients as the tfjs kernel (embedding rows, repeated and out-of-range ids)', () => {
    const table = tf.tensor2d(values([6, 3], 4), [6, 3]);
    const idx = tf.tensor1d([0, 5, 5, 2, 0, 0], 'int32');
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), tf.tensor2d(values([6, 3], 5), [6, 3])));
    const before = tf.grad(f)(table).dataSync().slice();
    const direct0 = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 2, 7, 2], 'int32'), 3).dataSync().slice();
    expect(registerFastCpuSegmentSum()).toBe(true);
    const after = tf.grad(f)(table).dataSync();
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i], 6));
    expect([...before.slice(3, 6)]).toEqual([0, 0, 0]); // row 1 never gathered
    const direct1 = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 2, 7, 2], 'int32'), 3).dataSync();
    expect([...direct1]).toEqual([...direct0]);
    expect([...direct1]).toEqual([1, 0, 6]);
  });
});
