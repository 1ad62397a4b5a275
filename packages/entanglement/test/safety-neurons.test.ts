import { makeLayout } from '@rimwatch/contracts';
import { identifySafetyNeurons } from '../src';

const f = (...v: number[]) => Float32Array.from(v);

// Three counterfactual pairs over 6 neurons, m = 2:
//   pair 0: diff = cf − harmful = [5,4,0,1,0,3] -> top-2 {0,1}
//   pair 1: diff = [2,5,1,1,4,1] − 1 = [1,4,0,0,3,0] -> top-2 {1,4}
//   pair 2: diff = [3,6,0,2,0,0] − [0,1,0,0,0,0] = [3,5,0,2,0,0] -> top-2 {0,1}
// support per neuron = [2,3,0,0,1,0]
const pairs = [
  { harmful: f(0, 0, 0, 0, 0, 0), counterfactual: f(5, 4, 0, 1, 0, 3) },
  { harmful: f(1, 1, 1, 1, 1, 1), counterfactual: f(2, 5, 1, 1, 4, 1) },
  { harmful: f(0, 1, 0, 0, 0, 0), counterfactual: f(3, 6, 0, 2, 0, 0) },
];

describe('identifySafetyNeurons', () => {
  it('is the intersection of the per-pair top-m by default (paper)', () => {
    const r = identifySafetyNeurons(pairs, { topM: 2 });
    expect(r.neurons).toEqual([1]); // only neuron 1 is in all three top-2 sets
    expect(r.support).toEqual([3]);
    expect(Array.from(r.supportCounts)).toEqual([2, 3, 0, 0, 1, 0]);
    // histogram over support 0..3: three neurons at 0 (2,3,5), one each at 1 (4), 2 (0), 3 (1)
    expect(r.supportHistogram).toEqual([3, 1, 1, 1]);
    expect(r).toMatchObject({ m: 2, pairs: 3, requiredSupport: 3, size: 1, totalNeurons: 6 });
  });

  it('minSupport relaxes the intersection: ceil(q × pairs) pairs needed', () => {
    // q = 2/3 -> ceil(2) = 2 pairs: neurons 0 (2) and 1 (3)
    expect(identifySafetyNeurons(pairs, { topM: 2, minSupport: 2 / 3 }).neurons).toEqual([0, 1]);
    // q = 0.5 -> ceil(1.5) = 2
    expect(identifySafetyNeurons(pairs, { topM: 2, minSupport: 0.5 }).requiredSupport).toBe(2);
    // q = 0.3 -> ceil(0.9) = 1: also neuron 4
    const loose = identifySafetyNeurons(pairs, { topM: 2, minSupport: 0.3 });
    expect(loose.neurons).toEqual([0, 1, 4]);
    expect(loose.support).toEqual([2, 3, 1]);
  });

  it('does not let floating point demand an extra pair (0.9 × 10 = 9.000000000000002)', () => {
    const ten = Array.from({ length: 10 }, () => pairs[0]);
    expect(identifySafetyNeurons(ten, { topM: 1, minSupport: 0.9 }).requiredSupport).toBe(9);
  });

  it('takes m as a fraction of all neurons', () => {
    // 0.34 × 6 = 2.04 -> m = 2, same as topM: 2
    expect(identifySafetyNeurons(pairs, { topFraction: 0.34 })).toMatchObject({ m: 2, neurons: [1] });
    // a tiny fraction still selects one neuron per pair: top-1 = {0}, {1}, {1} -> intersection empty
    const r = identifySafetyNeurons(pairs, { topFraction: 1e-9 });
    expect(r.m).toBe(1);
    expect(r.neurons).toEqual([]);
    expect(r.size).toBe(0);
    expect(r.supportHistogram).toEqual([4, 1, 1, 0]);
  });

  it('breaks ties toward lower indices, deterministically', () => {
    const flat = [{ harmful: f(0, 0, 0, 0), counterfactual: f(1, 1, 1, 1) }];
    expect(identifySafetyNeurons(flat, { topM: 2 }).neurons).toEqual([0, 1]);
  });

  it('ranks negative differences too (top-m is by value, not by magnitude)', () => {
    // diff = [-1, -3, -2] -> top-1 is neuron 0 (−1 is the largest)
    const neg = [{ harmful: f(1, 3, 2), counterfactual: f(0, 0, 0) }];
    expect(identifySafetyNeurons(neg, { topM: 1 }).neurons).toEqual([0]);
  });

  it('reports per-layer counts when given a layout', () => {
    const r = identifySafetyNeurons(pairs, { topM: 2, minSupport: 0.3, layout: makeLayout([3, 3]) });
    expect(r.perLayer).toEqual([2, 1]); // 0,1 in layer 0; 4 in layer 1
  });

  it('rejects bad input with an error naming the field', () => {
    expect(() => identifySafetyNeurons([], { topM: 1 })).toThrow(/pairs must be a non-empty array/);
    expect(() => identifySafetyNeurons(pairs, {})).toThrow(/one of topM or topFraction is required/);
    expect(() => identifySafetyNeurons(pairs, { topM: 1, topFraction: 0.5 })).toThrow(/either topM or topFraction/);
    expect(() => identifySafetyNeurons(pairs, { topM: 7 })).toThrow(/topM must be an integer in 1..6/);
    expect(() => identifySafetyNeurons(pairs, { topFraction: 1.5 })).toThrow(/topFraction must be a number in \(0, 1\]/);
    expect(() => identifySafetyNeurons(pairs, { topM: 1, minSupport: 0 })).toThrow(/minSupport/);
    expect(() => identifySafetyNeurons([pairs[0], { harmful: f(1), counterfactual: f(1) }], { topM: 1 })).toThrow(
      /pairs\[1\]\.harmful has length 1, expected 6/,
    );
    expect(() => identifySafetyNeurons([{ harmful: f(0, 0), counterfactual: [1, 2] as unknown as Float32Array }], { topM: 1 })).toThrow(
      /pairs\[0\]\.counterfactual must be a Float32Array/,
    );
    expect(() => identifySafetyNeurons([{ harmful: f(0, NaN), counterfactual: f(1, 1) }], { topM: 1 })).toThrow(
      /pairs\[0\]\.harmful\[1\] = NaN is not a finite number/,
    );
    expect(() => identifySafetyNeurons(pairs, { topM: 1, layout: makeLayout([4]) })).toThrow(/layout has 4 neurons/);
  });
});
