import fc from 'fast-check';
import { ActivationMean, harmonicRas, meanActivations, rasForSets, reciprocalActivationShift, type RasActivations } from '../src';

const f = (...v: number[]) => Float32Array.from(v);

// Four neurons, all activations positive (the paper's domain):
//   safety:    a0 = [2, 1, 3, 1],  aτ = [1, 1, 4, 0.5]
//     j0: 2 > 1   -> (2−1)/1 · 2     = 2
//     j1: equal   -> not in the sum
//     j2: 3 < 4   -> not in the sum
//     j3: 1 > 0.5 -> (1−0.5)/0.5 · 1 = 1
//     δ⁻safe = (2 + 1) / 4 = 0.75, nSafe = 2
//   reasoning: r0 = [1, 2, 2, 4],  rτ = [2, 2, 1, 5]
//     j0: 2 > 1   -> (2−1)/1 · 2     = 2
//     j3: 5 > 4   -> (5−4)/4 · 5     = 1.25
//     δ⁺reason = (2 + 1.25) / 4 = 0.8125, nReason = 2
//   RAS = 2 · 0.75 · 0.8125 / (0.75 + 0.8125) = 1.21875 / 1.5625 = 0.78
const acts: RasActivations = {
  safetyBase: f(2, 1, 3, 1),
  safetyTuned: f(1, 1, 4, 0.5),
  reasoningBase: f(1, 2, 2, 4),
  reasoningTuned: f(2, 2, 1, 5),
};

const one = (a0: number, aT: number, r0: number, rT: number): RasActivations => ({
  safetyBase: f(a0),
  safetyTuned: f(aT),
  reasoningBase: f(r0),
  reasoningTuned: f(rT),
});

describe('reciprocalActivationShift', () => {
  it('matches the hand-computed example over all neurons', () => {
    const r = reciprocalActivationShift(acts);
    expect(r.deltaSafe).toBeCloseTo(0.75, 12);
    expect(r.deltaReason).toBeCloseTo(0.8125, 12);
    expect(r.ras).toBeCloseTo(0.78, 12);
    expect(r).toMatchObject({ nSafe: 2, nReason: 2, n: 4 });
  });

  it('divides by the size of the neuron set, not by the neurons that entered the sum', () => {
    // S = {0, 2}: δ⁻ = 2/2 = 1 (only j0 entered), δ⁺ = 2/2 = 1, RAS = 2·1·1/2 = 1
    expect(reciprocalActivationShift(acts, [0, 2])).toEqual({ deltaSafe: 1, deltaReason: 1, ras: 1, nSafe: 1, nReason: 1, n: 2 });
    // S = {1}: nothing moved -> all 0
    expect(reciprocalActivationShift(acts, [1])).toEqual({ deltaSafe: 0, deltaReason: 0, ras: 0, nSafe: 0, nReason: 0, n: 1 });
  });

  it('returns zeros for an empty set', () => {
    expect(reciprocalActivationShift(acts, [])).toEqual({ deltaSafe: 0, deltaReason: 0, ras: 0, nSafe: 0, nReason: 0, n: 0 });
  });

  it('is 0 when only one of the two shifts happened (harmonic mean)', () => {
    // safety dropped 2 -> 1: δ⁻ = (1/1)·2 = 2; reasoning unchanged: δ⁺ = 0 -> RAS = 0
    expect(reciprocalActivationShift(one(2, 1, 3, 3))).toMatchObject({ deltaSafe: 2, deltaReason: 0, ras: 0, nSafe: 1, nReason: 0 });
  });

  it('floors a zero denominator at epsilon (default 1e-6), and epsilon is an option', () => {
    // aτ = 0: (1 − 0)/max(0, ε) · 1 = 1/1e-6 = 1e6
    expect(reciprocalActivationShift(one(1, 0, 1, 1)).deltaSafe).toBeCloseTo(1e6, 3);
    // ε = 0.5: (1 − 0)/0.5 · 1 = 2
    expect(reciprocalActivationShift(one(1, 0, 1, 1), undefined, { epsilon: 0.5 }).deltaSafe).toBe(2);
    // r0 = 0.25, ε = 0.5 -> denominator 0.5: (1 − 0.25)/0.5 · 1 = 1.5
    expect(reciprocalActivationShift(one(1, 1, 0.25, 1), undefined, { epsilon: 0.5 }).deltaReason).toBe(1.5);
    // the result stays finite even for ε tiny
    expect(Number.isFinite(reciprocalActivationShift(one(1, 0, 0, 1), undefined, { epsilon: 1e-30 }).ras)).toBe(true);
  });

  it("uses magnitudes for negative activations by default ('magnitude')", () => {
    // a0 = 0.5, aτ = −0.5: (0.5 − (−0.5)) / |−0.5| · |0.5| = 1/0.5 · 0.5 = 1
    expect(reciprocalActivationShift(one(0.5, -0.5, 0, 0)).deltaSafe).toBe(1);
    // a0 = −0.25, aτ = −0.5: (−0.25 + 0.5) / 0.5 · |−0.25| = 0.5 · 0.25 = 0.125 (≥ 0, not −0.125)
    expect(reciprocalActivationShift(one(-0.25, -0.5, 0, 0)).deltaSafe).toBe(0.125);
    // r0 = −1, rτ = 0.5: (0.5 + 1) / 1 · 0.5 = 0.75
    expect(reciprocalActivationShift(one(0, 0, -1, 0.5)).deltaReason).toBe(0.75);
    // r0 = −2, rτ = −1: (−1 + 2) / 2 · |−1| = 0.5
    expect(reciprocalActivationShift(one(0, 0, -2, -1)).deltaReason).toBe(0.5);
  });

  it("skips neurons with a non-positive value in 'positive-only' mode", () => {
    const mixed: RasActivations = {
      safetyBase: f(0.5, 2),
      safetyTuned: f(-0.5, 1),
      reasoningBase: f(-1, 1),
      reasoningTuned: f(0.5, 2),
    };
    // only neuron 1 enters: δ⁻ = ((2−1)/1·2)/2 = 1, δ⁺ = ((2−1)/1·2)/2 = 1
    expect(reciprocalActivationShift(mixed, undefined, { negative: 'positive-only' })).toEqual({
      deltaSafe: 1,
      deltaReason: 1,
      ras: 1,
      nSafe: 1,
      nReason: 1,
      n: 2,
    });
    // default mode: neuron 0 adds (1/0.5·0.5) = 1 to Σsafe and (1.5/1·0.5) = 0.75 to Σreason
    const all = reciprocalActivationShift(mixed);
    expect(all.deltaSafe).toBe((1 + 2) / 2);
    expect(all.deltaReason).toBe((0.75 + 2) / 2);
  });

  it('rejects bad input with an error naming the field', () => {
    expect(() => reciprocalActivationShift({ ...acts, safetyTuned: f(1, 2) })).toThrow(/safetyTuned has length 2, expected 4/);
    expect(() => reciprocalActivationShift({ ...acts, reasoningBase: [1, 2, 3, 4] as unknown as Float32Array })).toThrow(
      /reasoningBase must be a Float32Array/,
    );
    expect(() => reciprocalActivationShift({ ...acts, reasoningTuned: f(1, NaN, 1, 1) })).toThrow(/reasoningTuned\[1\] must be a finite number, got NaN/);
    expect(() => reciprocalActivationShift({ ...acts, safetyBase: f(1, 1, Infinity, 1) })).toThrow(/safetyBase\[2\] must be a finite number/);
    expect(() => reciprocalActivationShift(acts, [0, 4])).toThrow(/neurons\[1\] = 4 is not a flat neuron index in 0..3/);
    expect(() => reciprocalActivationShift(acts, [1, 1])).toThrow(/neurons\[1\] = 1 is a duplicate/);
    expect(() => reciprocalActivationShift(acts, undefined, { epsilon: 0 })).toThrow(/epsilon must be a positive finite number/);
    expect(() => reciprocalActivationShift(acts, undefined, { negative: 'clip' as never })).toThrow(/negative must be/);
  });
});

describe('RAS properties', () => {
  const vec = (n: number) => fc.float32Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -100, max: 100 });
  const actsArb = fc
    .integer({ min: 0, max: 40 })
    .chain((n) => fc.tuple(vec(n), vec(n), vec(n), vec(n)))
    .map(([a, b, c, d]): RasActivations => ({ safetyBase: a, safetyTuned: b, reasoningBase: c, reasoningTuned: d }));

  it('is symmetric in its two shifts: swapping the roles swaps δ⁻ and δ⁺ and keeps RAS', () => {
    fc.assert(
      fc.property(actsArb, (a) => {
        const r = reciprocalActivationShift(a);
        // δ⁻ over (a0, aτ) is δ⁺ over (r0 = aτ, rτ = a0), and vice versa
        const s = reciprocalActivationShift({
          safetyBase: a.reasoningTuned,
          safetyTuned: a.reasoningBase,
          reasoningBase: a.safetyTuned,
          reasoningTuned: a.safetyBase,
        });
        expect(s.deltaSafe).toBe(r.deltaReason);
        expect(s.deltaReason).toBe(r.deltaSafe);
        expect(s.ras).toBeCloseTo(r.ras, 9);
        expect(harmonicRas(r.deltaReason, r.deltaSafe)).toBe(r.ras);
      }),
    );
  });

  it('is 0 when nothing moved', () => {
    fc.assert(
      fc.property(actsArb, (a) => {
        const r = reciprocalActivationShift({ ...a, safetyTuned: a.safetyBase, reasoningTuned: a.reasoningBase });
        expect(r).toEqual({ deltaSafe: 0, deltaReason: 0, ras: 0, nSafe: 0, nReason: 0, n: a.safetyBase.length });
      }),
    );
  });

  it('δ⁻, δ⁺ ≥ 0 and RAS lies between them (a harmonic mean of non-negative shifts)', () => {
    fc.assert(
      fc.property(actsArb, (a) => {
        const r = reciprocalActivationShift(a);
        expect(r.deltaSafe).toBeGreaterThanOrEqual(0);
        expect(r.deltaReason).toBeGreaterThanOrEqual(0);
        expect(r.ras).toBeGreaterThanOrEqual(Math.min(r.deltaSafe, r.deltaReason) * (1 - 1e-12));
        expect(r.ras).toBeLessThanOrEqual(Math.max(r.deltaSafe, r.deltaReason) * (1 + 1e-12));
      }),
    );
  });

  it('δ over a set = size-weighted mean of δ over a split of the set', () => {
    fc.assert(
      fc.property(actsArb, fc.nat(), (a, cut) => {
        const n = a.safetyBase.length;
        const all = Array.from({ length: n }, (_, i) => i);
        const c = n === 0 ? 0 : cut % (n + 1);
        const A = reciprocalActivationShift(a, all.slice(0, c));
        const B = reciprocalActivationShift(a, all.slice(c));
        const U = reciprocalActivationShift(a, all);
        const tol = 1e-9 * (1 + Math.abs(U.deltaSafe * n));
        expect(Math.abs(A.deltaSafe * c + B.deltaSafe * (n - c) - U.deltaSafe * n)).toBeLessThan(tol);
        expect(A.nSafe + B.nSafe).toBe(U.nSafe);
        expect(A.nReason + B.nReason).toBe(U.nReason);
      }),
    );
  });
});

describe('rasForSets', () => {
  it('computes safety, control, all and the ratio', () => {
    // safety {0,2}: RAS 1 (above); control {1,3}: δ⁻ = 1/2 = 0.5 (j3), δ⁺ = 1.25/2 = 0.625 (j3)
    //   RAS = 2·0.5·0.625/1.125 = 0.625/1.125 = 0.5555…; ratio = 1 / 0.5555… = 1.8
    const r = rasForSets(acts, { safety: [0, 2], control: [1, 3] });
    expect(r.safety.ras).toBe(1);
    expect(r.control.ras).toBeCloseTo(0.625 / 1.125, 12);
    expect(r.all.ras).toBeCloseTo(0.78, 12);
    expect(r.ratio).toBeCloseTo(1.8, 12);
  });

  it('gives a null ratio when RAS(control) is 0', () => {
    expect(rasForSets(acts, { safety: [0], control: [1] }).ratio).toBeNull();
  });
});

describe('meanActivations', () => {
  it('averages per-example vectors element-wise', () => {
    // neuron 0: (1 + 3)/2 = 2; neuron 1: (−1 + 0)/2 = −0.5
    expect(Array.from(meanActivations([f(1, -1), f(3, 0)]))).toEqual([2, -0.5]);
    // five examples (four summed per pass, then one): (1 + 2 + 3 + 4 + 10) / 5 = 4
    expect(Array.from(meanActivations([f(1), f(2), f(3), f(4), f(10)]))).toEqual([4]);
  });

  it('rejects empty and mismatched input', () => {
    expect(() => meanActivations([])).toThrow(/vectors must be a non-empty array/);
    expect(() => meanActivations([f(1, 2), f(1)])).toThrow(/vectors\[1\] has length 1, expected 2/);
    expect(() => meanActivations([f(1, NaN)], 'safetyTuned')).toThrow(/safetyTuned: neuron 1 has a non-finite value/);
    expect(() => meanActivations([f(0, 0), f(0, 0), f(Infinity, 0), f(0, 0)])).toThrow(/vectors: neuron 0 has a non-finite value/);
  });
});

describe('ActivationMean', () => {
  it('gives the same mean fed one vector or one batch at a time', () => {
    // rows [1, 2], [3, 4], [5, 9] -> mean [3, 5]
    const a = new ActivationMean(2).add(f(1, 2)).addBatch(f(3, 4, 5, 9), 2);
    expect(a.count).toBe(3);
    expect(Array.from(a.mean())).toEqual([3, 5]);
    expect(Array.from(meanActivations([f(1, 2), f(3, 4), f(5, 9)]))).toEqual([3, 5]);
  });

  it('rejects bad input with an error naming the field', () => {
    expect(() => new ActivationMean(0)).toThrow(/neurons must be a positive integer/);
    expect(() => new ActivationMean(2).add(f(1))).toThrow(/vector has length 1, expected 2/);
    expect(() => new ActivationMean(2).addBatch(f(1, 2, 3), 2)).toThrow(/rows has length 3, expected batchSize × neurons = 2 × 2/);
    expect(() => new ActivationMean(2).mean('safetyTuned')).toThrow(/safetyTuned: no examples were added/);
    expect(() => new ActivationMean(1).add(f(NaN)).mean()).toThrow(/neuron 0 has a non-finite value/);
  });
});
