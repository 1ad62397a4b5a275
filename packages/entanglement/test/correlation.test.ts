import fc from 'fast-check';
import { averageRanks, correlationPValue, pearson, spearman } from '../src';

describe('pearson', () => {
  it("reproduces the paper's p = 0.003 for r = 0.891, n = 8", () => {
    // t = 0.891·√(6 / (1 − 0.891²)) = 4.8072; two-sided p with 6 df = 0.002979 (scipy: 0.002978670787955871)
    const p = correlationPValue(0.891, 8);
    expect(p).toBeCloseTo(0.002978670787955871, 9);
    expect(p.toFixed(3)).toBe('0.003');
  });

  it('reproduces t-table critical values (6 df: t = 2.446912 -> p = 0.05, t = 3.707428 -> p = 0.01)', () => {
    // r = t / √(df + t²)
    const rOf = (t: number) => t / Math.sqrt(6 + t * t);
    expect(correlationPValue(rOf(2.446912), 8)).toBeCloseTo(0.05, 6);
    expect(correlationPValue(rOf(3.707428), 8)).toBeCloseTo(0.01, 6);
    expect(correlationPValue(-rOf(2.446912), 8)).toBeCloseTo(0.05, 6); // two-sided
    expect(correlationPValue(0, 10)).toBe(1);
  });

  it('matches scipy.stats.pearsonr on a series', () => {
    // Σ(x−x̄)(y−ȳ) = 37, Σ(x−x̄)² = 42, Σ(y−ȳ)² = 42 -> r = 37/42 = 0.880952…
    const r = pearson([1, 2, 3, 4, 5, 6, 7, 8], [1, 3, 2, 5, 4, 7, 8, 6]);
    expect(r.r).toBeCloseTo(37 / 42, 12);
    expect(r.p).toBeCloseTo(0.0038503204637324122, 10);
    expect(r.n).toBe(8);
    const s = pearson([0.1, 0.4, 0.4, 0.9, 1.2, 1.2, 1.2, 2.0], [3, 1, 4, 1, 5, 9, 2, 6]);
    expect(s.r).toBeCloseTo(0.4868716134824901, 10);
    expect(s.p).toBeCloseTo(0.22111923390809404, 8);
  });

  it('gives r = ±1, p = 0 for a perfect line, NaN for a constant series', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toEqual({ r: 1, p: 0, n: 3 });
    expect(pearson([1, 2, 3], [6, 4, 2])).toEqual({ r: -1, p: 0, n: 3 });
    const c = pearson([1, 2, 3], [5, 5, 5]);
    expect(c.r).toBeNaN();
    expect(c.p).toBeNaN();
  });

  it('is symmetric, bounded and invariant under positive affine maps (property)', () => {
    // values on a 0.01 grid: no subnormals, whose products underflow
    const points = fc.array(fc.tuple(fc.integer({ min: -1e5, max: 1e5 }), fc.integer({ min: -1e5, max: 1e5 })), { minLength: 3, maxLength: 30 });
    const scale = fc.double({ min: 0.1, max: 100, noNaN: true });
    const shift = fc.double({ min: -100, max: 100, noNaN: true });
    fc.assert(
      fc.property(points, scale, shift, (pts, a, b) => {
        const x = pts.map(([u]) => u / 100);
        const y = pts.map(([, w]) => w / 100);
        const r = pearson(x, y);
        fc.pre(!Number.isNaN(r.r));
        expect(Math.abs(r.r)).toBeLessThanOrEqual(1);
        expect(pearson(y, x).r).toBeCloseTo(r.r, 9);
        expect(pearson(x.map((v) => a * v + b), y).r).toBeCloseTo(r.r, 6);
        expect(r.p).toBeGreaterThanOrEqual(0);
        expect(r.p).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('rejects bad input with an error naming the field', () => {
    expect(() => pearson([1, 2], [1, 2])).toThrow(/need at least 3 points/);
    expect(() => pearson([1, 2, 3], [1, 2])).toThrow(/x and y must have the same length, got 3 and 2/);
    expect(() => pearson([1, NaN, 3], [1, 2, 3])).toThrow(/x\[1\] must be a finite number, got NaN/);
    expect(() => pearson([1, 2, 3], [1, 2, Infinity])).toThrow(/y\[2\] must be a finite number/);
  });
});

describe('spearman', () => {
  it('uses average ranks for ties', () => {
    // [10, 20, 20, 30] -> ranks 1, (2+3)/2, (2+3)/2, 4
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([5, 5, 5]))).toEqual([2, 2, 2]);
  });

  it('matches scipy.stats.spearmanr, with ties', () => {
    const s = spearman([0.1, 0.4, 0.4, 0.9, 1.2, 1.2, 1.2, 2.0], [3, 1, 4, 1, 5, 9, 2, 6]);
    expect(s.rho).toBeCloseTo(0.5495502618648208, 10);
    expect(s.p).toBeCloseTo(0.15825612767878006, 8);
    expect(s.n).toBe(8);
  });

  it('is 1 for any increasing relation (monotone invariance)', () => {
    // x³ is not linear in x, but the ranks agree
    expect(spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125]).rho).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1]).rho).toBeCloseTo(-1, 12);
  });
});
