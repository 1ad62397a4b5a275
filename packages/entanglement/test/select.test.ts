import fc from 'fast-check';
import { topKIndices } from '../src/select';

/** Reference: full stable sort by value descending, ties by lower index. */
function bySort(values: number[], k: number): number[] {
  return values
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

describe('topKIndices', () => {
  it('picks the k largest, in ascending index order', () => {
    // values 3,9,1,7,5: the top 2 are 9 (index 1) and 7 (index 3)
    expect(Array.from(topKIndices(Float64Array.from([3, 9, 1, 7, 5]), 2))).toEqual([1, 3]);
  });

  it('breaks ties at the k-th value toward lower indices', () => {
    // 5 is the largest (index 2); the second slot is a tie between the 4s at 0, 3, 4 -> index 0
    expect(Array.from(topKIndices(Float64Array.from([4, 1, 5, 4, 4]), 2))).toEqual([0, 2]);
    expect(Array.from(topKIndices(new Float64Array(6), 3))).toEqual([0, 1, 2]);
  });

  it('handles k = 0 and k = n', () => {
    expect(topKIndices(Float64Array.from([1, 2]), 0).length).toBe(0);
    expect(Array.from(topKIndices(Float64Array.from([1, 2, -1]), 3))).toEqual([0, 1, 2]);
    expect(() => topKIndices(Float64Array.from([1, 2]), 3)).toThrow(/k must be an integer in 0..2/);
  });

  it('agrees with a full sort (property, many duplicates)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 200 }),
        fc.nat(),
        (vals, kSeed) => {
          const k = kSeed % (vals.length + 1);
          expect(Array.from(topKIndices(Float64Array.from(vals), k))).toEqual(bySort(vals, k));
        },
      ),
    );
  });

  it('agrees with a full sort on float32 data', () => {
    fc.assert(
      fc.property(fc.float32Array({ noNaN: true, minLength: 1, maxLength: 300 }), fc.nat(), (vals, kSeed) => {
        const k = kSeed % (vals.length + 1);
        // -0 and 0 are equal values: compare against the sort on the same numbers
        expect(Array.from(topKIndices(vals, k))).toEqual(bySort(Array.from(vals), k));
      }),
    );
  });

  describe('large inputs (sampled threshold path, n ≥ 32768 and k ≤ n/8)', () => {
    it('agrees with a full sort on random data with ties (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 2, max: 1000 }), (seed, k, levels) => {
          let st = seed;
          const vals = Array.from({ length: 40000 }, () => {
            st = (Math.imul(st, 48271) >>> 0) % 2147483647;
            return st % levels; // few levels -> many ties at the threshold
          });
          expect(Array.from(topKIndices(Float64Array.from(vals), k))).toEqual(bySort(vals, k));
        }),
        { numRuns: 15 },
      );
    });

    it('stays exact when the sample sees only ties (candidate overflow -> full select)', () => {
      // all zeros except a few ones the strided sample (every 8th from index 4) never sees
      const vals = new Array(32768).fill(0);
      for (const i of [1, 2, 3, 100, 30001]) vals[i] = 1;
      expect(Array.from(topKIndices(Float64Array.from(vals), 7))).toEqual([0, 1, 2, 3, 4, 100, 30001]);
    });

    it('stays exact when the sample overestimates the threshold (too few candidates -> full select)', () => {
      // n = 65536: the sample reads indices 16j + 8, which hold 100; everything else is < 100.
      // k = 6000 > the 4096 hundreds, so the candidates (≥ 100) are too few.
      const vals = Array.from({ length: 65536 }, (_, i) => (i % 16 === 8 ? 100 : (i * 7919) % 50));
      expect(Array.from(topKIndices(Float64Array.from(vals), 6000))).toEqual(bySort(vals, 6000));
    });
  });
});
